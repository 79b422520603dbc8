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
        chunks: list[npt.NDArray[np.float32]] = []
        try:
            for frame in container.decode(stream):
                if not isinstance(frame, av.AudioFrame):
                    continue
                frame.pts = None  # resample by sample count; broken timestamps do not matter
                chunks.extend(_floats(f) for f in resampler.resample(frame))
            chunks.extend(_floats(f) for f in resampler.resample(None))
        except (av.FFmpegError, OSError, ValueError) as err:
            if not chunks:
                raise InputError(path, f"cannot decode the audio ({_reason(err)}); the file "
                                       "may be corrupt") from err
            # A truncated file: keep what decoded, as players do, and say so.
            log.warning("%s: decoding stopped early (%s); using the first %.1f s", path,
                        _reason(err), sum(c.shape[1] for c in chunks) / sample_rate)
        codec = stream.codec_context.name or ""
    n_channels = 2 if layout == "stereo" else 1
    samples = (np.concatenate(chunks, axis=1).astype(np.float32, copy=False) if chunks
               else np.zeros((n_channels, 0), dtype=np.float32))
    del chunks
    audio = Audio(samples, sample_rate, str(path), source_channels, codec)
    if audio.duration < MIN_DURATION:
        raise InputError(path, f"only {audio.duration:.2f} s of audio; a consultation recording "
                               f"needs at least {MIN_DURATION:.0f} s")
    return audio


def _floats(frame: Any) -> npt.NDArray[np.float32]:
    return np.asarray(frame.to_ndarray(), dtype=np.float32)


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
