"""Speaker diarisation behind one interface: who speaks when.

Three diarisers return the same :class:`Diarisation`:

- :class:`EmbeddedDiariser` (the default): Silero VAD (the ONNX model inside faster-whisper),
  GE2E speaker embeddings (the encoder inside resemblyzer) on sliding windows, spectral clustering.
  Its weights ship inside PyPI packages, so a fresh install diarises with no gated download.
- :class:`ChannelDiariser`: one speaker per channel of a dual-channel (telehealth) recording.
- :class:`PyannoteDiariser` (in :mod:`consult_audio.audio.pyannote_diariser`): a pyannote.audio 4
  pipeline loaded from a local directory.

A diarisation keeps two views (as pyannote does): ``turns``, where speakers may overlap (for the
overlap and interruption metrics), and ``exclusive``, with one speaker at a time (for giving each
recognised word to a speaker).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from consult_audio.audio.decode import FRAME, SAMPLE_RATE, Audio, frame_levels
from consult_audio.audio.voices import VoiceEstimate, estimate_voices, voice_labels
from consult_audio.errors import ConsultAudioError, InputError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

# Voice activity (Silero VAD): thresholds as in faster-whisper's defaults, with shorter pads so
# that turns end where speech ends.
VAD_THRESHOLD = 0.5  # speech probability above which a 32 ms window is speech
VAD_MIN_SILENCE_MS = 250  # ms of silence that end a speech region
VAD_MIN_SPEECH_MS = 150  # ms; shorter regions are clicks or breaths
VAD_PAD_MS = 60  # ms added to each side of a region

# Speaker embeddings (resemblyzer GE2E): 40 mel bands every 10 ms, windows of 160 frames.
FRAMES_PER_S = 100  # mel frames per second (10 ms hop)
WINDOW_FRAMES = 160  # 1.6 s, the window the encoder was trained on
HOP_FRAMES = 40  # 0.4 s between windows
EMBED_BATCH = 128  # windows per forward pass
MEL_BLOCK_S = 60.0  # s of audio per block of the mel spectrogram
TARGET_DBFS = -30.0  # dBFS, resemblyzer's volume normalisation
MAX_CLUSTER_WINDOWS = 3000  # more windows are clustered on a subsample, the rest by centroid
MIN_RUN_S = 0.3  # s; a shorter run of one speaker inside another's speech is smoothed away
# Clusters whose mean embeddings are this similar (cosine) are one voice: measured 0.936-0.938 for
# one espeak voice split in two, 0.70-0.75 for two voices in a room, 0.88 for two people on a
# narrow-band phone line (pyannote's sample call).
SAME_SPEAKER_SIMILARITY = 0.92

# Dual-channel recordings: a region on one channel counts only when that channel is not far
# quieter than the other there (leakage of the other party into the microphone).
LEAK_DB = 15.0  # dB


@dataclass(frozen=True, order=True)
class Turn:
    """A stretch of speech of one speaker, in seconds."""

    start: float
    end: float
    speaker: str

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Diarisation:
    """Who speaks when.

    ``turns`` may overlap; ``exclusive`` has at most one speaker at any time. ``channel_of``
    maps a speaker to the channel that carries only them (dual-channel recordings), so that each
    channel can be transcribed on its own. ``voices`` is the estimate of how many voices the
    recording holds (``None`` when the diariser makes none).
    """

    turns: tuple[Turn, ...]
    exclusive: tuple[Turn, ...]
    method: str
    channel_of: dict[str, int] = field(default_factory=dict)
    voices: VoiceEstimate | None = None

    @property
    def speakers(self) -> tuple[str, ...]:
        return tuple(sorted({t.speaker for t in self.turns}))


class Diariser(Protocol):
    """Anything that diarises decoded audio."""

    name: str

    def diarise(self, audio: Audio, *, min_speakers: int, max_speakers: int,
                progress: Callable[[float], None] | None = None) -> Diarisation:
        """Who speaks when; ``progress`` receives the fraction done (0-1) now and then."""
        ...

    def provenance(self) -> dict[str, Any]: ...


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run torch's CPU operators on ``count`` threads inside the block (0: leave as is), then
    restore. Process-wide: parallel workers each set their share of the cores."""
    if count <= 0:
        yield
        return
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def torch_device(name: str) -> torch.device:
    """The torch device called ``name``: ``auto`` (CUDA when torch sees a GPU, else the CPU),
    ``cpu``, ``cuda`` or ``cuda:N``; a clear error for an unknown name or a missing GPU."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as err:
        raise ConsultAudioError(f"unknown device {name!r}; use auto, cpu or cuda") from err
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConsultAudioError(f"device {name!r} asked for, but torch sees no CUDA GPU; use "
                                "--device cpu or auto")
    return device


@functools.cache
def shipped_model_provenance(name: str) -> dict[str, Any]:
    """Name, licence and SHA-256 of a model whose weights ship in an installed package, hashed
    once per process: provenance is asked for after every file of a batch."""
    from consult_audio.audio.models import resolve

    return resolve(name).provenance()


# --- voice activity ------------------------------------------------------------------------------


def speech_regions(
    samples: npt.NDArray[np.float32], *, sample_rate: int = SAMPLE_RATE,
    min_silence_ms: int = VAD_MIN_SILENCE_MS,
) -> list[tuple[float, float]]:
    """Speech regions ``(start, end)`` in seconds found by Silero VAD in mono ``samples`` (n,)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(threshold=VAD_THRESHOLD, min_speech_duration_ms=VAD_MIN_SPEECH_MS,
                         min_silence_duration_ms=min_silence_ms, speech_pad_ms=VAD_PAD_MS)
    found = get_speech_timestamps(samples, options, sampling_rate=sample_rate)
    return [(r["start"] / sample_rate, r["end"] / sample_rate) for r in found]


def require_speech(audio: Audio, regions: Sequence[tuple[float, float]],
                   *, minimum: float = 1.0) -> None:
    """:class:`InputError` when the recording holds less than ``minimum`` seconds of speech."""
    speech = sum(end - start for start, end in regions)
    if speech < minimum:
        found = "no speech" if speech == 0 else f"only {speech:.1f} s of speech"
        raise InputError(audio.source, f"{found} found in {audio.duration:.0f} s of audio; "
                                       "check the recording (is it silent, or the wrong file?)")


# --- the embedded diariser -----------------------------------------------------------------------


class EmbeddedDiariser:
    """VAD, GE2E embeddings on 1.6 s windows every 0.4 s, spectral clustering, frame voting."""

    name = "embedded"

    def __init__(self, *, device: str = "cpu", threads: int = 0) -> None:
        self._device = device
        self._threads = threads  # torch CPU threads (0: torch's default, every core)
        self._encoder: Any = None

    def provenance(self) -> dict[str, Any]:
        return {"diariser": self.name,
                "models": [shipped_model_provenance("resemblyzer-ge2e"),
                           shipped_model_provenance("silero-vad")]}

    def _load(self) -> Any:
        if self._encoder is None:
            from resemblyzer import VoiceEncoder

            from consult_audio.audio.models import resolve

            weights = resolve("resemblyzer-ge2e")  # checks the shipped weights' SHA-256
            assert weights.parts
            self._encoder = VoiceEncoder(self._device, verbose=False,
                                         weights_fpath=weights.parts["pretrained.pt"][0])
        return self._encoder

    def diarise(self, audio: Audio, *, min_speakers: int = 2, max_speakers: int = 2,
                progress: Callable[[float], None] | None = None) -> Diarisation:
        mono = audio.mono()
        regions = speech_regions(mono, sample_rate=audio.sample_rate)
        require_speech(audio, regions)
        if progress:
            progress(0.15)  # voice activity: about a sixth of the time
        embeddings, windows = self._embed(mono, regions, audio.sample_rate, progress)
        main = merge_same_voice(embeddings, cluster(embeddings, min_speakers=min(2, max_speakers),
                                                    max_speakers=min(2, max_speakers)))
        estimate = estimate_voices(embeddings, windows, regions, main_labels=main, separated=2)
        wanted = min(max(estimate.count, min_speakers), max_speakers)
        if wanted <= 2:
            labels = main if min_speakers == max_speakers == 2 else cluster(
                embeddings, min_speakers=wanted, max_speakers=wanted)
        else:
            labels = voice_labels(embeddings, windows, regions, main_labels=main, count=wanted)
        labels = merge_same_voice(embeddings, labels)
        turns = _turns_from_votes(regions, windows, labels)
        separated = len({t.speaker for t in turns})
        return Diarisation(tuple(turns), tuple(turns), self.name,
                           voices=dataclasses.replace(estimate, separated=separated))

    def embed(self, audio: Audio) -> tuple[npt.NDArray[np.float32], list[tuple[int, int]],
                                           list[tuple[float, float]]]:
        """The speaker embeddings (n, 256) of the mono mix's windows, the windows' frame ranges
        (:data:`FRAMES_PER_S`) and the speech regions (s) they come from."""
        mono = audio.mono()
        regions = speech_regions(mono, sample_rate=audio.sample_rate)
        if not regions:
            return np.empty((0, 256), dtype=np.float32), [], []
        embeddings, windows = self._embed(mono, regions, audio.sample_rate)
        return embeddings, windows, regions

    def count_voices(self, audio: Audio) -> VoiceEstimate:
        """The voice estimate of a recording that another diariser separates (its mono mix)."""
        embeddings, windows, regions = self.embed(audio)
        if not len(embeddings):
            return VoiceEstimate(0, 0.2, False, 0, method="too little speech")
        main = merge_same_voice(embeddings, cluster(embeddings, min_speakers=2, max_speakers=2))
        return estimate_voices(embeddings, windows, regions, main_labels=main, separated=0)

    def _embed(
        self, mono: npt.NDArray[np.float32], regions: Sequence[tuple[float, float]],
        sample_rate: int, progress: Callable[[float], None] | None = None,
    ) -> tuple[npt.NDArray[np.float32], list[tuple[int, int]]]:
        import torch

        encoder = self._load()
        mel = mel_frames(mono)
        n_frames = mel.shape[0]
        windows = _windows(regions, n_frames)
        out = np.empty((len(windows), 256), dtype=np.float32)
        with torch_threads(self._threads), torch.inference_mode():
            for i in range(0, len(windows), EMBED_BATCH):
                batch = np.stack([mel[a:b] for a, b in windows[i:i + EMBED_BATCH]])
                out[i:i + len(batch)] = encoder(torch.from_numpy(batch)).cpu().numpy()
                if progress:
                    progress(0.15 + 0.8 * (i + len(batch)) / len(windows))
        return out, windows


def mel_frames(mono: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """resemblyzer's log-mel frames (frames, 40) of ``mono`` at 16 kHz, computed block by block.

    The whole recording's short-time Fourier transform at once would take over 1 GB for a 2-hour
    recording; blocks of :data:`MEL_BLOCK_S` keep it small. The volume is normalised as
    resemblyzer does (to -30 dBFS, only ever raised), with one gain for the whole recording.
    """
    from resemblyzer.audio import wav_to_mel_spectrogram

    hop = SAMPLE_RATE // FRAMES_PER_S
    block = int(MEL_BLOCK_S * FRAMES_PER_S) * hop
    power = mean_square(mono)
    change_db = TARGET_DBFS - 10.0 * np.log10(max(power, 1e-20))
    gain = np.float32(10.0 ** (change_db / 20.0)) if change_db > 0 else np.float32(1.0)
    pieces = []
    for start in range(0, len(mono), block):
        frames = wav_to_mel_spectrogram(mono[start:start + block] * gain)
        last = start + block >= len(mono)
        pieces.append(frames if last else frames[: block // hop])
    return np.asarray(np.concatenate(pieces), dtype=np.float32)


def mean_square(samples: npt.NDArray[np.float32], *, block: int = 1 << 20) -> float:
    """Mean of the squared samples, summed in double precision a block at a time (a float64 copy
    of a 2-hour recording would take 0.9 GB)."""
    if not len(samples):
        return 0.0
    total = sum(float(np.square(samples[i:i + block], dtype=np.float64).sum())
                for i in range(0, len(samples), block))
    return total / len(samples)


def _windows(regions: Sequence[tuple[float, float]], n_frames: int) -> list[tuple[int, int]]:
    """Frame ranges of the embedding windows: each region covered, short ones centred."""
    windows: list[tuple[int, int]] = []
    for start, end in regions:
        a, b = int(start * FRAMES_PER_S), min(int(end * FRAMES_PER_S), n_frames)
        if b - a <= WINDOW_FRAMES:
            centre = (a + b) // 2
            lo = min(max(0, centre - WINDOW_FRAMES // 2), max(0, n_frames - WINDOW_FRAMES))
            windows.append((lo, lo + WINDOW_FRAMES))
            continue
        starts = list(range(a, b - WINDOW_FRAMES + 1, HOP_FRAMES))
        if starts[-1] + WINDOW_FRAMES < b:
            starts.append(b - WINDOW_FRAMES)
        windows.extend((s, s + WINDOW_FRAMES) for s in starts)
    return [w for w in windows if w[1] <= n_frames]


def cluster(
    embeddings: npt.NDArray[np.float32], *, min_speakers: int, max_speakers: int,
) -> npt.NDArray[np.int64]:
    """Speaker label per embedding (rows L2-normalised), by spectral clustering.

    The number of speakers is chosen in ``[min_speakers, max_speakers]`` by the largest eigengap
    of the normalised affinity; more than :data:`MAX_CLUSTER_WINDOWS` rows are clustered on an
    even subsample, and the rest go to the nearest cluster centroid.
    """
    from sklearn.cluster import SpectralClustering

    n = len(embeddings)
    if n < max(2, min_speakers):
        return np.zeros(n, dtype=np.int64)
    step = max(1, -(-n // MAX_CLUSTER_WINDOWS))
    sample = embeddings[::step]
    affinity = np.clip(sample @ sample.T, 0.0, 1.0)
    k = _number_of_speakers(affinity, min_speakers, max_speakers)
    model = SpectralClustering(n_clusters=k, affinity="precomputed", random_state=0,
                               assign_labels="cluster_qr")
    sample_labels = model.fit_predict(affinity)
    if step == 1:
        return np.asarray(sample_labels, dtype=np.int64)
    centroids = np.stack([sample[sample_labels == c].mean(axis=0) for c in range(k)])
    return np.asarray(np.argmax(embeddings @ centroids.T, axis=1), dtype=np.int64)


def merge_same_voice(embeddings: npt.NDArray[np.float32],
                     labels: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Clusters whose centroids are more similar than :data:`SAME_SPEAKER_SIMILARITY` merged
    (a recording of one voice split in two by a fixed number of speakers); labels renumbered."""
    labels = labels.copy()
    while True:
        present = sorted(set(labels.tolist()))
        if len(present) < 2:
            break
        centroids = np.stack([embeddings[labels == k].mean(axis=0) for k in present])
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
        similarity = centroids @ centroids.T
        np.fill_diagonal(similarity, -1.0)
        i, j = np.unravel_index(int(np.argmax(similarity)), similarity.shape)
        if similarity[i, j] <= SAME_SPEAKER_SIMILARITY:
            break
        log.info("two clusters sound like one voice (cosine %.2f): merged", similarity[i, j])
        labels[labels == present[j]] = present[i]
    renumber = {old: new for new, old in enumerate(sorted(set(labels.tolist())))}
    return np.array([renumber[x] for x in labels.tolist()], dtype=np.int64)


def _number_of_speakers(affinity: npt.NDArray[Any], low: int, high: int) -> int:
    if low >= high:
        return low
    degree = affinity.sum(axis=1)
    scale = 1.0 / np.sqrt(np.maximum(degree, 1e-12))
    laplacian = np.eye(len(affinity)) - scale[:, None] * affinity * scale[None, :]
    eigenvalues = np.sort(np.linalg.eigvalsh(laplacian))[: high + 1]
    gaps = np.diff(eigenvalues)
    return int(np.argmax(gaps[low - 1: high]) + low)


def _turns_from_votes(
    regions: Sequence[tuple[float, float]], windows: Sequence[tuple[int, int]],
    labels: npt.NDArray[np.int64],
) -> list[Turn]:
    """Each speech frame takes the label most windows covering it carry; runs become turns."""
    if not regions:
        return []
    n_frames = max(int(regions[-1][1] * FRAMES_PER_S) + 1, max(b for _, b in windows))
    n_labels = int(labels.max()) + 1 if len(labels) else 1
    votes = np.zeros((n_labels, n_frames), dtype=np.float32)
    for (a, b), label in zip(windows, labels, strict=True):
        votes[label, a:b] += 1.0
    speakers = [f"SPEAKER_{i:02d}" for i in range(n_labels)]
    turns: list[Turn] = []
    for start, end in regions:
        a = int(start * FRAMES_PER_S)
        b = max(int(end * FRAMES_PER_S), a + 1)
        frame_labels = _smooth(np.argmax(votes[:, a:b], axis=0))
        change = np.flatnonzero(np.diff(frame_labels)) + 1
        bounds = [0, *change.tolist(), b - a]
        for i, j in zip(bounds[:-1], bounds[1:], strict=True):
            turns.append(Turn(max(start, (a + i) / FRAMES_PER_S), min(end, (a + j) / FRAMES_PER_S),
                              speakers[int(frame_labels[i])]))
    return _merge_adjacent(turns)


def _smooth(frame_labels: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Runs shorter than :data:`MIN_RUN_S` take the label of the run before (or after) them."""
    labels = frame_labels.copy()
    min_run = int(MIN_RUN_S * FRAMES_PER_S)
    change = np.flatnonzero(np.diff(labels)) + 1
    bounds = [0, *change.tolist(), len(labels)]
    runs = list(zip(bounds[:-1], bounds[1:], strict=True))
    if len(runs) < 2:
        return labels
    for index, (i, j) in enumerate(runs):
        if j - i < min_run:
            neighbour = runs[index - 1] if index > 0 else runs[index + 1]
            labels[i:j] = labels[neighbour[0]]
    return labels


def _merge_adjacent(turns: Sequence[Turn], *, gap: float = 0.0) -> list[Turn]:
    merged: list[Turn] = []
    for turn in sorted(turns):
        last = merged[-1] if merged else None
        if last and last.speaker == turn.speaker and turn.start - last.end <= gap:
            merged[-1] = Turn(last.start, max(last.end, turn.end), last.speaker)
        else:
            merged.append(turn)
    return merged


def exclusive_turns(turns: Sequence[Turn]) -> list[Turn]:
    """One speaker at a time: where turns overlap, the shorter turn keeps the overlap (as in
    pyannote's exclusive diarisation, the speaker who starts inside another's turn is heard)."""
    events = sorted({t.start for t in turns} | {t.end for t in turns})
    pieces: list[Turn] = []
    for a, b in zip(events[:-1], events[1:], strict=False):
        active = [t for t in turns if t.start < b and t.end > a]
        if active:
            pieces.append(Turn(a, b, min(active, key=lambda t: t.duration).speaker))
    return _merge_adjacent(pieces)


# --- dual-channel recordings ---------------------------------------------------------------------


class ChannelDiariser:
    """One speaker per channel: each channel's speech regions are that speaker's turns."""

    name = "channels"

    def provenance(self) -> dict[str, Any]:
        return {"diariser": self.name, "models": [shipped_model_provenance("silero-vad")]}

    def diarise(self, audio: Audio, *, min_speakers: int = 2, max_speakers: int = 2,
                progress: Callable[[float], None] | None = None) -> Diarisation:
        if audio.channels != 2:
            raise InputError(audio.source, f"channel diarisation needs a two-channel recording; "
                                           f"this one has {audio.source_channels} channel(s). "
                                           "Use --diariser embedded or pyannote")
        levels = frame_levels(audio.samples, sample_rate=audio.sample_rate)
        turns: list[Turn] = []
        channel_of: dict[str, int] = {}
        for channel in range(2):
            speaker = f"CHANNEL_{channel + 1}"
            channel_of[speaker] = channel
            if progress:
                progress(channel / 2)
            for start, end in speech_regions(audio.channel(channel),
                                             sample_rate=audio.sample_rate):
                a = int(start / FRAME)
                b = max(int(end / FRAME), a + 1)
                own, other = levels[channel, a:b], levels[1 - channel, a:b]
                if len(own) and np.mean(own - other) < -LEAK_DB:
                    continue  # the other party leaking into this microphone
                turns.append(Turn(start, end, speaker))
        require_speech(audio, [(t.start, t.end) for t in turns])
        turns.sort()
        return Diarisation(tuple(turns), tuple(exclusive_turns(turns)), self.name, channel_of)
