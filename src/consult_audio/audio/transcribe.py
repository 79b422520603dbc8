"""Speech recognition behind one interface, with two engines.

- ``faster-whisper`` (default): Whisper through CTranslate2, int8 on CPU, float16 on GPU.
- ``openai-whisper``: the reference implementation, from a checkpoint built locally
  (``consult-audio models pull whisper-base-openai``).

Both return words with timestamps (:class:`Transcript`) and decode the same way: Silero voice
activity detection finds the speech, the speech regions are joined (silence removed) and decoded as
one stream, conditioned on the text before, and each word's time is mapped back to the recording.
Whisper invents text in silence without the VAD. Where greedy decoding loops or gives up, Whisper's
temperature fallback re-decodes the window; its sampling is seeded, so the same audio gives the
same words. ``temperature=(0.0,)`` turns the fallback off (pure beam search).
"""

from __future__ import annotations

import bisect
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
LANGUAGE_SAMPLE_S = 30.0  # s of speech used to detect the language
FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # Whisper's defaults
SEED = 0  # seed of the fallback's sampling
# Beam width, and candidates sampled per fallback temperature. 2 rather than Whisper's 5: on the
# PriMock57 renderings it decoded about 1.5x faster on a 2-core CPU with no loss of accuracy
# (docs/performance.md); --beam-size 5 gives Whisper's own setting.
DEFAULT_BEAM_SIZE = 2
FEATURE_BLOCK_FRAMES = 12_000  # 2 minutes of 10-ms spectrogram frames per block
# Voice activity for decoding: faster-whisper's defaults (keeps pauses under 2 s inside a region,
# pads regions by 0.4 s so that no word is clipped).
VAD_MIN_SILENCE_MS = 2000  # ms
VAD_PAD_MS = 400  # ms
# Dropped speech. Whisper sometimes ends a 30-s window after a few words and moves on to the
# next, losing the rest (on the PriMock57 renderings, 20-35 s of speech in 1 or 2 files of 11
# per run). A stretch of the decoded speech this long with no word, holding at least
# GAP_MIN_SPEECH_S of voice activity, is decoded again on its own, the text before it as prompt.
GAP_MIN_S = 3.0  # s
GAP_MIN_SPEECH_S = 1.5  # s
GAP_PROMPT_CHARS = 400  # characters of preceding text given as the prompt


class LanguageError(ConsultAudioError):
    """The recording is in a language the metrics do not support."""


@dataclass(frozen=True)
class TranscribeOptions:
    """Settings of the speech recogniser.

    ``temperature`` lists the decoding temperatures tried in turn (Whisper's fallback; the
    sampling is seeded, so results repeat); ``(0.0,)`` is beam search only. ``threads`` 0 uses
    every CPU core. ``initial_prompt`` is text the recogniser reads as if it came before the
    recording (Whisper's ``initial_prompt``): names and terms to spell, or a style.
    ``refill_gaps`` decodes again the speech Whisper skipped (:meth:`_WhisperBase.refill_gaps`).
    """

    engine: str = "faster-whisper"
    model: str | None = None
    language: str | None = None
    beam_size: int = DEFAULT_BEAM_SIZE
    temperature: tuple[float, ...] = FALLBACK_TEMPERATURES
    vad: bool = True
    device: str = "auto"
    compute_type: str = "auto"
    threads: int = 0
    initial_prompt: str | None = None
    refill_gaps: bool = True

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
        language: str | None = None,
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


def speech_regions_for_decoding(
        samples: npt.NDArray[np.float32]) -> list[tuple[float, float]]:
    """Speech regions (s) of mono ``samples`` by Silero VAD, with decoding's wide padding."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=VAD_MIN_SILENCE_MS, speech_pad_ms=VAD_PAD_MS)
    return [(r["start"] / SAMPLE_RATE, r["end"] / SAMPLE_RATE)
            for r in get_speech_timestamps(samples, options, sampling_rate=SAMPLE_RATE)]


def silent_stretches(words: Sequence[Word], duration: float, *,
                     min_gap: float) -> list[tuple[float, float]]:
    """Stretches ``(start, end)`` of at least ``min_gap`` seconds of ``[0, duration]`` with no
    word of ``words`` in them: before the first word, between words, after the last."""
    out: list[tuple[float, float]] = []
    reached = 0.0
    for w in sorted(words, key=lambda w: w.start):
        if w.start - reached >= min_gap:
            out.append((reached, w.start))
        reached = max(reached, w.end)
    if duration - reached >= min_gap:
        out.append((reached, duration))
    return out


@dataclass(frozen=True)
class Timeline:
    """Maps times in joined speech (silence removed) back to times in the recording."""

    joined_starts: tuple[float, ...]
    original_starts: tuple[float, ...]

    def original(self, t: float) -> float:
        """Seconds in the recording of ``t`` seconds into the joined speech."""
        i = max(0, bisect.bisect_right(self.joined_starts, t) - 1)
        return round(self.original_starts[i] + t - self.joined_starts[i], 3)

    def span(self, start: float, end: float) -> tuple[float, float]:
        """A word's ``(start, end)`` in the recording. Both ends are mapped through the region
        that holds the word's middle, and clipped to it: a word Whisper stretches past the
        end of its region must not end in the next region, seconds (or minutes) later."""
        middle = (start + end) / 2
        i = max(0, bisect.bisect_right(self.joined_starts, middle) - 1)
        low = self.joined_starts[i]
        high = self.joined_starts[i + 1] if i + 1 < len(self.joined_starts) else float("inf")
        offset = self.original_starts[i] - low
        return (round(max(start, low) + offset, 3),
                round(max(min(end, high), max(start, low)) + offset, 3))


def join_regions(samples: npt.NDArray[np.float32], regions: Sequence[tuple[float, float]],
                 ) -> tuple[npt.NDArray[np.float32], Timeline]:
    """The samples of ``regions`` (s, sorted) joined into one array, and its :class:`Timeline`."""
    pieces, joined, original = [], [], []
    at = 0.0
    for start, end in regions:
        a, b = int(start * SAMPLE_RATE), min(len(samples), int(end * SAMPLE_RATE))
        if b <= a:
            continue
        pieces.append(samples[a:b])
        joined.append(at)
        original.append(a / SAMPLE_RATE)
        at += (b - a) / SAMPLE_RATE
    speech = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    return speech, Timeline(tuple(joined), tuple(original))


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
        language: str | None = None,
    ) -> Transcript:
        """Words of mono ``samples`` (n,) at 16 kHz, times in seconds of ``samples``.

        ``regions`` are the speech regions (s) to decode; by default voice-activity detection
        finds them (or, with ``vad=False``, the whole signal is decoded). ``progress`` is called
        with the seconds of speech decoded so far. ``language`` overrides the options' language
        for this call (a batch row that says its language).
        """
        if regions is None:
            regions = (speech_regions_for_decoding(samples) if self.options.vad
                       else [(0.0, len(samples) / SAMPLE_RATE)])
        speech, timeline = join_regions(samples, regions)
        if not len(speech):
            return Transcript((), language or self.options.language or "", 0.0)
        language, probability = self._language(speech, language or self.options.language)
        decoded = self._decode(speech, language, progress)
        if self.options.refill_gaps:
            decoded = self.refill_gaps(speech, language, decoded)
        words = [Word(w.text, *timeline.span(w.start, w.end), w.probability) for w in decoded]
        return Transcript(tuple(words), language, probability)

    def refill_gaps(self, speech: npt.NDArray[np.float32], language: str,
                    words: Sequence[Word]) -> list[Word]:
        """``words`` (times in ``speech``) with the speech Whisper skipped decoded again.

        Each stretch of :data:`GAP_MIN_S` or more with no word and at least
        :data:`GAP_MIN_SPEECH_S` of voice activity is decoded on its own (from its first to its
        last voice activity), with the text before it as the prompt; the words found inside the
        stretch are added.
        """
        from consult_audio.audio.diarise import speech_regions

        out = sorted(words, key=lambda w: (w.start, w.end))
        for a, b in silent_stretches(words, len(speech) / SAMPLE_RATE, min_gap=GAP_MIN_S):
            piece = speech[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)]
            voiced = speech_regions(piece)
            if sum(end - start for start, end in voiced) < GAP_MIN_SPEECH_S:
                continue
            lo, hi = a + max(0.0, voiced[0][0] - 0.2), a + voiced[-1][1] + 0.2
            before = " ".join(w.text for w in out if w.end <= a)[-GAP_PROMPT_CHARS:]
            prompt = " ".join(filter(None, (self.options.initial_prompt, before))) or None
            found = [Word(w.text, w.start + lo, w.end + lo, w.probability)
                     for w in self._decode(speech[int(lo * SAMPLE_RATE):int(hi * SAMPLE_RATE)],
                                           language, None, prompt=prompt)]
            kept = [w for w in found if a - 0.05 <= w.start and w.end <= b + 0.05]
            log.info("re-decoded %.1f-%.1f s of speech with no words: %d word(s)", a, b,
                     len(kept))
            # kept in time order: the next stretch's prompt is the text before it
            out = sorted([*out, *kept], key=lambda w: (w.start, w.end))
        return out

    def _language(self, speech: npt.NDArray[np.float32],
                  given: str | None) -> tuple[str, float]:
        if given:
            check_language(given, 1.0, forced=True)
            return given, 1.0
        # Detect on speech only: leading silence or noise makes Whisper guess.
        language, probability = self._detect(speech[: int(LANGUAGE_SAMPLE_S * SAMPLE_RATE)])
        log.info("language %s (probability %.2f)", language, probability)
        check_language(language, probability, forced=False)
        return language, probability

    def _detect(self, speech: npt.NDArray[np.float32]) -> tuple[str, float]:
        raise NotImplementedError

    def _decode(self, speech: npt.NDArray[np.float32], language: str,
                progress: Callable[[float], None] | None, *,
                prompt: str | None = None) -> list[Word]:
        """Words of ``speech`` (times in it); ``prompt`` replaces the options' initial prompt."""
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

    def _decode(self, speech: npt.NDArray[np.float32], language: str,
                progress: Callable[[float], None] | None, *,
                prompt: str | None = None) -> list[Word]:
        import torch

        model = self._load()
        temperature = self.options.temperature
        with torch.random.fork_rng(devices=[]):  # seeded fallback, global RNG left untouched
            torch.manual_seed(SEED)
            result = model.transcribe(
                speech, language=language, beam_size=self.options.beam_size,
                best_of=self.options.beam_size if len(temperature) > 1 else None,
                temperature=temperature[0] if len(temperature) == 1 else temperature,
                word_timestamps=True, condition_on_previous_text=True,
                initial_prompt=prompt or self.options.initial_prompt,
                fp16=self._device == "cuda", verbose=None)
        if progress:
            progress(len(speech) / SAMPLE_RATE)
        return [Word(str(w["word"]).strip(), float(w["start"]), float(w["end"]),
                     float(w["probability"]))
                for segment in result["segments"] for w in segment.get("words", [])
                if str(w["word"]).strip()]


TranscriberFactory = Callable[[TranscribeOptions], Transcriber]
