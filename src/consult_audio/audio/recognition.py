"""Speech recognition: its settings, its result, and the decoding both Whisper engines share.

The engines (:mod:`consult_audio.audio.faster_whisper_engine`,
:mod:`consult_audio.audio.openai_whisper_engine`) subclass :class:`WhisperBase`, and
:func:`consult_audio.audio.transcribe.make_transcriber` picks one. Both return words with
timestamps (:class:`Transcript`) and decode the same way: Silero voice activity detection
(:data:`consult_audio.audio.vad.DECODING`) finds the speech, the speech regions are joined
(silence removed) and decoded as one stream, conditioned on the text before, and each word's
time is mapped back to the recording. Whisper invents text in silence without the VAD. Where
greedy decoding loops or gives up, Whisper's temperature fallback re-decodes the window; its
sampling is seeded, so the same audio gives the same words. ``temperature=(0.0,)`` turns the
fallback off (pure beam search).
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from consult_audio.audio.decode import SAMPLE_RATE
from consult_audio.audio.models import DEFAULT_TRANSCRIBER, ModelError, ResolvedModel, resolve
from consult_audio.audio.vad import DECODING, TURNS, speech_regions
from consult_audio.errors import ConsultAudioError
from consult_audio.model import Word

__all__ = ["DEFAULT_BEAM_SIZE", "DEFAULT_MODELS", "ENGINES", "FALLBACK_TEMPERATURES",
           "LanguageError", "Timeline", "TranscribeOptions", "Transcriber", "Transcript",
           "WhisperBase", "check_language", "join_regions", "silent_stretches"]

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
# Dropped speech. Whisper sometimes ends a 30-s window after a few words and moves on to the
# next, losing the rest (on the PriMock57 renderings, 20-35 s of speech in 1 or 2 files of 11
# per run). A stretch of the decoded speech this long with no word, holding at least
# GAP_MIN_SPEECH_S of voice activity, is decoded again on its own, the text before it as prompt.
GAP_MIN_S = 3.0  # s
GAP_MIN_SPEECH_S = 1.5  # s
GAP_PROMPT_CHARS = 400  # characters of preceding text given as the prompt
GAP_MARGIN_S = 0.2  # s decoded before the first and after the last voice activity of a stretch
GAP_SLACK_S = 0.05  # s; a word found this far outside its stretch still belongs to it


class LanguageError(ConsultAudioError):
    """The recording is in a language the metrics do not support."""


@dataclass(frozen=True)
class TranscribeOptions:
    """Settings of the speech recogniser.

    ``temperature`` lists the decoding temperatures tried in turn (Whisper's fallback; the
    sampling is seeded, so results repeat); ``(0.0,)`` is beam search only. ``threads`` 0 uses
    every CPU core. ``initial_prompt`` is text the recogniser reads as if it came before the
    recording (Whisper's ``initial_prompt``): names and terms to spell, or a style.
    ``refill_gaps`` decodes again the speech Whisper skipped (:meth:`WhisperBase.refill_gaps`);
    off by default: on the real OSCE recordings it did not lower the word error rate and cost
    a fifth of the transcription time (it helped on the espeak renderings).
    ``device`` is ``auto``, ``cpu``, ``cuda`` or ``cuda:N``
    (:func:`~consult_audio.audio.device.choose_device`).
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
    refill_gaps: bool = False

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


class WhisperBase:
    """What both engines share: chunking by speech region and turning segments into words."""

    name = ""

    def __init__(self, options: TranscribeOptions) -> None:
        self.options = options
        self._model: Any = None
        self._resolved: ResolvedModel | None = None
        self._device = options.device

    def _resolve(self) -> ResolvedModel:
        """The options' model from the registry (files checked), refused unless it is for this
        engine."""
        resolved = resolve(self.options.model_name)
        self._resolved = resolved
        if resolved.spec.engine != self.name:
            raise ModelError(f"model {self.options.model_name!r} is for "
                             f"{resolved.spec.engine}, not {self.name}")
        return resolved

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
            regions = (speech_regions(samples, DECODING) if self.options.vad
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
        out = sorted(words, key=lambda w: (w.start, w.end))
        for a, b in silent_stretches(words, len(speech) / SAMPLE_RATE, min_gap=GAP_MIN_S):
            piece = speech[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)]
            voiced = speech_regions(piece, TURNS)
            if sum(end - start for start, end in voiced) < GAP_MIN_SPEECH_S:
                continue
            lo = a + max(0.0, voiced[0][0] - GAP_MARGIN_S)
            hi = a + voiced[-1][1] + GAP_MARGIN_S
            before = " ".join(w.text for w in out if w.end <= a)[-GAP_PROMPT_CHARS:]
            prompt = " ".join(filter(None, (self.options.initial_prompt, before))) or None
            found = [Word(w.text, w.start + lo, w.end + lo, w.probability)
                     for w in self._decode(speech[int(lo * SAMPLE_RATE):int(hi * SAMPLE_RATE)],
                                           language, None, prompt=prompt)]
            kept = [w for w in found if a - GAP_SLACK_S <= w.start and w.end <= b + GAP_SLACK_S]
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
