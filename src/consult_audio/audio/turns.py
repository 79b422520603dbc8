"""Who speaks when, as the diarisers return it: :class:`Turn` (the model's speaker turn),
:class:`Diarisation` and the :class:`Diariser` interface, with the timeline operations every
diariser shares.

A diarisation keeps two views (as pyannote does): ``turns``, where speakers may overlap (for the
overlap and interruption metrics), and ``exclusive``, with one speaker at a time (for giving each
recognised word to a speaker).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from consult_audio.audio.decode import Audio
from consult_audio.audio.voices import VoiceEstimate
from consult_audio.errors import InputError
from consult_audio.model import Turn

__all__ = ["Diarisation", "Diariser", "Turn", "exclusive_turns", "merge_adjacent",
           "require_speech"]

MIN_SPEECH_S = 1.0  # s; a recording with less speech than this is refused


@dataclass(frozen=True)
class Diarisation:
    """Who speaks when.

    ``turns`` may overlap; ``exclusive`` has at most one speaker at any time. ``channel_of``
    maps a speaker to the channel that carries only them (dual-channel recordings), so that each
    channel can be transcribed on its own. ``voices`` is the estimate of how many voices the
    recording holds (``None`` when the diariser makes none).
    """

    turns: tuple[Turn, ...]
    exclusive: tuple[Turn, ...]
    method: str
    channel_of: dict[str, int] = field(default_factory=dict)
    voices: VoiceEstimate | None = None

    @property
    def speakers(self) -> tuple[str, ...]:
        return tuple(sorted({t.speaker for t in self.turns}))


class Diariser(Protocol):
    """Anything that diarises decoded audio."""

    name: str

    def diarise(self, audio: Audio, *, min_speakers: int, max_speakers: int,
                progress: Callable[[float], None] | None = None) -> Diarisation:
        """Who speaks when; ``progress`` receives the fraction done (0-1) now and then."""
        ...

    def provenance(self) -> dict[str, Any]: ...


def require_speech(audio: Audio, regions: Sequence[tuple[float, float]],
                   *, minimum: float = MIN_SPEECH_S) -> None:
    """:class:`InputError` when the recording holds less than ``minimum`` seconds of speech."""
    speech = sum(end - start for start, end in regions)
    if speech < minimum:
        found = "no speech" if speech == 0 else f"only {speech:.1f} s of speech"
        raise InputError(audio.source, f"{found} found in {audio.duration:.0f} s of audio; "
                                       "check the recording (is it silent, or the wrong file?)")


def merge_adjacent(turns: Sequence[Turn], *, gap: float = 0.0) -> list[Turn]:
    """``turns`` sorted, with consecutive turns of one speaker at most ``gap`` s apart joined."""
    merged: list[Turn] = []
    for turn in sorted(turns):
        last = merged[-1] if merged else None
        if last and last.speaker == turn.speaker and turn.start - last.end <= gap:
            merged[-1] = Turn(last.start, max(last.end, turn.end), last.speaker)
        else:
            merged.append(turn)
    return merged


def exclusive_turns(turns: Sequence[Turn]) -> list[Turn]:
    """One speaker at a time: where turns overlap, the shorter turn keeps the overlap (as in
    pyannote's exclusive diarisation, the speaker who starts inside another's turn is heard)."""
    events = sorted({t.start for t in turns} | {t.end for t in turns})
    pieces: list[Turn] = []
    for a, b in zip(events[:-1], events[1:], strict=False):
        active = [t for t in turns if t.start < b and t.end > a]
        if active:
            pieces.append(Turn(a, b, min(active, key=lambda t: t.duration).speaker))
    return merge_adjacent(pieces)
