"""The metrics of one consultation: talk time, turn-taking, interruptions, the opening statement,
questions, psychosocial talk and the habits, gathered in :class:`Metrics`.

Figures carry their unit in their name (``_s`` seconds, ``_share`` 0-1, ``per_10_min``), as in
the analysis JSON and the CSV columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Habits", "Interruptions", "Metrics", "OpeningStatement", "Psychosocial", "Questions",
           "RoleTurns", "TalkTime", "Turns"]


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

