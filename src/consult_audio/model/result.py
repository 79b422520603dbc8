"""The coded events, the feedback and the analysis result with its versioned JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from consult_audio.model.consultation import Consultation, Span
from consult_audio.model.measures import Metrics
from consult_audio.model.plain import dataclass_from_plain, field_names, to_plain

__all__ = ["EVENT_TYPES", "SCHEMA", "AnalysisResult", "Event", "FeedbackItem", "Reference"]

SCHEMA = "consult-audio/analysis/v1"


@dataclass(frozen=True, slots=True)
class Event:
    """One coded communication event, with the evidence behind it.

    ``type`` is one of :data:`EVENT_TYPES`; ``label`` refines it (``open``/``closed`` for a
    question, a category for psychosocial content, ``successful``/``unsuccessful`` for an
    interruption...); ``utterance`` is the index of the utterance in
    :attr:`Consultation.utterances`. Its times are read as ``start``, ``end`` and ``span`` like
    those of any timed object; ``start_s`` and ``end_s`` are the stored fields (and JSON keys).
    """

    type: str
    start_s: float
    end_s: float
    role: str
    text: str
    label: str = ""
    speaker: str = ""
    utterance: int | None = None
    tags: tuple[str, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def start(self) -> float:
        """Seconds from the start of the consultation (the field ``start_s``)."""
        return self.start_s

    @property
    def end(self) -> float:
        """Seconds from the start of the consultation (the field ``end_s``)."""
        return self.end_s

    @property
    def span(self) -> Span:
        return Span(self.start_s, self.end_s)


EVENT_TYPES = (
    "question",
    "interruption",
    "backchannel",
    "overlap",
    "psychosocial",
    "expectations",
    "agenda",
    "empathy",
    "missed_empathy",
    "options",
    "preference",
    "summary",
    "harmful_language",
    "patient_question",
)


@dataclass(frozen=True, slots=True)
class Reference:
    """A research reference a finding is compared with: a value with its unit, or (``value``
    ``None``) a source whose finding is stated in words only."""

    key: str
    value: float | None
    unit: str
    statement: str
    citation: str


@dataclass(frozen=True, slots=True)
class FeedbackItem:
    """A short, concrete piece of feedback, grouped by one of the Four Habits.

    ``kind`` is ``strength`` or ``suggestion`` (or ``info`` where there is nothing to judge).
    ``evidence`` holds the events (times and quotes) it rests on.
    """

    habit: str
    key: str
    kind: str
    message: str
    suggestion: str = ""
    references: tuple[Reference, ...] = ()
    evidence: tuple[Event, ...] = ()


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    """Everything one analysis produced. Serialises to versioned JSON (:data:`SCHEMA`)."""

    consultation: Consultation
    metrics: Metrics
    events: tuple[Event, ...]
    feedback: tuple[FeedbackItem, ...]
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; utterances also listed flat with their role."""
        c = self.consultation
        return {
            "schema": SCHEMA,
            "id": c.id,
            "consultation": to_plain(c),
            "utterances": [
                {
                    "start_s": u.start,
                    "end_s": u.end,
                    "speaker": u.speaker,
                    "role": str(c.role_of(u.speaker)),
                    "text": u.text,
                }
                for u in c.utterances
            ],
            "metrics": to_plain(self.metrics),
            "events": [to_plain(e) for e in self.events],
            "feedback": [to_plain(f) for f in self.feedback],
            "provenance": to_plain(self.provenance),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AnalysisResult:
        """Inverse of :meth:`to_dict`. Raises ``ValueError`` on another schema or missing fields."""
        schema = data.get("schema")
        if schema != SCHEMA:
            raise ValueError(f"analysis schema is {schema!r}, expected {SCHEMA!r}")
        return dataclass_from_plain(cls, {k: data[k] for k in field_names(cls) if k in data})

