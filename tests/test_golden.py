"""The outputs of the command line, pinned byte for byte against files in ``tests/data/golden``.

Two consultations go through every output: the packaged example (one WebVTT file) and a
PriMock57-like pair of TextGrids (one file per speaker, PriMock's ``<UNSURE>`` and ``<UNIN/>``
tags, speech that overlaps) written here from literal intervals. For each one the test runs
``analyse`` for every format and keeps the summary it prints, re-renders the saved analysis with
``report``, then makes a cohort report of both, and runs ``batch`` and ``export`` over the two.

A third, a recording (a WAV file), goes through ``analyse`` and ``report``: the real audio
pipeline (decoding, words to speakers, acknowledgement words, utterances, roles, provenance)
with a recogniser and a diariser that give the words and turns of the same PriMock57-like
consultation for any audio, so that no model's arithmetic can move a byte.

Only what legitimately varies from run to run is replaced before comparing: the time of the
analysis and how long it took, the versions of consult-audio and Python, the batch key (it holds
the version), and the temporary folder. The rules are a copy kept beside the golden files, so an
edit of the packaged rules (or of anything else that changes a finding) shows up here as a diff
to look at, not as noise.

When a change is meant to change the outputs, write the golden files again and read the diff:

    CONSULT_AUDIO_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py
    git diff tests/data/golden

(and, when the format of the rules file changes, copy ``src/consult_audio/data/rules.json`` to
``tests/data/golden/rules.json`` first).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from audio_support import RATE, LiteralDiariser, LiteralTranscriber, write_wav
from click.testing import CliRunner, Result

from consult_audio.cli import main

TextGridBuilder = Callable[..., str]  # the ``textgrid_text`` fixture of conftest.py

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "consultation.vtt"
GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
RULES = GOLDEN / "rules.json"
UPDATE = os.environ.get("CONSULT_AUDIO_UPDATE_GOLDEN") == "1"
FORMATS = ("json", "md", "csv", "html")
SUFFIXES = {"json": ".analysis.json", "md": ".report.md", "csv": ".metrics.csv",
            "html": ".report.html"}

# A PriMock57-like consultation: a GP and a patient, one TextGrid per speaker (tier "Speaker"),
# with the corpus's tags, an interruption, backchannels over the other speaker, and most of the
# events the rules code. Times in seconds.
DOCTOR = [
    (0.0, 3.5, "Hello, I'm Dr Okafor, one of the GPs. How can I help you today?"),
    (9.2, 9.6, "Mm-hm."),
    (12.3, 15.0, "And when did that start?"),
    (18.2, 21.0, "Do you get any chest pain with it?"),
    (22.6, 27.0, "Okay. Is there anything else you wanted to talk about today?"),
    (32.0, 35.0, "That sounds really hard, on top of everything at work."),
    (35.4, 38.0, "How is it affecting your day-to-day life?"),
    (46.0, 48.5, "Do you smoke at all?"),
    (49.8, 52.0, "And how much do you drink in a week?"),
    (55.0, 59.0, "What do you think might be causing it?"),
    (64.0, 66.0, "Any fever or night sweats?"),
    (68.0, 75.0, "Your chest sounds clear. The cough is probably from a virus, and it can last "
                 "a few weeks."),
    (75.5, 82.0, "There are a couple of options: we could wait and see, or try an inhaler "
                 "for a few weeks."),
    (82.5, 85.0, "How does that sound to you?"),
    (89.0, 94.0, "So just to summarise, you've had a cough for three weeks, it's worse at "
                 "night, and you're worried about work."),
    (94.5, 98.0, "Can you tell me in your own words what you'll do when you get home?"),
    (103.0, 106.0, "Great. Any questions for me?"),
    (108.5, 111.0, "Come back if it isn't better in two weeks."),
]
PATIENT = [
    (3.8, 12.8, "I've had this cough for about three weeks now, and it's keeping me up at night, "
                "and I <UNSURE>can't</UNSURE> really shake it"),
    (15.3, 18.0, "About three weeks ago, after a cold."),
    (21.3, 22.4, "No, not really."),
    (27.4, 31.6, "Well, I'm worried about work. I'm a teacher and I've had to take days off."),
    (38.4, 45.6, "I'm not sleeping, and I'm stressed because my manager keeps asking when I'll "
                 "be back. <UNIN/>"),
    (48.8, 49.5, "No, never."),
    (52.3, 54.6, "Maybe a couple of glasses of wine."),
    (59.3, 63.8, "I was wondering if it could be my asthma coming back, I had it as a child."),
    (66.3, 67.6, "No."),
    (85.3, 88.6, "I'd like to try the inhaler, I think. Will it make me shaky?"),
    (98.4, 102.6, "Use the inhaler twice a day and come back if it's not better."),
    (106.4, 108.0, "No, that's all, thanks."),
]
XMAX = 115.0  # s, the length of the recording
PRIMOCK_ID = "day1_consultation07"


@pytest.fixture
def inputs(tmp_path: Path, textgrid_text: TextGridBuilder) -> dict[str, list[Path]]:
    """Consultation id -> its input files, in ``tmp_path/in``."""
    folder = tmp_path / "in"
    folder.mkdir()
    example = folder / EXAMPLE.name
    shutil.copyfile(EXAMPLE, example)
    pair = []
    for who, spans in (("doctor", DOCTOR), ("patient", PATIENT)):
        path = folder / f"{PRIMOCK_ID}_{who}.TextGrid"
        path.write_text(textgrid_text({"Speaker": spans}, XMAX), encoding="utf-8")
        pair.append(path)
    return {"consultation": [example], PRIMOCK_ID: pair}


RECORDING_ID = "recording"


def recording_pipeline(pipeline_class: Any, options: Any, **kwargs: Any) -> Any:
    """The real :class:`AudioPipeline` (``pipeline_class``) with the literal words and turns of
    DOCTOR and PATIENT (each utterance's words spread evenly over its interval; SPEAKER_00 the
    doctor)."""
    from consult_audio.audio.turns import Diarisation, Turn, exclusive_turns
    from consult_audio.audio.voices import VoiceEstimate
    from consult_audio.model import Word

    words, turns = [], []
    for speaker, spans in (("SPEAKER_00", DOCTOR), ("SPEAKER_01", PATIENT)):
        for start, end, text in spans:
            said = re.sub(r"<[^>]*>", " ", text).split()
            step = (end - start) / len(said)
            words += [Word(w, round(start + i * step, 3), round(start + (i + 0.9) * step, 3),
                           0.4 if w == "worried" else 0.95)
                      for i, w in enumerate(said)]
            turns.append(Turn(start, end, speaker))
    words.sort(key=lambda w: w.start)
    turns.sort()
    diarisation = Diarisation(tuple(turns), tuple(exclusive_turns(turns)), "embedded",
                              voices=VoiceEstimate(2, 0.9, False, 2))
    return pipeline_class(options, rules=kwargs.get("rules"),
                          transcriber=LiteralTranscriber(words),
                          diarisers={"embedded": LiteralDiariser(diarisation)})


def read(path: Path) -> str:
    """The text of ``path`` with its line endings as written (the CSV files end lines in CRLF)."""
    with path.open(encoding="utf-8", newline="") as f:
        return f.read()


def run(*args: object) -> Result:
    # A wide terminal, so that the summary table shows whole file paths on one line.
    result = CliRunner().invoke(main, [str(a) for a in args], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result


class Normaliser:
    """Replaces what varies from run to run with placeholders."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = str(tmp_path)
        self.values: dict[str, str] = {}

    def learn(self, analysis: Mapping[str, Any]) -> None:
        """The varying values of one analysis JSON, to be replaced wherever they appear."""
        prov = analysis["provenance"]
        self.values[str(prov["analysed_at"])] = "<ANALYSED_AT>"
        self.values[str(prov["consult_audio_version"])] = "<VERSION>"
        self.values[str(prov["python"])] = "<PYTHON>"
        key = prov.get("batch", {}).get("key")
        if key:
            self.values[str(key)] = "<BATCH_KEY>"

    def json(self, text: str) -> str:
        """An analysis JSON as written (its bytes, not parsed and dumped again)."""
        self.learn(json.loads(text))
        text, n = re.subn(r'"analysis_s": [0-9.e-]+', '"analysis_s": "<ANALYSIS_S>"', text)
        assert n == 1, "one analysis_s in an analysis"
        return self.text(text)

    def text(self, text: str) -> str:
        text = text.replace(self.tmp, "<TMP>")
        for value, placeholder in sorted(self.values.items(), key=lambda kv: -len(kv[0])):
            text = re.sub(rf"(?<![\w.]){re.escape(value)}(?![\w])", placeholder, text)
        return text


def analyse_and_report(cid: str, arguments: Sequence[object], norm: Normaliser,
                       varying: Callable[[str, str], str] = lambda text, fmt: text,
                       ) -> Iterator[tuple[str, str]]:
    """(golden file name, normalised text) of ``analyse`` with ``arguments`` in every format,
    and of ``report`` on its JSON (whose reports must equal analyse's). ``varying(text, fmt)``
    replaces what else varies in an output of format ``fmt`` before ``norm`` does."""
    out = Path("analyses") / cid
    printed = run("analyse", *arguments, "--output-dir", out, "--format", ",".join(FORMATS))
    yield f"{cid}/analysis.json", norm.json(varying(read(out / f"{cid}{SUFFIXES['json']}"),
                                                    "json"))
    for fmt in FORMATS[1:]:
        yield (f"{cid}/analyse{SUFFIXES[fmt]}",
               norm.text(varying(read(out / f"{cid}{SUFFIXES[fmt]}"), fmt)))
    yield f"{cid}/analyse.stdout.txt", norm.text(printed.stdout)
    again = Path("reports") / cid
    printed = run("report", out / f"{cid}{SUFFIXES['json']}", "--output-dir", again,
                  "--format", "md,csv,html")
    for fmt in ("md", "csv", "html"):
        text = read(again / f"{cid}{SUFFIXES[fmt]}")
        expected = read(out / f"{cid}{SUFFIXES[fmt]}")
        assert text == expected, f"report --format {fmt} differs from analyse's"
    yield f"{cid}/report.stdout.txt", norm.text(printed.stdout)


def outputs(tmp_path: Path, inputs: Mapping[str, Sequence[Path]]) -> Iterator[tuple[str, str]]:
    """(golden file name, normalised text) of every output, in a fixed order.

    The commands run in ``tmp_path`` with paths relative to it, as a user would type them, so
    that the paths the outputs quote (and the width of the summary table) are the same in any
    temporary folder.
    """
    shutil.copyfile(RULES, tmp_path / "rules.json")
    rules = Path("rules.json")
    norm = Normaliser(tmp_path)
    analyses = Path("analyses")
    for cid, absolute in inputs.items():
        files = [p.relative_to(tmp_path) for p in absolute]
        yield from analyse_and_report(
            cid, [*files, "--rules", rules, "--meta", "clinician_id=C01",
                  "--meta", f"date=2026-03-0{1 + list(inputs).index(cid)}"], norm)
    cohort = Path("cohort")
    run("report", "--cohort", analyses, "--output-dir", cohort)
    for name in ("cohort.report.html", "cohort.report.md"):
        yield f"cohort/{name}", norm.text(read(cohort / name))
    yield from _batch(tmp_path, inputs, rules, norm)


def _batch(tmp_path: Path, inputs: Mapping[str, Sequence[Path]], rules: Path,
           norm: Normaliser) -> Iterator[tuple[str, str]]:
    manifest = tmp_path / "manifest.csv"
    rows = ["path,id,clinician_id,date,consent,site"]
    for n, (cid, files) in enumerate(inputs.items(), 1):
        paths = ";".join(f.relative_to(tmp_path).as_posix() for f in files)
        rows.append(f"{paths},{cid},C0{n},2026-03-0{n},yes,north")
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    run_dir = tmp_path / "run"
    run("-q", "batch", manifest, "-o", run_dir, "--rules", rules, "--workers", "1")
    exports = tmp_path / "exports"
    run("-q", "export", run_dir, "-o", exports, "--per-consultation",
        "eaf,textgrid,rttm,vtt,json")
    for cid in inputs:
        text = read(exports / "json" / f"{cid}.analysis.json")
        yield f"batch/json/{cid}.analysis.json", norm.json(text)
    for path in sorted(p for p in exports.rglob("*") if p.is_file() and p.suffix != ".json"):
        name = path.relative_to(exports).as_posix()
        yield f"batch/{name}", norm.text(read(path))


# How long each audio stage took (provenance ``timings_s``), in the JSON and the reports.
STAGE_TIME = re.compile(r'("?(?:decode|diarise|transcribe)"?: )[0-9][0-9.e-]*')


def recording_outputs(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(golden file name, normalised text) of ``analyse`` and ``report`` on the recording."""
    shutil.copyfile(RULES, tmp_path / "rules.json")
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    write_wav(folder / f"{RECORDING_ID}.wav", [np.zeros(int(XMAX * RATE), dtype=np.float32)])
    wav = Path("in") / f"{RECORDING_ID}.wav"
    yield from analyse_and_report(
        RECORDING_ID, [wav, "--rules", "rules.json", "--overlaps", "off", "--language", "en",
                       "--meta", "clinician_id=C03"],
        Normaliser(tmp_path), recording_times)


def recording_times(text: str, fmt: str) -> str:
    """The three stage times replaced in an output of the recording (the CSV has none)."""
    if fmt == "csv":
        return text
    placeholder = '"<STAGE_S>"' if fmt == "json" else "<STAGE_S>"
    text, n = STAGE_TIME.subn(lambda m: m[1] + placeholder, text)
    assert n == 3, f"the {fmt} output of a recording shows the three stage times"
    return text


def check_golden(produced: Mapping[str, str], folders: Sequence[str]) -> None:
    """``produced`` equals the golden files in the golden ``folders`` (after writing them, with
    CONSULT_AUDIO_UPDATE_GOLDEN=1)."""
    if UPDATE:
        for name, text in produced.items():
            path = GOLDEN / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")
    expected = sorted(p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*")
                      if p.is_file() and p != RULES
                      and p.relative_to(GOLDEN).parts[0] in folders)
    assert sorted(produced) == expected, "outputs made and golden files differ in names"
    for name, text in produced.items():
        assert text == read(GOLDEN / name), f"{name} differs from tests/data/golden/{name}"


@pytest.mark.skipif(importlib.util.find_spec("av") is None, reason="PyAV is not installed")
def test_recording_outputs_match_the_golden_files(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from consult_audio.audio import pipeline as pipeline_module

    monkeypatch.setattr(pipeline_module, "AudioPipeline",
                        functools.partial(recording_pipeline, pipeline_module.AudioPipeline))
    monkeypatch.chdir(tmp_path)
    check_golden(dict(recording_outputs(tmp_path)), [RECORDING_ID])


def test_outputs_match_the_golden_files(tmp_path: Path, inputs: dict[str, list[Path]],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    produced = dict(outputs(tmp_path, inputs))
    others = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir() and p.name != RECORDING_ID)
    check_golden(produced, others)
