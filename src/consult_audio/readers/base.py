"""What every reader returns, and speaker-name helpers shared by the readers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from consult_audio.model import Word

# Tier or voice names that say nothing about who speaks.
_GENERIC_RE = re.compile(r"^(speaker|tier|transcript(ion)?|words?|utterances?|text|default)"
                         r"[\s_-]*\d*$", re.I)


@dataclass(frozen=True, slots=True)
class Segment:
    """A timed piece of one speaker's transcript, as read (tags not yet removed)."""

    speaker: str
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


def generic_speaker_name(name: str) -> bool:
    """True for tier names such as ``Speaker``, ``Tier 1`` or ``transcription``."""
    return bool(_GENERIC_RE.match(name.strip()))


def speaker_from_filename(path: Path) -> str:
    """The last ``_``-separated part of the file name: ``day2_consultation01_doctor.TextGrid`` ->
    ``doctor``."""
    stem = path.name.split(".")[0]
    return stem.rsplit("_", 1)[-1]
