"""Speaker diarisation behind one interface: who speaks when.

Three diarisers return the same :class:`~consult_audio.audio.turns.Diarisation`:

- :class:`~consult_audio.audio.embedded.EmbeddedDiariser` (the default): Silero VAD, GE2E speaker
  embeddings on sliding windows, spectral clustering; its weights ship inside PyPI packages.
- :class:`~consult_audio.audio.channels.ChannelDiariser`: one speaker per channel of a
  dual-channel (telehealth) recording.
- :class:`~consult_audio.audio.pyannote_diariser.PyannoteDiariser`: a pyannote.audio 4 pipeline
  loaded from a local directory (imported on demand: it needs the pyannote extra).

This module gathers the names callers use, from the modules that define them: the data model
(:mod:`~consult_audio.audio.turns`), voice activity (:mod:`~consult_audio.audio.vad`),
clustering (:mod:`~consult_audio.audio.clustering`) and devices
(:mod:`~consult_audio.audio.device`). It imports no speech library.
"""

from __future__ import annotations

from consult_audio.audio.channels import ChannelDiariser
from consult_audio.audio.clustering import cluster, merge_same_voice
from consult_audio.audio.device import torch_device, torch_threads
from consult_audio.audio.embedded import EmbeddedDiariser, mean_square, mel_frames
from consult_audio.audio.models import shipped_model_provenance
from consult_audio.audio.turns import (
    Diarisation,
    Diariser,
    Turn,
    exclusive_turns,
    merge_adjacent,
    require_speech,
)
from consult_audio.audio.vad import speech_regions

__all__ = ["ChannelDiariser", "Diarisation", "Diariser", "EmbeddedDiariser", "Turn", "cluster",
           "exclusive_turns", "mean_square", "mel_frames", "merge_adjacent", "merge_same_voice",
           "require_speech", "shipped_model_provenance", "speech_regions", "torch_device",
           "torch_threads"]
