"""Voice activity detection: where a recording holds speech, by Silero VAD.

The model is the ONNX copy of Silero VAD inside faster-whisper (its weights ship in that wheel; see
``consult-audio models list``, ``silero-vad``). The pipeline asks two questions of it, with two
sets of :class:`VadSettings`:

- :data:`DECODING`: what to give the recogniser. faster-whisper's own defaults: pauses under 2 s
  stay inside a region and each region is padded by 0.4 s, so that no word is clipped; the regions
  are joined and decoded as one stream (:mod:`consult_audio.audio.recognition`).
- :data:`TURNS`: where each speaker's turns are (the diarisers, and the check that a stretch the
  recogniser skipped holds speech). Short pads and a 250-ms silence end a region, so that turns
  end where speech ends; regions under 150 ms (clicks, breaths) are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from consult_audio.audio.decode import SAMPLE_RATE

__all__ = ["DECODING", "TURNS", "VadSettings", "speech_regions"]


@dataclass(frozen=True)
class VadSettings:
    """Settings of Silero VAD.

    The model scores windows of 512 samples (32 ms at 16 kHz) with a speech probability; a region
    starts where it rises above ``threshold`` and ends after ``min_silence_ms`` below it. The
    other settings of faster-whisper's ``VadOptions`` (``neg_threshold``, the hysteresis below
    ``threshold``; ``max_speech_duration_s``, no limit) keep faster-whisper's defaults.

    Attributes
    ----------
    threshold : float
        Speech probability (0-1) above which a window is speech.
    min_speech_ms : int
        Regions shorter than this (ms) are dropped.
    min_silence_ms : int
        Silence (ms) that ends a region; shorter pauses stay inside it.
    pad_ms : int
        Added to each side of a region (ms).
    """

    threshold: float
    min_speech_ms: int
    min_silence_ms: int
    pad_ms: int

    def options(self) -> Any:
        """These settings as faster-whisper's ``VadOptions`` (imports faster-whisper)."""
        from faster_whisper.vad import VadOptions

        return VadOptions(threshold=self.threshold, min_speech_duration_ms=self.min_speech_ms,
                          min_silence_duration_ms=self.min_silence_ms, speech_pad_ms=self.pad_ms)


# What the recogniser decodes: faster-whisper's defaults (threshold 0.5, no shortest region,
# 2 s of silence end a region, 0.4 s pads).
DECODING = VadSettings(threshold=0.5, min_speech_ms=0, min_silence_ms=2000, pad_ms=400)
# Where speakers' turns are: a 250-ms silence ends a turn, 60-ms pads, no region under 150 ms.
TURNS = VadSettings(threshold=0.5, min_speech_ms=150, min_silence_ms=250, pad_ms=60)


def speech_regions(
    samples: npt.NDArray[np.float32], settings: VadSettings = TURNS, *,
    sample_rate: int = SAMPLE_RATE,
) -> list[tuple[float, float]]:
    """Speech regions ``(start, end)`` in seconds, sorted, in mono ``samples`` (n,).

    ``settings`` are :data:`TURNS` unless given (:data:`DECODING` for the recogniser).
    """
    from faster_whisper.vad import get_speech_timestamps

    found = get_speech_timestamps(samples, settings.options(), sampling_rate=sample_rate)
    return [(r["start"] / sample_rate, r["end"] / sample_rate) for r in found]
