"""What every module of the audio stack stands on: one voice-activity module with two named
presets, one choice of device, torch threads restored, no import loop, the rules in use read by
the pipeline, and each recording's provenance returned with it."""

from __future__ import annotations

import ast
import importlib.util
import json
import struct
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from audio_support import (
    RATE,
    LiteralDiariser,
    LiteralTranscriber,
    needs_espeak,
    speak,
    write_wav,
)
from click.testing import CliRunner

from consult_audio.audio.assemble import acknowledgement_check, speaker_segments
from consult_audio.audio.device import choose_device, torch_threads
from consult_audio.audio.pipeline import AudioOptions, AudioPipeline
from consult_audio.audio.turns import Diarisation, Turn
from consult_audio.audio.vad import DECODING, TURNS
from consult_audio.audio.voices import VoiceEstimate
from consult_audio.errors import ConsultAudioError
from consult_audio.model import Role, Word
from consult_audio.rules import Rules, default_rules, load_rules

AUDIO_PACKAGE = Path(__file__).resolve().parents[1] / "src" / "consult_audio" / "audio"
needs_faster_whisper = pytest.mark.skipif(importlib.util.find_spec("faster_whisper") is None,
                                          reason="faster-whisper is not installed")
needs_av = pytest.mark.skipif(importlib.util.find_spec("av") is None,
                              reason="PyAV is not installed")

# A patient talks from 0 to 6 s; the clinician is heard over them at 2.0-2.5 s and 4.0-4.6 s,
# and then asks a question. Whisper wrote the clinician's "aye" into the patient's stream.
EXCLUSIVE = (Turn(0.0, 6.0, "A"), Turn(6.5, 9.0, "B"))
OVERLAPS = (Turn(2.0, 2.5, "B"), Turn(4.0, 4.6, "B"))
DIARISATION = Diarisation(tuple(sorted(EXCLUSIVE + OVERLAPS)), EXCLUSIVE, "embedded",
                          voices=VoiceEstimate(2, 0.9, False, 2))
WORDS = (Word("so", 0.8, 1.1), Word("the", 1.6, 1.9), Word("aye", 2.1, 2.4),
         Word("pain", 2.6, 3.0), Word("started", 3.1, 3.6), Word("on", 4.1, 4.3),
         Word("Monday.", 4.4, 5.8), Word("Tell", 6.6, 6.9), Word("me", 7.0, 7.2),
         Word("more.", 7.3, 7.8))


def rules_with_token(tmp_path: Path, token: str) -> Path:
    """A user's rules file: the packaged rules with ``token`` added to the acknowledgements."""
    raw = json.loads(resources.files("consult_audio").joinpath("data/rules.json")
                     .read_text(encoding="utf-8"))
    assert token not in raw["backchannel"]["tokens"]
    raw["backchannel"]["tokens"].append(token)
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


# --- voice activity ------------------------------------------------------------------------------


@needs_faster_whisper
def test_vad_presets_are_the_settings_each_caller_had() -> None:
    from faster_whisper.vad import VadOptions

    # the recogniser used faster-whisper's defaults with 2 s of silence and 0.4 s pads
    assert DECODING.options() == VadOptions(min_silence_duration_ms=2000, speech_pad_ms=400)
    # the diarisers: threshold 0.5, no region under 150 ms, a 250-ms silence ends one, 60-ms pads
    assert TURNS.options() == VadOptions(threshold=0.5, min_speech_duration_ms=150,
                                         min_silence_duration_ms=250, speech_pad_ms=60)


@needs_faster_whisper
@needs_espeak
def test_decoding_keeps_a_pause_inside_a_region_and_turns_split_at_it() -> None:
    from consult_audio.audio.vad import speech_regions

    first, second = speak("Good morning.", "en-gb+m3"), speak("How are you today?", "en-gb+m3")
    silence = np.zeros(RATE, dtype=np.float32)  # a 1-s pause between the two sentences
    samples = np.concatenate([silence, first, silence, second, silence])
    turns = speech_regions(samples, TURNS)
    decoding = speech_regions(samples, DECODING)
    second_starts = 2.0 + len(first) / RATE  # s; espeak's own trailing silence is in the pause
    assert len(turns) == 2 and turns[0][1] < second_starts < turns[1][0]  # the pause splits turns
    assert len(decoding) == 1  # a pause under 2 s stays inside the region
    (start, end), = decoding
    # 0.4-s pads rather than 0.06-s ones
    assert turns[0][0] - 0.4 <= start <= turns[0][0] - 0.3
    # ...and under 2 s of silence at the end leaves the region open to the end of the audio
    assert end == pytest.approx(len(samples) / RATE, abs=0.05) and end > turns[1][1] + 0.3


# --- devices and threads -------------------------------------------------------------------------


def test_one_choice_of_device() -> None:
    calls: list[str] = []

    def gpu(answer: bool) -> Callable[[], bool]:
        def probe() -> bool:
            calls.append("asked")
            return answer
        return probe

    assert choose_device("auto", gpu=gpu(True)) == "cuda"
    assert choose_device("auto", gpu=gpu(False)) == "cpu"
    assert choose_device("cuda:1", gpu=gpu(True)) == "cuda:1"
    calls.clear()
    assert choose_device("cpu", gpu=gpu(True)) == "cpu"
    assert choose_device("auto", gpu=gpu(True), auto_gpu=False) == "cpu"
    assert calls == []  # no library is asked about a GPU when none can be used
    with pytest.raises(ConsultAudioError, match="no CUDA GPU.*--device cpu"):
        choose_device("cuda", gpu=gpu(False))
    with pytest.raises(ConsultAudioError, match="unknown device 'tpu'"):
        choose_device("tpu", gpu=gpu(True))


def test_torch_threads_are_restored_after_the_block() -> None:
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError, match="inside"), torch_threads(1):
        raise RuntimeError("inside")
    assert torch.get_num_threads() == before
    with torch_threads(0):  # 0 leaves torch's setting alone
        assert torch.get_num_threads() == before


# --- imports -------------------------------------------------------------------------------------


def _audio_imports() -> dict[str, set[str]]:
    """Each module of consult_audio.audio and the modules of the package it imports anywhere in
    its body (functions included), read from the source."""
    graph: dict[str, set[str]] = {}
    for path in AUDIO_PACKAGE.glob("*.py"):
        name = "consult_audio.audio" + ("" if path.stem == "__init__" else f".{path.stem}")
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "consult_audio.audio":
                found |= {f"consult_audio.audio.{a.name}" for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "consult_audio.audio."):
                found.add(str(node.module))
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("consult_audio.audio.")}
        graph[name] = found - {name}
    return graph


def test_no_import_loop_in_the_audio_package() -> None:
    graph = _audio_imports()
    loops: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        for target in sorted(graph.get(module, ())):
            if target in path:
                loops.append([*path[path.index(target):], target])
            elif target in graph:
                visit(target, [*path, target])

    for module in sorted(graph):
        visit(module, [module])
    assert loops == []
    # the registry and the checkpoint converter share ModelError without importing each other
    assert "consult_audio.audio.models" not in graph["consult_audio.audio.convert"]


def test_model_error_is_one_class_and_the_converter_raises_it() -> None:
    from consult_audio.audio import errors, models
    from consult_audio.audio.convert import read_ct2

    assert models.ModelError is errors.ModelError
    name = b"BertSpec"
    data = struct.pack("<I", 6) + struct.pack("<H", len(name) + 1) + name + b"\0"
    with pytest.raises(models.ModelError, match="not a CTranslate2 Whisper model"):
        read_ct2(data)


# --- the rules in use, and what one run returns --------------------------------------------------


def _said(segments: Sequence[Any]) -> list[tuple[str, str]]:
    return [(s.speaker, s.text) for s in segments]


def test_acknowledgement_words_come_from_the_rules_given(tmp_path: Path) -> None:
    packaged = default_rules()
    user = load_rules(rules_with_token(tmp_path, "aye"))
    assert not acknowledgement_check(packaged)("aye") and acknowledgement_check(user)("Aye,")
    assert acknowledgement_check(user)("yeah") and not acknowledgement_check(user)("you")

    kept = speaker_segments(WORDS, DIARISATION, is_acknowledgement=acknowledgement_check(packaged))
    # with the packaged rules "aye" is the patient's word, and the clinician's two overlaps are
    # unrecognised vocalisations (appended after the utterances)
    assert _said(kept) == [("A", "so the aye pain started on Monday."), ("B", "Tell me more."),
                           ("B", "<VOCALISATION/>"), ("B", "<VOCALISATION/>")]
    moved = speaker_segments(WORDS, DIARISATION, is_acknowledgement=acknowledgement_check(user))
    # with the user's, it is the clinician's acknowledgement in the first overlap
    assert _said(moved) == [("A", "so the pain started on Monday."), ("B", "aye"),
                            ("B", "Tell me more."), ("B", "<VOCALISATION/>")]
    aye = moved[1]
    assert (aye.start, aye.end) == (2.0, 2.5)  # widened to the overlap it was heard in


def literal_pipeline(rules: Rules | None = None,
                     options: AudioOptions | None = None) -> AudioPipeline:
    """The real pipeline with literal words and turns (overlap detection off)."""
    return AudioPipeline(options or AudioOptions(overlaps="off"), rules=rules,
                         transcriber=LiteralTranscriber(WORDS),
                         diarisers={"embedded": LiteralDiariser(DIARISATION)})


def _recording(path: Path, seconds: float) -> Path:
    return write_wav(path, [np.zeros(int(seconds * RATE), dtype=np.float32)])


@needs_av
def test_a_run_returns_the_consultation_with_its_provenance(tmp_path: Path) -> None:
    pipeline = literal_pipeline()
    first = pipeline.run(_recording(tmp_path / "first.wav", 10.0), consultation_id="first")
    second = pipeline.run(_recording(tmp_path / "second.wav", 12.0), consultation_id="second")
    assert not hasattr(pipeline, "last_run")  # nothing of one recording stays for the next
    assert (first.consultation.id, first.audio.duration_s) == ("first", 10.0)
    assert (second.consultation.id, second.audio.duration_s) == ("second", 12.0)
    provenance = first.provenance()
    assert list(provenance) == ["models", "transcriber", "diarisers", "audio_settings", "audio",
                                "timings_s", "voices", "diarisation"]
    assert provenance["models"] == [{"name": "literal words"}, {"name": "literal turns"}]
    assert provenance["diarisers"] == {"embedded": {"diariser": "literal"}}
    assert provenance["audio"] == {"duration_s": 10.0, "channels": 1, "source_channels": 1,
                                   "codec": "pcm_s16le", "sample_rate": 16000,
                                   "diariser": "embedded", "speakers": ["A", "B"]}
    assert set(provenance["timings_s"]) == {"decode", "diarise", "transcribe"}
    assert provenance["voices"] == VoiceEstimate(2, 0.9, False, 2).to_dict()
    assert provenance["diarisation"]["turns"][:2] == [
        {"start": 0.0, "end": 6.0, "speaker": "A"}, {"start": 2.0, "end": 2.5, "speaker": "B"}]
    assert provenance["audio_settings"]["overlaps"] == "off"
    json.dumps(provenance)  # it goes into the analysis JSON as it is


@needs_av
def test_the_pipeline_reads_acknowledgements_from_the_rules_it_is_given(tmp_path: Path) -> None:
    from consult_audio.analysis import analyse

    wav = _recording(tmp_path / "visit.wav", 10.0)
    user = load_rules(rules_with_token(tmp_path, "aye"))
    roles = {"A": Role.PATIENT, "B": Role.CLINICIAN}
    packaged = literal_pipeline().run(wav, roles=roles).consultation
    theirs = literal_pipeline(user).run(wav, roles=roles).consultation
    assert [(u.speaker, u.raw_text) for u in packaged.utterances] == [
        ("A", "so the aye pain started on Monday."), ("B", "<VOCALISATION/>"),
        ("B", "<VOCALISATION/>"), ("B", "Tell me more.")]
    assert [(u.speaker, u.raw_text) for u in theirs.utterances] == [
        ("A", "so the pain started on Monday."), ("B", "aye"), ("B", "<VOCALISATION/>"),
        ("B", "Tell me more.")]
    assert analyse(theirs, rules=user).metrics.interruptions.backchannels_by_clinician == 2


@needs_av
def test_analyse_passes_its_rules_to_the_audio_pipeline(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``analyse --rules`` on a recording: the user's acknowledgement words decide whose the
    word heard in the overlap is (the packaged rules did, whatever --rules said)."""
    from consult_audio.audio import pipeline as pipeline_module
    from consult_audio.cli import main

    monkeypatch.setattr(pipeline_module, "AudioPipeline",
                        lambda options, **kw: literal_pipeline(kw.get("rules"), options))
    wav = _recording(tmp_path / "visit.wav", 10.0)
    rules = rules_with_token(tmp_path, "aye")
    said = {}
    for name, extra in (("packaged", []), ("user", ["--rules", str(rules)])):
        out = tmp_path / name
        result = CliRunner().invoke(main, [
            "-q", "analyse", str(wav), "-o", str(out), "--overlaps", "off", "--language", "en",
            "--role", "A=patient", "--role", "B=clinician", *extra])
        assert result.exit_code == 0, result.output
        data = json.loads((out / "visit.analysis.json").read_text(encoding="utf-8"))
        said[name] = [(u["speaker"], u["text"]) for u in data["utterances"]]
        assert data["provenance"]["audio"]["speakers"] == ["A", "B"]
    assert ("A", "so the aye pain started on Monday.") in said["packaged"]
    assert ("B", "aye") not in said["packaged"]
    assert ("A", "so the pain started on Monday.") in said["user"] and ("B", "aye") in said["user"]


@needs_av
def test_gap_refill_is_off_by_default_and_the_flag_turns_it_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chosen on the real OSCE recordings (no lower word error rate, a fifth more time):
    ``--refill-gaps`` asks for it, and the analysis records which was used."""
    from consult_audio.audio import pipeline as pipeline_module
    from consult_audio.cli import main

    made: list[AudioOptions] = []

    def pipeline(options: AudioOptions, **kw: Any) -> AudioPipeline:
        made.append(options)
        return literal_pipeline(kw.get("rules"), options)

    monkeypatch.setattr(pipeline_module, "AudioPipeline", pipeline)
    wav = _recording(tmp_path / "visit.wav", 10.0)
    recorded = []
    for name, extra in (("default", []), ("refill", ["--refill-gaps"])):
        out = tmp_path / name
        result = CliRunner().invoke(main, ["-q", "analyse", str(wav), "-o", str(out),
                                           "--overlaps", "off", "--language", "en", *extra])
        assert result.exit_code == 0, result.output
        data = json.loads((out / "visit.analysis.json").read_text(encoding="utf-8"))
        recorded.append(data["provenance"]["audio_settings"]["transcribe"]["refill_gaps"])
    assert [o.transcribe.refill_gaps for o in made] == [False, True]
    assert recorded == [False, True]
