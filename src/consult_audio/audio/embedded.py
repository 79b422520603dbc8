"""The default diariser: Silero VAD, GE2E speaker embeddings on sliding windows, spectral
clustering, frame voting.

Silero VAD is the ONNX model inside faster-whisper and the GE2E encoder the one inside
resemblyzer: both ship inside PyPI packages, so a fresh install diarises with no gated download.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from consult_audio.audio.clustering import cluster, merge_same_voice
from consult_audio.audio.decode import SAMPLE_RATE, Audio
from consult_audio.audio.device import torch_threads
from consult_audio.audio.models import resolve, shipped_model_provenance
from consult_audio.audio.turns import Diarisation, Turn, merge_adjacent, require_speech
from consult_audio.audio.vad import TURNS, speech_regions
from consult_audio.audio.voices import VoiceEstimate, estimate_voices, voice_labels

__all__ = ["EmbeddedDiariser", "mean_square", "mel_frames"]

# Speaker embeddings (resemblyzer GE2E): 40 mel bands every 10 ms, windows of 160 frames.
FRAMES_PER_S = 100  # mel frames per second (10 ms hop)
WINDOW_FRAMES = 160  # 1.6 s, the window the encoder was trained on
HOP_FRAMES = 40  # 0.4 s between windows
EMBED_BATCH = 128  # windows per forward pass
MEL_BLOCK_S = 60.0  # s of audio per block of the mel spectrogram
TARGET_DBFS = -30.0  # dBFS, resemblyzer's volume normalisation
MIN_RUN_S = 0.3  # s; a shorter run of one speaker inside another's speech is smoothed away


class EmbeddedDiariser:
    """VAD, GE2E embeddings on 1.6 s windows every 0.4 s, spectral clustering, frame voting.

    ``device`` is a torch device name (``"cpu"``, ``"cuda"``); ``threads`` the torch CPU threads
    while embedding (0: torch's default, every core), restored afterwards.
    """

    name = "embedded"

    def __init__(self, *, device: str = "cpu", threads: int = 0) -> None:
        self._device = device
        self._threads = threads
        self._encoder: Any = None

    def provenance(self) -> dict[str, Any]:
        return {"diariser": self.name,
                "models": [shipped_model_provenance("resemblyzer-ge2e"),
                           shipped_model_provenance("silero-vad")]}

    def _load(self) -> Any:
        if self._encoder is None:
            from resemblyzer import VoiceEncoder

            weights = resolve("resemblyzer-ge2e")  # checks the shipped weights' SHA-256
            assert weights.parts
            self._encoder = VoiceEncoder(self._device, verbose=False,
                                         weights_fpath=weights.parts["pretrained.pt"][0])
        return self._encoder

    def diarise(self, audio: Audio, *, min_speakers: int = 2, max_speakers: int = 2,
                progress: Callable[[float], None] | None = None) -> Diarisation:
        mono = audio.mono()
        regions = speech_regions(mono, TURNS, sample_rate=audio.sample_rate)
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
        regions = speech_regions(mono, TURNS, sample_rate=audio.sample_rate)
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
    return merge_adjacent(turns)


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
