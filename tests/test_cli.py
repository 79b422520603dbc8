"""The command line, through click's CliRunner, on small transcripts written in ``tmp_path``."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from consult_audio import output
from consult_audio.cli import is_safe_id, main
from consult_audio.model import SCHEMA

TextGridBuilder = Callable[..., str]  # the ``textgrid_text`` fixture of conftest.py

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "consultation.vtt"

# Literal intervals (s) of one consultation, one TextGrid per speaker.
DOCTOR = [
    (0.0, 4.0, "Hello, I'm Dr Patel. What brings you in today?"),
    (6.0, 6.5, "Mm-hm."),  # a backchannel inside the patient's opening statement
    (16.5, 18.0, "Do you smoke?"),
    (20.0, 25.0, "Okay. I'd like to listen to your chest, and then we'll talk about what helps."),
]
PATIENT = [
    (4.5, 16.0, "I've had this cough for three weeks and I'm worried it's something serious, "
                "my dad had lung problems."),
    (18.5, 19.5, "No, never."),
]
XMAX = 30.0  # s, the length of the recording
# Talk time is the union of a role's intervals; shares are over clinician + patient speech.
CLINICIAN_S = 4.0 + 0.5 + 1.5 + 5.0
PATIENT_S = 11.5 + 1.0
CLINICIAN_SHARE = CLINICIAN_S / (CLINICIAN_S + PATIENT_S)

VTT = """WEBVTT

00:00:00.000 --> 00:00:03.000
<v Doctor>Good morning. How can I help you today?

00:00:03.500 --> 00:00:12.000
<v Patient>My knee has been swelling up after I run, and it's getting me down.

00:00:12.500 --> 00:00:14.000
<v Doctor>Which knee is it?

00:00:14.500 --> 00:00:15.500
<v Patient>The left one.
"""

ALL_OUTPUTS = ("c1.analysis.json", "c1.report.md", "c1.metrics.csv")


# --- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def consultation(tmp_path: Path, textgrid_text: TextGridBuilder) -> list[Path]:
    """``c1_doctor.TextGrid`` and ``c1_patient.TextGrid`` (tier ``Speaker``) in ``tmp_path/in``."""
    folder = tmp_path / "in"
    folder.mkdir()
    files = []
    for who, spans in (("doctor", DOCTOR), ("patient", PATIENT)):
        path = folder / f"c1_{who}.TextGrid"
        path.write_text(textgrid_text({"Speaker": spans}, XMAX), encoding="utf-8")
        files.append(path)
    return files


def run(*args: object) -> Result:
    # A wide terminal, so that the summary table shows whole file paths on one line.
    return CliRunner().invoke(main, [str(a) for a in args], env={"COLUMNS": "250"})


def analyse(files: Sequence[Path], out: Path, *options: object) -> Result:
    return run("analyse", *files, "--output-dir", out, *options)


def assert_clean_failure(result: Result) -> None:
    """Exit code 2 with a message, and no traceback."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


def error_line(result: Result) -> str:
    """The one ``error:`` line, which ends stderr (progress lines may come before it)."""
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert errors == lines[-1:], result.stderr
    return errors[0]


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# --- analyse ------------------------------------------------------------------------------------


def test_analyse_writes_three_outputs_named_from_the_files(
    tmp_path: Path, consultation: list[Path]
) -> None:
    out = tmp_path / "out"
    result = analyse(consultation, out)
    assert result.exit_code == 0, result.output
    assert listing(out) == sorted(ALL_OUTPUTS)
    for name in ALL_OUTPUTS:
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
        assert name in result.stdout  # the summary lists the files written
    assert (out / "c1.report.md").read_text(encoding="utf-8").strip()
    assert (out / "c1.metrics.csv").read_text(encoding="utf-8").strip()


def test_analysis_json_holds_the_talk_time_of_the_literal_intervals(
    tmp_path: Path, consultation: list[Path]
) -> None:
    out = tmp_path / "out"
    result = analyse(consultation, out, "--format", "json")
    assert result.exit_code == 0, result.output
    data = load_json(out / "c1.analysis.json")
    assert data["schema"] == SCHEMA == "consult-audio/analysis/v1"
    assert data["id"] == "c1"
    talk = data["metrics"]["talk_time"]
    assert abs(talk["clinician_share"] - CLINICIAN_SHARE) < 1e-9
    assert abs(talk["clinician_s"] - CLINICIAN_S) < 1e-9
    speakers = {s["label"]: s["role"] for s in data["consultation"]["speakers"]}
    assert speakers == {"doctor": "clinician", "patient": "patient"}
    inputs = data["provenance"]["inputs"]
    assert [i["name"] for i in inputs] == ["c1_doctor.TextGrid", "c1_patient.TextGrid"]
    assert all(len(i["sha256"]) == 64 for i in inputs)
    assert data["provenance"]["settings"]["formats"] == ["json"]


def test_role_option_overrides_the_roles(tmp_path: Path, consultation: list[Path]) -> None:
    out = tmp_path / "out"
    result = analyse(consultation, out, "--format", "json",
                     "--role", "doctor=patient", "--role", "PATIENT=clinician")
    assert result.exit_code == 0, result.output
    data = load_json(out / "c1.analysis.json")
    speakers = {s["label"]: (s["role"], s["role_source"])
                for s in data["consultation"]["speakers"]}
    assert speakers == {"doctor": ("patient", "given"), "patient": ("clinician", "given")}
    share = data["metrics"]["talk_time"]["clinician_share"]
    assert abs(share - (1 - CLINICIAN_SHARE)) < 1e-9


def test_format_json_writes_only_the_json(tmp_path: Path, consultation: list[Path]) -> None:
    out = tmp_path / "out"
    result = analyse(consultation, out, "--format", "json")
    assert result.exit_code == 0, result.output
    assert listing(out) == ["c1.analysis.json"]


def test_id_option_names_the_outputs(tmp_path: Path, consultation: list[Path]) -> None:
    out = tmp_path / "out"
    result = analyse(consultation, out, "--format", "json", "--id", "visit-7.a")
    assert result.exit_code == 0, result.output
    assert listing(out) == ["visit-7.a.analysis.json"]
    assert load_json(out / "visit-7.a.analysis.json")["id"] == "visit-7.a"


def test_webvtt_with_voice_tags(tmp_path: Path) -> None:
    vtt = tmp_path / "knee.vtt"
    vtt.write_text(VTT, encoding="utf-8")
    out = tmp_path / "out"
    result = analyse([vtt], out, "--format", "json")
    assert result.exit_code == 0, result.output
    data = load_json(out / "knee.analysis.json")
    speakers = {s["label"]: s["role"] for s in data["consultation"]["speakers"]}
    assert speakers == {"Doctor": "clinician", "Patient": "patient"}


def test_the_readme_example_parses_and_is_coded(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = analyse([EXAMPLE], out, "--format", "json")
    assert result.exit_code == 0, result.output
    data = load_json(out / "consultation.analysis.json")
    types = {e["type"] for e in data["events"]}
    assert {"question", "backchannel", "psychosocial"} <= types
    roles = {s["label"]: s["role"] for s in data["consultation"]["speakers"]}
    assert roles == {"Physio": "clinician", "Patient": "patient"}


def test_quiet_prints_only_the_files_written(tmp_path: Path, consultation: list[Path]) -> None:
    out = tmp_path / "out"
    result = run("--quiet", "analyse", *consultation, "--output-dir", out, "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [str(out / "c1.analysis.json")]
    assert result.stderr == ""


@pytest.mark.parametrize("where", ["before", "after the command", "after the paths"])
def test_quiet_before_or_after_the_command(
    tmp_path: Path, consultation: list[Path], where: str
) -> None:
    out = tmp_path / "out"
    args: list[object] = ["analyse", *consultation, "--output-dir", out, "--format", "json"]
    args.insert({"before": 0, "after the command": 1, "after the paths": len(args)}[where], "-q")
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [str(out / "c1.analysis.json")]
    assert result.stderr == ""


def test_verbose_after_the_command(tmp_path: Path, consultation: list[Path]) -> None:
    result = analyse(consultation, tmp_path / "out", "--format", "json", "-v")
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stderr and "settings:" not in result.stderr  # info, not debug
    result = analyse(consultation, tmp_path / "out", "--format", "json", "-vv")
    assert "settings:" in result.stderr  # debug
    result = run("-v", "analyse", *consultation, "-o", tmp_path / "out", "--format", "json", "-v")
    assert "settings:" in result.stderr  # the counts add up


def test_verbose_and_quiet_on_either_side_conflict(
    tmp_path: Path, consultation: list[Path]
) -> None:
    result = run("-v", "analyse", *consultation, "-o", tmp_path / "out", "-q")
    assert result.exit_code == 2 and "cannot be used together" in result.output
    assert not (tmp_path / "out").exists()


def _command_paths(group: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, command in group.commands.items():
        paths.append((*path, name))
        if hasattr(command, "commands"):
            paths += _command_paths(command, (*path, name))
    return paths


@pytest.mark.parametrize("command", _command_paths(main), ids=" ".join)
@pytest.mark.parametrize("option", ["-q", "--quiet", "-v", "-vv", "--verbose"])
def test_every_command_takes_the_global_options(command: tuple[str, ...], option: str) -> None:
    # Unknown options fail while parsing, before the eager --help exits.
    result = run(*command, option, "--help")
    assert result.exit_code == 0, result.output
    assert "-q, --quiet" in result.stdout


# --- errors: exit 2, one line, nothing written --------------------------------------------------


def test_missing_file_names_it_and_writes_nothing(tmp_path: Path, consultation: list[Path]) -> None:
    out = tmp_path / "out"
    missing = tmp_path / "in" / "c1_nurse.TextGrid"
    result = analyse([*consultation, missing], out)
    assert_clean_failure(result)
    assert str(missing) in error_line(result)
    assert not out.exists()


@pytest.mark.parametrize("formats", ["json,pdf", "", "md,,docx"])
def test_unknown_format_is_a_usage_error(
    tmp_path: Path, consultation: list[Path], formats: str
) -> None:
    out = tmp_path / "out"
    result = analyse(consultation, out, "--format", formats)
    assert_clean_failure(result)
    assert "format" in result.stderr
    assert not out.exists()


def test_one_speaker_transcript_fails(tmp_path: Path, textgrid_text: TextGridBuilder) -> None:
    solo = tmp_path / "solo.TextGrid"
    solo.write_text(textgrid_text({"Speaker": DOCTOR}, XMAX), encoding="utf-8")
    out = tmp_path / "out"
    result = analyse([solo], out)
    assert_clean_failure(result)
    assert "only one speaker" in error_line(result)
    assert not out.exists()


@pytest.mark.parametrize("text", [
    'File type = "ooTextFile"\nObject class = "TextGrid"\n\nxmin = 0\nxmax = banana\n',
    "this is not a TextGrid\n",
    "",
])
def test_malformed_textgrid_fails(
    tmp_path: Path, consultation: list[Path], text: str
) -> None:
    bad = consultation[1]
    bad.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = analyse(consultation, out)
    assert_clean_failure(result)
    assert str(bad) in error_line(result)
    assert not out.exists()


@pytest.mark.parametrize("role", ["doctor=nurse", "doctor", "=clinician"])
def test_bad_role_is_a_usage_error(tmp_path: Path, consultation: list[Path], role: str) -> None:
    out = tmp_path / "out"
    result = analyse(consultation, out, "--role", role)
    assert_clean_failure(result)
    assert "--role" in result.stderr
    assert "NAME=ROLE" in result.stderr or "clinician, patient or other" in result.stderr
    assert not out.exists()


def test_role_for_an_unknown_speaker_is_a_usage_error(
    tmp_path: Path, consultation: list[Path]
) -> None:
    out = tmp_path / "out"
    result = analyse(consultation, out, "--role", "nurse=clinician")
    assert_clean_failure(result)
    assert "'nurse'" in result.stderr and "'doctor', 'patient'" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("bad_id", ["../c1", "a/b", ".hidden", "..", "", "with space", "a\\b"])
def test_unsafe_id_is_refused(tmp_path: Path, consultation: list[Path], bad_id: str) -> None:
    out = tmp_path / "out"
    result = analyse(consultation, out, "--id", bad_id)
    assert_clean_failure(result)
    assert "safe file name" in result.stderr
    assert not out.exists()
    assert listing(tmp_path) == ["in"]


def test_safe_ids() -> None:
    assert is_safe_id("day1_consultation01")
    assert is_safe_id("visit-7.v2")
    assert not is_safe_id(".x")
    assert not is_safe_id("a/b")


def test_bad_rules_file_fails(tmp_path: Path, consultation: list[Path]) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text("{not json", encoding="utf-8")
    out = tmp_path / "out"
    result = analyse(consultation, out, "--rules", rules)
    assert_clean_failure(result)
    assert str(rules) in error_line(result)
    assert not out.exists()


def test_rules_file_from_an_older_version_names_what_it_lacks(
    tmp_path: Path, consultation: list[Path]
) -> None:
    from importlib import resources

    raw = json.loads(resources.files("consult_audio").joinpath("data/rules.json")
                     .read_text(encoding="utf-8"))
    del raw["questions"]["yes_no"]
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(raw), encoding="utf-8")
    out = tmp_path / "out"
    result = analyse(consultation, out, "--rules", rules)
    assert_clean_failure(result)
    assert str(rules) in error_line(result) and "questions.yes_no" in error_line(result)
    assert not out.exists()


def test_failed_run_leaves_earlier_output_untouched(
    tmp_path: Path, consultation: list[Path]
) -> None:
    out = tmp_path / "out"
    assert analyse(consultation, out, "--format", "json").exit_code == 0
    earlier = (out / "c1.analysis.json").read_bytes()

    consultation[0].write_text("garbage\n", encoding="utf-8")  # a later run with bad input
    assert_clean_failure(analyse(consultation, out, "--format", "json"))
    assert (out / "c1.analysis.json").read_bytes() == earlier
    assert listing(out) == ["c1.analysis.json"]


def test_write_error_leaves_earlier_output_untouched(
    tmp_path: Path, consultation: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert analyse(consultation, out, "--format", "json", "--id", "keep").exit_code == 0
    earlier = (out / "keep.analysis.json").read_bytes()

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    result = analyse(consultation, out, "--format", "json", "--id", "keep",
                     "--role", "doctor=patient", "--role", "patient=clinician")
    assert_clean_failure(result)
    assert "No space left on device" in error_line(result)
    assert (out / "keep.analysis.json").read_bytes() == earlier
    assert listing(out) == ["keep.analysis.json"]  # no temporary file left behind


def test_output_dir_that_is_a_file_fails(tmp_path: Path, consultation: list[Path]) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    result = analyse(consultation, blocker / "sub", "--format", "json")
    assert_clean_failure(result)
    assert str(blocker) in error_line(result)


# --- output.write_all ---------------------------------------------------------------------------


def test_write_all_is_all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = tmp_path / "a.txt"
    old.write_text("old", encoding="utf-8")
    calls = []

    def fail_second(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", fail_second)
    with pytest.raises(OSError, match="No space"):
        output.write_all({old: "new", tmp_path / "b.txt": "new b"})
    assert old.read_text(encoding="utf-8") == "old"
    assert listing(tmp_path) == ["a.txt"]


def test_write_atomic_is_owner_only_and_keeps_newlines(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    output.write_atomic(path, "a,b\r\n1,2\r\n")
    assert path.read_bytes() == b"a,b\r\n1,2\r\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert listing(tmp_path) == ["x.csv"]


# --- report -------------------------------------------------------------------------------------


def test_report_rerenders_markdown_from_the_json(
    tmp_path: Path, consultation: list[Path]
) -> None:
    first = tmp_path / "first"
    assert analyse(consultation, first).exit_code == 0
    again = tmp_path / "again"
    result = run("report", first / "c1.analysis.json", "--format", "md", "--output-dir", again)
    assert result.exit_code == 0, result.output
    assert listing(again) == ["c1.report.md"]
    assert (again / "c1.report.md").read_text(encoding="utf-8") == \
        (first / "c1.report.md").read_text(encoding="utf-8")


def test_report_rejects_json_of_another_schema(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema": "something/else/v9", "id": "x"}), encoding="utf-8")
    out = tmp_path / "out"
    result = run("report", other, "--output-dir", out)
    assert_clean_failure(result)
    line = error_line(result)
    assert "not a consult-audio analysis v1 file" in line and str(other) in line
    assert not out.exists()


@pytest.mark.parametrize("text", ["{broken", "[1, 2]", json.dumps({"schema": SCHEMA})])
def test_report_rejects_broken_json(tmp_path: Path, text: str) -> None:
    bad = tmp_path / "bad.analysis.json"
    bad.write_text(text, encoding="utf-8")
    result = run("report", bad, "--output-dir", tmp_path / "out")
    assert_clean_failure(result)
    assert "not a consult-audio analysis v1 file" in error_line(result)


def test_report_refuses_an_unsafe_id_in_the_json(
    tmp_path: Path, consultation: list[Path]
) -> None:
    out = tmp_path / "out"
    assert analyse(consultation, out, "--format", "json").exit_code == 0
    data = load_json(out / "c1.analysis.json")
    data["consultation"]["id"] = "../escaped"
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data), encoding="utf-8")
    result = run("report", edited, "--output-dir", out)
    assert_clean_failure(result)
    assert "safe file name" in error_line(result)
    assert listing(tmp_path / "out") == ["c1.analysis.json"]
    assert not (tmp_path / "escaped.report.md").exists()


# --- help and entry points ----------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--help"], ["analyse", "--help"], ["report", "--help"]])
def test_help_has_examples(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert "consult-audio " in result.stdout


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert "consult-audio" in result.stdout


def test_python_dash_m_help() -> None:
    proc = subprocess.run([sys.executable, "-m", "consult_audio", "--help"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "analyse" in proc.stdout and "Examples:" in proc.stdout
