"""The data model: frozen dataclasses shared by every stage.

Times are seconds (float) from the start of the consultation. Nothing here imports the rest of the
package; readers and the audio pipeline build these objects, metrics read them, renderers read the
:class:`AnalysisResult`.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

SCHEMA = "consult-audio/analysis/v1"


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


@dataclass(frozen=True, slots=True)
class Event:
    """One coded communication event, with the evidence behind it.

    ``type`` is one of :data:`EVENT_TYPES`; ``label`` refines it (``open``/``closed`` for a
    question, a category for psychosocial content, ``successful``/``unsuccessful`` for an
    interruption...); ``utterance`` is the index of the utterance in
    :attr:`Consultation.utterances`.
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


# --- metrics -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TalkTime:
    """Talk time per role (s) and shares. Role shares are over speech time (clinician + patient
    speech, silence excluded); ``silence_share`` and ``overlap_share`` are over the recording."""

    duration_s: float
    clinician_s: float
    patient_s: float
    other_s: float
    speech_s: float
    silence_s: float
    overlap_s: float
    clinician_share: float | None
    patient_share: float | None
    silence_share: float
    overlap_share: float


@dataclass(frozen=True, slots=True)
class RoleTurns:
    """Turn-taking of one role."""

    turns: int
    utterances: int
    words: int
    longest_monologue_s: float
    mean_turn_s: float | None
    words_per_minute: float | None


@dataclass(frozen=True, slots=True)
class Turns:
    clinician: RoleTurns
    patient: RoleTurns


@dataclass(frozen=True, slots=True)
class Interruptions:
    """Overlap classification counts. ``per_10_min`` counts interruptions by either role."""

    by_clinician: int
    by_patient: int
    successful: int
    unsuccessful: int
    backchannels: int
    backchannels_by_clinician: int
    backchannels_by_patient: int
    other_overlaps: int
    per_10_min: float


@dataclass(frozen=True, slots=True)
class OpeningStatement:
    """The patient's opening statement; all ``None`` when it was not found.

    ``first_interruption_s`` is seconds from its start to the clinician utterance that ended it when
    that utterance interrupted, else ``None``.
    """

    found: bool
    start_s: float | None
    end_s: float | None
    duration_s: float | None
    completed: bool | None
    first_interruption_s: float | None
    ended_by: str | None
    first_utterance: int | None = None
    last_utterance: int | None = None
    ended_by_utterance: int | None = None


@dataclass(frozen=True, slots=True)
class Questions:
    """Clinician questions. ``open_ratio`` = open / (open + closed), ``None`` with no questions."""

    open: int
    closed: int
    total: int
    open_ratio: float | None
    by_tag: Mapping[str, int]
    patient_questions: int


@dataclass(frozen=True, slots=True)
class Psychosocial:
    """First psychosocial utterance (s from the start, and as a fraction of the consultation),
    who raised it, and the share of speech time in psychosocial utterances."""

    first_s: float | None
    first_by: str | None
    first_fraction: float | None
    share: float
    utterances: int
    by_category: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Habits:
    """Four Habits / OPTION-5 / Calgary-Cambridge behaviours."""

    expectations_elicited: bool
    expectations_first_s: float | None
    agenda_elicited: bool
    agenda_first_s: float | None
    empathy: int
    missed_empathy: int
    options_offered: int
    preference_asked: int
    shared_decision_steps: int
    summary: int
    teach_back: int
    harmful_language: int


@dataclass(frozen=True, slots=True)
class Metrics:
    talk_time: TalkTime
    turns: Turns
    interruptions: Interruptions
    opening_statement: OpeningStatement
    questions: Questions
    psychosocial: Psychosocial
    habits: Habits


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
        return _dataclass_from_plain(cls, {k: data[k] for k in _field_names(cls) if k in data})


# --- generic (de)serialisation --------------------------------------------------------------------


def to_plain(value: Any) -> Any:
    """Dataclasses, enums, tuples and mappings to JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, StrEnum):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value


_D = TypeVar("_D", bound="DataclassInstance")


def _field_names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    # Resolving the string annotations is most of the cost of reading an analysis back.
    return typing.get_type_hints(cls)


def _dataclass_from_plain(cls: type[_D], data: Any) -> _D:
    """Build an instance of the dataclass ``cls`` from a mapping, field by field."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    hints = _type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = from_plain(hints[f.name], data[f.name])
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ValueError(f"{cls.__name__}: missing field {f.name!r}")
    return cls(**kwargs)


def from_plain(tp: Any, data: Any) -> Any:
    """Build an instance of type ``tp`` (a dataclass or a typing construct) from plain data."""
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _dataclass_from_plain(tp, data)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return from_plain(arg, data)
            except (ValueError, TypeError):
                continue
        raise ValueError(f"value {data!r} does not fit {tp}")
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(data, list | tuple):
            raise ValueError(f"expected a list, got {type(data).__name__}")
        return tuple(from_plain(args[0], v) for v in data)
    if origin in (Mapping, dict) or tp is Mapping:
        if not isinstance(data, Mapping):
            raise ValueError(f"expected an object, got {type(data).__name__}")
        args = typing.get_args(tp)
        value_tp = args[1] if len(args) == 2 else Any
        return {str(k): from_plain(value_tp, v) for k, v in data.items()}
    if tp is Any:
        return data
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        return tp(data)
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise ValueError(f"expected a number, got {data!r}")
        return float(data)
    if tp in (int, str, bool):
        if not isinstance(data, tp) or (tp is int and isinstance(data, bool)):
            raise ValueError(f"expected {tp.__name__}, got {data!r}")
        return data
    return data
