"""Bad input and abuse: script in transcripts, path traversal, huge and deeply nested files."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from consult_audio.cli import main
from consult_audio.errors import InputError
from consult_audio.readers import base, read_segments

SCRIPT = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def vtt(path: Path, doctor: str = "How are you?", patient: str = "Fine thanks.") -> Path:
    path.write_text(f"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n<v Doctor>{doctor}\n\n"
                    f"00:00:02.500 --> 00:00:05.000\n<v Patient>{patient}\n", encoding="utf-8")
    return path


def test_script_in_transcript_is_escaped(tmp_path: Path) -> None:
    source = tmp_path / "x.json"  # JSON keeps the markup in the text (VTT strips unknown tags)
    source.write_text(json.dumps([
        {"speaker": "Doctor", "start": 0, "end": 2, "text": f"How are you? {SCRIPT}"},
        {"speaker": f"Patient{SCRIPT}", "start": 2.5, "end": 5, "text": f"Fine. {SCRIPT}"}]))
    result = CliRunner().invoke(main, ["-q", "analyse", str(source), "-o", str(tmp_path / "o"),
                                       "--role", f"Patient{SCRIPT}=patient",
                                       "--format", "json,md,html"])
    assert result.exit_code == 0, result.output
    for name in ("x.report.md", "x.report.html"):
        text = (tmp_path / "o" / name).read_text()
        assert "<script>alert" not in text and "<img src=x" not in text, name
    for path in (tmp_path / "o").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("bad_id", ["../evil", "a/b", ".hidden", "..", "x\\..\\y", "a b"])
def test_unsafe_ids_refused(tmp_path: Path, bad_id: str) -> None:
    result = CliRunner().invoke(main, ["analyse", str(vtt(tmp_path / "v.vtt")), "--id", bad_id,
                                       "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert not (tmp_path / "evil.analysis.json").exists()


def test_traversal_in_saved_analysis_refused(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["-q", "analyse", str(vtt(tmp_path / "v.vtt")), "-o",
                                str(tmp_path), "--format", "json"]).exit_code == 0
    analysis = tmp_path / "v.analysis.json"
    data = json.loads(analysis.read_text())
    data["id"] = data["consultation"]["id"] = "../../escaped"
    analysis.write_text(json.dumps(data))
    result = runner.invoke(main, ["report", str(analysis), "-o", str(tmp_path / "r")])
    assert result.exit_code == 2 and "not a safe file name" in result.output
    assert not list(tmp_path.parent.glob("escaped*"))


def test_million_interval_textgrid_refused_fast(tmp_path: Path) -> None:
    n = 1_000_000
    path = tmp_path / "huge_doctor.TextGrid"
    with path.open("w") as f:
        f.write(f'File type = "ooTextFile"\nObject class = "TextGrid"\n\n0\n{n}\n<exists>\n1\n'
                f'"IntervalTier"\n"Speaker"\n0\n{n}\n{n}\n')
        f.writelines(f'{i}\n{i + 1}\n"w"\n' for i in range(n))
    started = time.perf_counter()
    with pytest.raises(InputError, match="lines, over the limit"):
        read_segments(path)
    assert time.perf_counter() - started < 5


def test_too_many_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "MAX_SEGMENTS", 1)
    with pytest.raises(InputError, match="intervals or turns, over the limit"):
        read_segments(vtt(tmp_path / "v.vtt"))


def test_file_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "MAX_FILE_BYTES", 10)
    with pytest.raises(InputError, match="over the 0 MB limit"):
        read_segments(vtt(tmp_path / "v.vtt"))


def test_deep_json_transcript(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text(json.dumps([{"speaker": "A", "start": 0, "end": 1, "text": "x",
                                 "extra": json.loads("[" * 200 + "]" * 200)}]))
    with pytest.raises(InputError, match="nested too deeply"):
        read_segments(path)


@pytest.mark.parametrize("depth", [200, 100_000])
def test_deep_analysis_json_for_report(tmp_path: Path, depth: int) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["-q", "analyse", str(vtt(tmp_path / "v.vtt")), "-o",
                                str(tmp_path), "--format", "json"]).exit_code == 0
    analysis = tmp_path / "v.analysis.json"
    text = analysis.read_text()
    nested = "[" * depth + "]" * depth
    analysis.write_text(text.replace('"provenance": {', f'"provenance": {{"deep": {nested}, ', 1))
    result = runner.invoke(main, ["report", str(analysis), "-o", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "nested" in result.output and "Traceback" not in result.output
