"""Speech recognition behind one interface, with two engines.

- ``faster-whisper`` (default): Whisper through CTranslate2, int8 on CPU, float16 on GPU
  (:mod:`consult_audio.audio.faster_whisper_engine`).
- ``openai-whisper``: the reference implementation, from a checkpoint built locally
  (``consult-audio models pull whisper-base-openai``;
  :mod:`consult_audio.audio.openai_whisper_engine`).

Both return words with timestamps and decode the same way (:mod:`consult_audio.audio.recognition`,
which holds the settings, the result and the shared decoding). :func:`make_transcriber` picks the
engine; the names callers use are gathered here. Importing this module imports no speech library.
"""

from __future__ import annotations

from collections.abc import Callable

from consult_audio.audio.device import ctranslate2_gpu
from consult_audio.audio.faster_whisper_engine import BlockwiseFeatures, FasterWhisperTranscriber
from consult_audio.audio.openai_whisper_engine import OpenAIWhisperTranscriber
from consult_audio.audio.recognition import (
    DEFAULT_BEAM_SIZE,
    DEFAULT_MODELS,
    ENGINES,
    FALLBACK_TEMPERATURES,
    LanguageError,
    Timeline,
    TranscribeOptions,
    Transcriber,
    Transcript,
    check_language,
    join_regions,
    silent_stretches,
)
from consult_audio.errors import ConsultAudioError

__all__ = ["DEFAULT_BEAM_SIZE", "DEFAULT_MODELS", "ENGINES", "FALLBACK_TEMPERATURES",
           "BlockwiseFeatures", "FasterWhisperTranscriber", "LanguageError",
           "OpenAIWhisperTranscriber", "Timeline", "TranscribeOptions", "Transcriber",
           "TranscriberFactory", "Transcript", "check_language", "cuda_available",
           "join_regions", "make_transcriber", "silent_stretches"]

TranscriberFactory = Callable[[TranscribeOptions], Transcriber]

# Whether faster-whisper's engine sees a CUDA GPU (the name scripts have used).
cuda_available = ctranslate2_gpu


def make_transcriber(options: TranscribeOptions) -> Transcriber:
    """The transcriber for ``options.engine`` (models load on first use)."""
    if options.engine == "faster-whisper":
        return FasterWhisperTranscriber(options)
    if options.engine == "openai-whisper":
        return OpenAIWhisperTranscriber(options)
    raise ConsultAudioError(f"unknown engine {options.engine!r}; use one of {', '.join(ENGINES)}")
