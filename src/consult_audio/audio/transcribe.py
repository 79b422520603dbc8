"""Speech recognition behind one interface, with two engines.

- ``faster-whisper`` (default): Whisper through CTranslate2, int8 on CPU, float16 on GPU.
- ``openai-whisper``: the reference implementation, from a checkpoint built locally
  (``consult-audio models pull whisper-base-openai``).

Both return words with timestamps (:class:`Transcript`). Both decode each speech region found by
voice-activity detection on its own, without conditioning on the text before it: Whisper invents
text in silence and loops on its own output otherwise, and its timestamps drift over long files.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from consult_audio.audio.decode import SAMPLE_RATE
from consult_audio.audio.models import DEFAULT_TRANSCRIBER, ModelError, resolve
from consult_audio.errors import ConsultAudioError
from consult_audio.model import Word

log = logging.getLogger(__name__)

ENGINES = ("faster-whisper", "openai-whisper")
DEFAULT_MODELS = {"faster-whisper": DEFAULT_TRANSCRIBER, "openai-whisper": "whisper-base-openai"}
SUPPORTED_LANGUAGES = ("en",)  # the cue lexicons of the metrics are English
LANGUAGE_MIN_PROBABILITY = 0.5  # below this, a detected language is not trusted enough to refuse
CHUNK_MAX_S = 30.0  # s; Whisper's window: speech regions are merged into chunks up to this long
CHUNK_GAP_S = 2.0  # s; regions further apart than this are not merged into one chunk
CHUNK_PAD_S = 0.2  # s of audio kept around each chunk


class LanguageError(ConsultAudioError):
    """The recording is in a language the metrics do not support."""


@dataclass(frozen=True)
class TranscribeOptions:
    """Settings of the speech recogniser.

    ``temperature`` 0 decodes deterministically (the same audio gives the same words);
    ``threads`` 0 uses every CPU core.
    """

    engine: str = "faster-whisper"
    model: str | None = None
    language: str | None = None
    beam_size: int = 5
    temperature: float = 0.0
    vad: bool = True
    device: str = "auto"
    compute_type: str = "auto"
    threads: int = 0

    @property
    def model_name(self) -> str:
        return self.model or DEFAULT_MODELS[self.engine]


@dataclass(frozen=True)
class Transcript:
    """Recognised words (times in seconds from the start of the audio) and the language."""

    words: tuple[Word, ...]
    language: str
    language_probability: float


class Transcriber(Protocol):
    """Anything that turns mono 16 kHz samples into timed words."""

    name: str

    def transcribe(
        self, samples: npt.NDArray[np.float32], *,
        regions: Sequence[tuple[float, float]] | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> Transcript: ...

    def provenance(self) -> dict[str, Any]: ...


def make_transcriber(options: TranscribeOptions) -> Transcriber:
    """The transcriber for ``options.engine`` (models load on first use)."""
    if options.engine == "faster-whisper":
        return FasterWhisperTranscriber(options)
    if options.engine == "openai-whisper":
        return OpenAIWhisperTranscriber(options)
    raise ConsultAudioError(f"unknown engine {options.engine!r}; use one of {', '.join(ENGINES)}")


def cuda_available() -> bool:
    try:
        import ctranslate2
    except ImportError:
        return False
    return bool(ctranslate2.get_cuda_device_count() > 0)


def chunk_regions(regions: Sequence[tuple[float, float]], *, max_s: float = CHUNK_MAX_S,
                  gap_s: float = CHUNK_GAP_S) -> list[tuple[float, float]]:
    """Speech regions merged into decoding chunks of at most ``max_s`` seconds.

    Neighbouring regions less than ``gap_s`` apart join one chunk while it stays under ``max_s``;
    a single region longer than ``max_s`` is cut into equal pieces.
    """
    chunks: list[tuple[float, float]] = []
    for start, end in regions:
        if chunks and start - chunks[-1][1] < gap_s and end - chunks[-1][0] <= max_s:
            chunks[-1] = (chunks[-1][0], end)
            continue
        pieces = max(1, int(np.ceil((end - start) / max_s)))
        step = (end - start) / pieces
        chunks.extend((start + i * step, start + (i + 1) * step) for i in range(pieces))
    return chunks


def check_language(language: str, probability: float, *, forced: bool) -> None:
    """:class:`LanguageError` for a recording in a language the metrics do not cover."""
    if language in SUPPORTED_LANGUAGES:
        return
    if forced:
        raise LanguageError(f"--language {language}: the metrics' cue lexicons are English only; "
                            "analyse English consultations (--language en)")
    if probability >= LANGUAGE_MIN_PROBABILITY:
        raise LanguageError(
            f"the recording sounds like language {language!r} (probability {probability:.2f}), "
            "but the metrics' cue lexicons are English only. If it is English, say so with "
            "--language en")


class _WhisperBase:
    """What both engines share: chunking by speech region and turning segments into words."""

    name = ""

    def __init__(self, options: TranscribeOptions) -> None:
        self.options = options
        self._model: Any = None
        self._resolved: Any = None
        self._device = options.device

    def provenance(self) -> dict[str, Any]:
        model = self._resolved.provenance() if self._resolved is not None else {
            "name": self.options.model_name}
        return {"engine": self.name, "model": model, "device": self._device,
                "settings": asdict(self.options)}

    def transcribe(
        self, samples: npt.NDArray[np.float32], *,
        regions: Sequence[tuple[float, float]] | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> Transcript:
        """Words of mono ``samples`` (n,) at 16 kHz; ``regions`` are the speech regions (s).

        Without ``regions`` the whole signal is decoded as one stretch of speech. ``progress``
        is called with the seconds of speech decoded so far after each chunk.
        """
        duration = len(samples) / SAMPLE_RATE
        chunks = chunk_regions(regions if regions is not None else [(0.0, duration)])
        language, probability = self._language(samples, chunks)
        words: list[Word] = []
        done = 0.0
        for start, end in chunks:
            a = max(0, int((start - CHUNK_PAD_S) * SAMPLE_RATE))
            b = min(len(samples), int((end + CHUNK_PAD_S) * SAMPLE_RATE))
            offset = a / SAMPLE_RATE
            for word in self._decode(samples[a:b], language):
                words.append(Word(word.text, round(word.start + offset, 3),
                                  round(word.end + offset, 3), word.probability))
            done += end - start
            if progress:
                progress(done)
        return Transcript(tuple(words), language, probability)

    def _language(self, samples: npt.NDArray[np.float32],
                  chunks: Sequence[tuple[float, float]]) -> tuple[str, float]:
        if self.options.language:
            check_language(self.options.language, 1.0, forced=True)
            return self.options.language, 1.0
        # Detect on up to 30 s of speech taken from the chunks, not on leading silence.
        pieces, total = [], 0.0
        for start, end in chunks:
            pieces.append(samples[int(start * SAMPLE_RATE):int(end * SAMPLE_RATE)])
            total += end - start
            if total >= CHUNK_MAX_S:
                break
        language, probability = self._detect(np.concatenate(pieces) if pieces else samples)
        log.info("language %s (probability %.2f)", language, probability)
        check_language(language, probability, forced=False)
        return language, probability

    def _detect(self, speech: npt.NDArray[np.float32]) -> tuple[str, float]:
        raise NotImplementedError

    def _decode(self, samples: npt.NDArray[np.float32], language: str) -> list[Word]:
        raise NotImplementedError


class FasterWhisperTranscriber(_WhisperBase):
    """Whisper through CTranslate2 (faster-whisper); weights from the local model registry."""

    name = "faster-whisper"

    def _load(self) -> Any:
        if self._model is None:
            from faster_whisper import WhisperModel

            self._resolved = resolve(self.options.model_name)
            if self._resolved.spec.engine != "faster-whisper":
                raise ModelError(f"model {self.options.model_name!r} is for "
                                 f"{self._resolved.spec.engine}, not faster-whisper")
            self._device = ("cuda" if cuda_available() else "cpu") if self.options.device == \
                "auto" else self.options.device
            compute_type = self.options.compute_type
            if compute_type == "auto":
                compute_type = "float16" if self._device == "cuda" else "int8"
            threads = self.options.threads or (os.cpu_count() or 1)
            common: dict[str, Any] = {"device": self._device, "compute_type": compute_type,
                                      "cpu_threads": threads, "local_files_only": True}
            if self._resolved.directory is not None:
                self._model = WhisperModel(str(self._resolved.directory), **common)
            else:  # straight from the installed packages' bytes: nothing written to disk
                files = {f.name: self._resolved.read(f.name) for f in self._resolved.spec.files}
                self._model = WhisperModel("whisper", files=files, **common)
        return self._model

    def _detect(self, speech: npt.NDArray[np.float32]) -> tuple[str, float]:
        model = self._load()
        language, probability, _ = model.detect_language(speech[: int(CHUNK_MAX_S *
                                                                        SAMPLE_RATE)])
        return str(language), float(probability)

    def _decode(self, samples: npt.NDArray[np.float32], language: str) -> list[Word]:
        model = self._load()
        segments, _ = model.transcribe(
            samples, language=language, beam_size=self.options.beam_size,
            temperature=self.options.temperature, word_timestamps=True,
            condition_on_previous_text=False, vad_filter=False, without_timestamps=False)
        return [Word(w.word.strip(), float(w.start), float(w.end), float(w.probability))
                for segment in segments for w in (segment.words or []) if w.word.strip()]


class OpenAIWhisperTranscriber(_WhisperBase):
    """The reference implementation (openai-whisper), from a locally built checkpoint."""

    name = "openai-whisper"

    def _load(self) -> Any:
        if self._model is None:
            import torch
            import whisper

            self._resolved = resolve(self.options.model_name)
            if self._resolved.spec.engine != "openai-whisper":
                raise ModelError(f"model {self.options.model_name!r} is for "
                                 f"{self._resolved.spec.engine}, not openai-whisper")
            self._device = ("cuda" if torch.cuda.is_available() else "cpu") if \
                self.options.device == "auto" else self.options.device
            if self.options.threads:
                torch.set_num_threads(self.options.threads)
            (file_name,) = (f.name for f in self._resolved.spec.files)
            checkpoint = torch.load(self._resolved.directory / file_name, map_location="cpu",
                                    weights_only=True)
            dims = whisper.model.ModelDimensions(**checkpoint["dims"])
            model = whisper.model.Whisper(dims)
            model.load_state_dict(checkpoint["model_state_dict"], strict=True)
            heads = torch.zeros(dims.n_text_layer, dims.n_text_head, dtype=torch.bool)
            for layer, head in checkpoint.get("alignment_heads", []):
                heads[layer, head] = True
            if heads.any():
                model.register_buffer("alignment_heads", heads.to_sparse(), persistent=False)
            self._model = model.to(self._device).eval()
        return self._model

    def _detect(self, speech: npt.NDArray[np.float32]) -> tuple[str, float]:
        import whisper

        model = self._load()
        audio = whisper.pad_or_trim(speech)
        mel = whisper.log_mel_spectrogram(audio, model.dims.n_mels).to(model.device)
        _, probs = model.detect_language(mel)
        language = max(probs, key=probs.get)
        return str(language), float(probs[language])

    def _decode(self, samples: npt.NDArray[np.float32], language: str) -> list[Word]:
        model = self._load()
        result = model.transcribe(
            samples, language=language, beam_size=self.options.beam_size,
            best_of=None, temperature=self.options.temperature, word_timestamps=True,
            condition_on_previous_text=False, fp16=self._device == "cuda", verbose=None)
        return [Word(str(w["word"]).strip(), float(w["start"]), float(w["end"]),
                     float(w["probability"]))
                for segment in result["segments"] for w in segment.get("words", [])
                if str(w["word"]).strip()]


TranscriberFactory = Callable[[TranscribeOptions], Transcriber]
