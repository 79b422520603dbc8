"""The reference implementation of Whisper (openai-whisper), from a checkpoint built locally
(``consult-audio models pull whisper-base-openai``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from consult_audio.audio.decode import SAMPLE_RATE
from consult_audio.audio.device import choose_device, torch_gpu, torch_threads
from consult_audio.audio.recognition import SEED, WhisperBase
from consult_audio.model import Word

__all__ = ["OpenAIWhisperTranscriber"]


class OpenAIWhisperTranscriber(WhisperBase):
    """The reference implementation (openai-whisper), from a locally built checkpoint.

    torch runs on ``options.threads`` CPU threads (0: torch's default) while it detects the
    language and decodes, and the previous count is restored after each call.
    """

    name = "openai-whisper"

    def _load(self) -> Any:
        if self._model is None:
            import torch
            import whisper

            resolved = self._resolve()
            # a converted model always lives in the models directory (never in packages)
            assert resolved.directory is not None
            self._device = choose_device(self.options.device, gpu=torch_gpu)
            (file_name,) = (f.name for f in resolved.spec.files)
            checkpoint = torch.load(resolved.directory / file_name, map_location="cpu",
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
        with torch_threads(self.options.threads):
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
        # seeded fallback, global RNG left untouched
        with torch_threads(self.options.threads), torch.random.fork_rng(devices=[]):
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
