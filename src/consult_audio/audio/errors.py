"""Errors of the audio stack that more than one module raises.

:class:`ModelError` lives here rather than in :mod:`consult_audio.audio.models` so that the model
registry and the checkpoint converter it calls (:mod:`consult_audio.audio.convert`) can both raise
it without importing each other. ``consult_audio.audio.models.ModelError`` is the same class.
"""

from __future__ import annotations

from consult_audio.errors import ConsultAudioError

__all__ = ["ModelError"]


class ModelError(ConsultAudioError):
    """A model is unknown, missing or does not match its recorded hash."""
