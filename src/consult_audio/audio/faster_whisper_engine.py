"""Whisper through CTranslate2 (faster-whisper): int8 on the CPU, float16 on a GPU, weights from
the local model registry; with log-Mel features computed a block at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from consult_audio.audio.decode import SAMPLE_RATE
from consult_audio.audio.device import choose_device, cpu_threads, ctranslate2_gpu
from consult_audio.audio.recognition import SEED, WhisperBase
from consult_audio.model import Word

__all__ = ["BlockwiseFeatures", "FasterWhisperTranscriber"]

FEATURE_BLOCK_FRAMES = 12_000  # 2 minutes of 10-ms spectrogram frames per block


class FasterWhisperTranscriber(WhisperBase):
    """Whisper through CTranslate2 (faster-whisper); weights from the local model registry."""

    name = "faster-whisper"

    def _load(self) -> Any:
        if self._model is None:
            from faster_whisper import WhisperModel

            resolved = self._resolve()
            self._device = choose_device(self.options.device, gpu=ctranslate2_gpu)
            compute_type = self.options.compute_type
            if compute_type == "auto":
                compute_type = "float16" if self._device == "cuda" else "int8"
            common: dict[str, Any] = {"device": self._device, "compute_type": compute_type,
                                      "cpu_threads": cpu_threads(self.options.threads),
                                      "local_files_only": True}
            if resolved.directory is not None:
                self._model = WhisperModel(str(resolved.directory), **common)
            else:  # straight from the installed packages' bytes: nothing written to disk
                files = {f.name: resolved.read(f.name) for f in resolved.spec.files}
                self._model = WhisperModel("whisper", files=files, **common)
            self._model.feature_extractor = BlockwiseFeatures(self._model.feature_extractor)
        return self._model

    def _detect(self, speech: npt.NDArray[np.float32]) -> tuple[str, float]:
        model = self._load()
        language, probability, _ = model.detect_language(speech)
        return str(language), float(probability)

    def _decode(self, speech: npt.NDArray[np.float32], language: str,
                progress: Callable[[float], None] | None, *,
                prompt: str | None = None) -> list[Word]:
        import ctranslate2

        model = self._load()
        ctranslate2.set_random_seed(SEED)  # the temperature fallback samples
        segments, _ = model.transcribe(
            speech, language=language, beam_size=self.options.beam_size,
            best_of=self.options.beam_size, temperature=list(self.options.temperature),
            word_timestamps=True, initial_prompt=prompt or self.options.initial_prompt,
            condition_on_previous_text=True, vad_filter=False)
        words: list[Word] = []
        for segment in segments:  # a generator: decoding happens while iterating
            words.extend(Word(w.word.strip(), float(w.start), float(w.end), float(w.probability))
                         for w in (segment.words or []) if w.word.strip())
            if progress:
                progress(min(float(segment.end), len(speech) / SAMPLE_RATE))
        return words


class BlockwiseFeatures:
    """faster-whisper's log-Mel features, computed a block of frames at a time.

    faster-whisper computes the spectrogram of the whole recording at once, in double precision:
    about 3 GB per hour of audio at its peak. This gives the same numbers (the frames are the
    same windows of the same padded signal; only the matrix products are split) with memory
    bounded by :data:`FEATURE_BLOCK_FRAMES`; the output itself is 80 floats per 10 ms (115 MB an
    hour). Everything else is read from the wrapped extractor.
    """

    def __init__(self, inner: Any, *, block_frames: int = 0) -> None:
        self._inner = inner
        self._block = block_frames or FEATURE_BLOCK_FRAMES

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __call__(self, waveform: npt.NDArray[np.float32], padding: int = 160,
                 chunk_length: int | None = None) -> npt.NDArray[np.float32]:
        inner = self._inner
        if chunk_length is not None:  # as the wrapped extractor does
            inner.n_samples = chunk_length * inner.sampling_rate
            inner.nb_max_frames = inner.n_samples // inner.hop_length
        n_fft, hop = inner.n_fft, inner.hop_length
        wave = np.asarray(waveform, dtype=np.float32)
        half = n_fft // 2
        frames = (len(wave) + padding) // hop  # the last frame is dropped, as upstream
        window = np.hanning(n_fft + 1)[:-1].astype(np.float32)
        out = np.empty((inner.mel_filters.shape[0], max(frames, 0)), dtype=np.float32)
        for first in range(0, frames, self._block):
            last = min(first + self._block, frames)
            part = _centred_slice(wave, padding, half, first * hop, (last - 1) * hop + n_fft)
            spectrum = inner.stft(part, n_fft, hop, window=window, center=False,
                                  return_complex=True).astype(np.complex64)
            power = np.abs(spectrum) ** 2
            out[:, first:last] = np.log10(np.clip(inner.mel_filters @ power, 1e-10, None))
        if out.size:
            np.maximum(out, out.max() - 8.0, out=out)
        out += 4.0
        out /= 4.0
        return out


def _centred_slice(wave: npt.NDArray[np.float32], padding: int, half: int, start: int,
                   stop: int) -> npt.NDArray[np.float32]:
    """Samples ``start:stop`` of ``np.pad(np.pad(wave, (0, padding)), half, mode="reflect")``
    (the signal faster-whisper's STFT frames), without building the whole padded signal."""
    total = len(wave) + padding
    if total <= half:  # too short to reflect once: numpy's repeated reflection, whole
        return np.pad(np.pad(wave, (0, padding)), half, mode="reflect")[start:stop]
    index = np.arange(start - half, stop - half)
    index = np.where(index < 0, -index, index)
    index = np.where(index >= total, 2 * (total - 1) - index, index)
    inside = index < len(wave)
    out = np.zeros(stop - start, dtype=np.float32)
    out[inside] = wave[index[inside]]
    return out
