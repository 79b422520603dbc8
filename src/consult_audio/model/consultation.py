"""What was said and when: spans, words, utterances, speaker turns, speakers and the consultation.

Times are seconds (float) from the start of the consultation; every timed type here has ``start``,
``end`` and ``span``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Consultation", "Role", "Span", "Speaker", "Turn", "Utterance", "Word"]


class Role(StrEnum):
    """Who a speaker is in the consultation."""

    CLINICIAN = "clinician"
    PATIENT = "patient"
    OTHER = "other"


@dataclass(frozen=True, order=True, slots=True)
class Span:
    """A half-open time interval ``[start, end)`` in seconds."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start

    def overlap(self, other: Span) -> float:
        """Seconds shared with ``other`` (0 when disjoint)."""
        return max(0.0, min(self.end, other.end) - max(self.start, other.start))


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised or transcribed word."""

    text: str
    start: float
    end: float
    probability: float | None = None
    speaker: str | None = None

    @property
    def span(self) -> Span:
        return Span(self.start, self.end)


@dataclass(frozen=True, slots=True)
class Utterance:
    """A stretch of one speaker's speech: a transcript interval or a run of words.

    ``text`` is clean text (transcription tags removed, the words inside ``<UNSURE>`` kept);
    ``raw_text`` is the text as read; ``tags`` names the transcription tags met
    (``unsure``, ``unintelligible``, ``inaudible``).
    """

    speaker: str
    start: float
    end: float
    text: str
    raw_text: str = ""
    tags: tuple[str, ...] = ()
    words: tuple[Word, ...] = ()

    @property
    def span(self) -> Span:
        return Span(self.start, self.end)

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, order=True, slots=True)
class Turn:
    """A speaker turn: a stretch of speech of one speaker, without its words (who spoke when, as
    a diariser or an RTTM file gives it). Ordered by start, then end, then speaker."""

    start: float
    end: float
    speaker: str

    @property
    def span(self) -> Span:
        return Span(self.start, self.end)

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Speaker:
    """A speaker label and its role, with how the role was decided.

    ``role_source`` is ``given`` (``--role``), ``name`` (the label says the role, e.g. ``doctor``),
    ``inferred`` (from what was said) or ``default``; ``role_confidence`` is 0-1.
    """

    label: str
    role: Role
    role_source: str = "given"
    role_confidence: float = 1.0
    role_evidence: str = ""


@dataclass(frozen=True, slots=True)
class Consultation:
    """One consultation: its speakers and their utterances, sorted by start time.

    ``duration`` is the length of the recording in seconds (at least the end of the last utterance).
    """

    id: str
    duration: float
    speakers: tuple[Speaker, ...]
    utterances: tuple[Utterance, ...]
    language: str | None = None
    sources: tuple[str, ...] = ()

    def role_of(self, speaker: str) -> Role:
        for s in self.speakers:
            if s.label == speaker:
                return s.role
        return Role.OTHER
