"""Decode any common audio or video file to 16 kHz float32 samples with PyAV (no system ffmpeg).

Stereo is kept as two channels so that a dual-channel telehealth recording (one speaker per channel)
can be diarised by channel; anything with more than two channels is mixed down to mono.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from consult_audio.errors import InputError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000  # Hz, what Whisper and the diarisers expect
MIN_DURATION = 1.0  # s; shorter recordings cannot hold a consultation
FRAME = 0.1  # s, the hop of the channel-activity analysis
CHANNEL_DOMINANCE_DB = 10.0  # dB louder than the other channel counts as "this channel speaking"
DISTINCT_FRACTION = 0.6  # share of active frames where one channel dominates: channels distinct
SILENCE_DBFS = -50.0  # frames quieter than this in every channel are silence
MAX_PREALLOCATE_S = 4 * 3600.0  # s; longer recordings grow the buffer as they decode


@dataclass(frozen=True)
class Audio:
    """Decoded audio.

    ``samples`` has shape ``(channels, n)``, float32 in [-1, 1], at :data:`SAMPLE_RATE`;
    ``source_channels`` is the channel count of the file before any mixing.
    """

    samples: npt.NDArray[np.float32]
    sample_rate: int
    source: str
    source_channels: int
    codec: str = ""

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return float(self.samples.shape[1] / self.sample_rate)

    def mono(self) -> npt.NDArray[np.float32]:
        """All channels mixed to one, shape ``(n,)``."""
        if self.channels == 1:
            return np.asarray(self.samples[0], dtype=np.float32)
        return np.asarray(self.samples.mean(axis=0, dtype=np.float32), dtype=np.float32)

    def channel(self, index: int) -> npt.NDArray[np.float32]:
        return np.asarray(self.samples[index], dtype=np.float32)


def load_audio(path: Path, *, sample_rate: int = SAMPLE_RATE) -> Audio:
    """Decode the first audio stream of ``path``, resampled to ``sample_rate``.

    Raises :class:`InputError` for a missing, empty, corrupt or truncated file, a file with no
    audio stream (a silent video), or one shorter than :data:`MIN_DURATION`.
    """
    import av  # PyAV: heavy, imported only when audio is decoded

    if not path.exists():
        raise InputError(path, "file not found; check the path")
    if path.is_dir():
        raise InputError(path, "is a directory; give an audio or video file")
    if path.stat().st_size == 0:
        raise InputError(path, "the file is empty (0 bytes); record or copy it again")
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as err:
        raise InputError(path, f"cannot decode the file as audio or video ({_reason(err)}); "
                               "check that it is a complete recording in a common format "
                               "(wav, flac, mp3, m4a, ogg, opus, webm, mp4)") from err
    with container:
        streams = list(container.streams.audio)
        if not streams:
            kinds = ", ".join(sorted({str(s.type) for s in container.streams})) or "no streams"
            raise InputError(path, f"no audio track (the file has {kinds}); give a recording "
                                   "with sound")
        stream = streams[0]
        source_channels = stream.codec_context.layout.nb_channels or 1
        layout = "stereo" if source_channels == 2 else "mono"
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=sample_rate)
        n_channels = 2 if layout == "stereo" else 1
        buffer = _Buffer(n_channels, _expected_samples(container, stream, sample_rate))
        try:
            for frame in container.decode(stream):
                if not isinstance(frame, av.AudioFrame):
                    continue
                frame.pts = None  # resample by sample count; broken timestamps do not matter
                for out in resampler.resample(frame):
                    buffer.append(out.to_ndarray())
            for out in resampler.resample(None):
                buffer.append(out.to_ndarray())
        except (av.FFmpegError, OSError, ValueError) as err:
            if not buffer.size:
                raise InputError(path, f"cannot decode the audio ({_reason(err)}); the file "
                                       "may be corrupt") from err
            # A truncated file: keep what decoded, as players do, and say so.
            log.warning("%s: decoding stopped early (%s); using the first %.1f s", path,
                        _reason(err), buffer.size / sample_rate)
        codec = stream.codec_context.name or ""
    audio = Audio(buffer.samples(), sample_rate, str(path), source_channels, codec)
    if audio.duration < MIN_DURATION:
        raise InputError(path, f"only {audio.duration:.2f} s of audio; a consultation recording "
                               f"needs at least {MIN_DURATION:.0f} s")
    return audio


class _Buffer:
    """Decoded samples written into one array sized from the container's duration, so that a
    long recording is not held twice (a list of frames, then their concatenation)."""

    def __init__(self, channels: int, expected: int) -> None:
        self._data = np.zeros((channels, max(expected, SAMPLE_RATE)), dtype=np.float32)
        self.size = 0

    def append(self, frame: npt.NDArray[Any]) -> None:
        n = frame.shape[1]
        if self.size + n > self._data.shape[1]:  # the container under-reported its length
            grown = np.zeros((self._data.shape[0], (self.size + n) * 5 // 4), dtype=np.float32)
            grown[:, : self.size] = self._data[:, : self.size]
            self._data = grown
        self._data[:, self.size:self.size + n] = frame
        self.size += n

    def samples(self) -> npt.NDArray[np.float32]:
        if self.size == self._data.shape[1]:
            return self._data
        return self._data[:, : self.size].copy() if self.size < self._data.shape[1] // 2 \
            else self._data[:, : self.size]


def _expected_samples(container: Any, stream: Any, sample_rate: int) -> int:
    """Samples the decoded stream should hold, from the stream's or the container's duration."""
    seconds = 0.0
    if stream.duration and stream.time_base:
        seconds = float(stream.duration * stream.time_base)
    elif container.duration:
        seconds = container.duration / 1_000_000  # microseconds
    # zeros are allocated lazily, so an over-estimate costs address space only; a corrupt header
    # claiming days is capped
    return int(min(seconds, MAX_PREALLOCATE_S) * sample_rate * 1.01) + sample_rate


def _reason(err: Exception) -> str:
    return str(err).strip() or type(err).__name__


def frame_levels(samples: npt.NDArray[np.float32], *, sample_rate: int = SAMPLE_RATE,
                 frame: float = FRAME) -> npt.NDArray[np.float64]:
    """RMS level in dBFS of consecutive frames, shape ``(channels, frames)``.

    ``samples`` has shape ``(channels, n)``; a final partial frame is dropped.
    """
    hop = int(frame * sample_rate)
    frames = samples.shape[1] // hop
    trimmed = samples[:, : frames * hop].reshape(samples.shape[0], frames, hop)
    rms = np.sqrt(np.mean(np.square(trimmed, dtype=np.float64), axis=2))
    return np.asarray(20.0 * np.log10(np.maximum(rms, 1e-10)), dtype=np.float64)


def channels_distinct(audio: Audio) -> bool:
    """Whether a two-channel recording carries a different speaker on each channel.

    True when, in most frames with speech, one channel is at least
    :data:`CHANNEL_DOMINANCE_DB` louder than the other (telehealth recordings that put each
    party on its own channel); false for mono, for stereo that is the same signal twice, and for
    a room recording made with two microphones.
    """
    if audio.channels != 2:
        return False
    levels = frame_levels(audio.samples, sample_rate=audio.sample_rate)
    active = levels.max(axis=0) > SILENCE_DBFS
    if active.sum() < 10:
        return False
    difference = np.abs(levels[0, active] - levels[1, active])
    return bool(np.mean(difference > CHANNEL_DOMINANCE_DB) >= DISTINCT_FRACTION)
