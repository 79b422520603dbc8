"""The audio pipeline: recordings to consultations (decode, diarise, transcribe, align).

Importing this package imports no speech library; each stage imports its library when it runs.
"""

from __future__ import annotations

from pathlib import Path

# Suffixes decoded as recordings (PyAV reads the audio track of the video containers).
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".webm",
                  ".mp4", ".m4v", ".mov", ".mkv", ".wma", ".amr", ".3gp")


def is_audio_path(path: Path | str) -> bool:
    """True when ``path`` names a recording (by suffix) rather than a transcript."""
    return Path(path).suffix.lower() in AUDIO_SUFFIXES
