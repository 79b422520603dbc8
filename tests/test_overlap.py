"""Overlapped-speech detection: pure helpers from literal data; the real pyannote segmentation
model (shipped in the whisperx wheel) on espeak-ng speech with a known overlap."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from audio_support import RATE, needs_espeak, speak

from consult_audio.audio.decode import Audio
from consult_audio.audio.models import ModelError, resolve
from consult_audio.audio.overlap import (
    OverlapDetector,
    OverlapOptions,
    hysteresis_regions,
)
from consult_audio.errors import ConsultAudioError
from consult_audio.privacy.network import block_network

# --- pure helpers ------------------------------------------------------------------------------


def test_hysteresis_starts_above_onset_and_ends_below_offset() -> None:
    scores = np.array([0.0, 0.5, 0.4, 0.4, 0.3, 0.0, 0.0], dtype=np.float32)
    # onset 0.45 at frame 1, held above offset 0.35 through frame 3, ends at frame 4
    assert hysteresis_regions(scores, start=0.0, step=1.0, onset=0.45, offset=0.35,
                              min_duration=0.0, min_gap=0.0) == [(0.5, 3.5)]
    # never reaching onset: nothing, however long above offset
    assert hysteresis_regions(np.full(10, 0.4), start=0.0, step=1.0, onset=0.45, offset=0.35,
                              min_duration=0.0, min_gap=0.0) == []


def test_hysteresis_joins_short_gaps_and_drops_short_regions() -> None:
    scores = np.zeros(100, dtype=np.float32)
    scores[10:20] = 0.9  # 0.1 s (frames of 0.01 s)
    scores[22:40] = 0.9  # after a 0.02 s gap: joined
    scores[70:73] = 0.9  # 0.03 s alone: dropped
    regions = hysteresis_regions(scores, start=0.005, step=0.01, onset=0.5, offset=0.5,
                                 min_duration=0.05, min_gap=0.05)
    assert regions == [pytest.approx((0.10, 0.40))]


def test_hysteresis_region_open_at_the_end_closes_there() -> None:
    regions = hysteresis_regions(np.array([0.0, 0.9, 0.9]), start=0.5, step=1.0, onset=0.5,
                                 offset=0.5, min_duration=0.0, min_gap=0.0)
    assert regions == [(1.0, 3.0)]


def test_options_refuse_offset_above_onset() -> None:
    with pytest.raises(ConsultAudioError, match="offset <= onset"):
        OverlapOptions(onset=0.3, offset=0.5)
    with pytest.raises(ConsultAudioError):
        OverlapOptions(step=0.0)


def test_importing_the_module_loads_neither_torch_nor_pyannote() -> None:
    code = ("import sys, consult_audio.audio.overlap; "
            "print(any(m.split('.')[0] in ('torch', 'pyannote', 'whisperx') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout.strip()
    assert out == "False"


def test_corrupt_checkpoint_is_refused_before_loading(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "pyannote-segmentation"
    folder.mkdir()
    (folder / "pytorch_model.bin").write_bytes(b"not the model")
    monkeypatch.setenv("CONSULT_AUDIO_MODELS", str(tmp_path))
    with pytest.raises(ModelError, match="does not match its SHA-256"):
        OverlapDetector().load()


# --- the real model ----------------------------------------------------------------------------


def _model_missing() -> str | None:
    if importlib.util.find_spec("pyannote.audio") is None:
        return "pyannote.audio is not installed (pip install 'consult-audio[pyannote]')"
    try:
        resolve("pyannote-segmentation")
    except ModelError as err:
        return f"the pyannote segmentation checkpoint is absent ({err}); scripts/setup.sh " \
               "installs whisperx==3.8.6 --no-deps, which ships it"
    return None


_missing = _model_missing()
needs_model = pytest.mark.skipif(_missing is not None, reason=_missing or "")

LEAD = 1.0  # s of silence before the first voice
SENTENCE = ("I have had this pain in my lower back for about three weeks now, and it gets worse "
            "when I sit at my desk for a long time at work")
FIRST, SECOND = "en-us+f4", "en-gb+m3"  # the two voices of audio_support.VOICES
BACKCHANNEL_AT = 2.0  # s into the sentence where the second voice says "yeah"


@pytest.fixture(scope="module")
def detector() -> Iterator[OverlapDetector]:
    found = OverlapDetector()
    found.load()
    yield found


def _audio(samples: npt.NDArray[np.float32]) -> Audio:
    return Audio(samples[None].astype(np.float32), RATE, "generated", 1)


def _place(track: npt.NDArray[np.float32], speech: npt.NDArray[np.float32], at: float) -> None:
    start = int(at * RATE)
    track[start:start + len(speech)] += speech


def _mixed(*, overlapped: bool, words: str = "yeah") -> tuple[Audio, tuple[float, float]]:
    """The long sentence by one voice and ``words`` by another: inside the sentence at
    :data:`BACKCHANNEL_AT` when ``overlapped``, else 1 s after it. Returns the audio and the span
    (s) of ``words``."""
    sentence, yeah = speak(SENTENCE, FIRST), speak(words, SECOND)
    after = LEAD + len(sentence) / RATE + 1.0
    at = LEAD + BACKCHANNEL_AT if overlapped else after
    track = np.zeros(int((after + len(yeah) / RATE + 1.0) * RATE), dtype=np.float32)
    _place(track, 0.5 * sentence, LEAD)
    _place(track, 0.5 * yeah, at)
    return _audio(track), (at, at + len(yeah) / RATE)


@needs_model
@needs_espeak
@pytest.mark.parametrize("words", ["yeah", "okay right"])
def test_a_backchannel_inside_a_sentence_is_found(detector: OverlapDetector, words: str) -> None:
    audio, (start, end) = _mixed(overlapped=True, words=words)
    with block_network():
        regions = detector.regions(audio)
    assert any(a < end + 0.3 and b > start - 0.3 for a, b in regions), regions
    # nothing far from the backchannel: one overlap, around it
    assert all(a < end + 1.0 and b > start - 1.0 for a, b in regions), regions
    assert "whisperx" not in sys.modules


@needs_model
@needs_espeak
@pytest.mark.parametrize("words", ["yeah", "okay right"])
def test_the_same_words_taking_turns_give_no_overlap(detector: OverlapDetector,
                                                      words: str) -> None:
    audio, _ = _mixed(overlapped=False, words=words)
    assert detector.regions(audio) == []


@needs_model
def test_silence_and_a_short_recording_give_no_overlap(detector: OverlapDetector) -> None:
    assert detector.regions(_audio(np.zeros(RATE * 3, dtype=np.float32))) == []
    scores = detector.scores(_audio(np.zeros(RATE * 12, dtype=np.float32)))
    assert 11.9 <= scores.times()[-1] <= 12.1  # frames up to the end, no further
    assert float(scores.overlap.max()) < 0.1


@needs_model
def test_provenance_names_the_pinned_checkpoint(detector: OverlapDetector) -> None:
    provenance = detector.provenance()
    (model,) = provenance["models"]
    assert model["name"] == "pyannote-segmentation"
    assert model["sha256"]["pytorch_model.bin"] == resolve("pyannote-segmentation").spec.files[
        0].sha256
