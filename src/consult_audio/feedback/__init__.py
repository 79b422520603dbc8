"""Findings to feedback: short, kind, concrete items grouped by the Four Habits.

Each finding has its own helper that reads the metrics and coded events and returns zero or more
:class:`FeedbackItem` objects: a ``strength``, a ``suggestion`` or, where there is nothing to judge
(a metric could not be measured), ``info``. An item carries the few events that best show the
finding (times and quotes) and the research reference values it is compared with
(``data/references.json``, see :func:`load_references`).

This is feedback on communication, not a clinical assessment. Thresholds marked *heuristic* below
are this tool's own choices for when to phrase a finding as a suggestion; they are not research
values and are never presented as such.

The findings are grouped by habit: :mod:`~consult_audio.feedback.beginning`,
:mod:`~consult_audio.feedback.perspective`, :mod:`~consult_audio.feedback.empathy` and
:mod:`~consult_audio.feedback.end`; what they share is in :mod:`~consult_audio.feedback.context`
(habits, thresholds), :mod:`~consult_audio.feedback.references` and
:mod:`~consult_audio.feedback.phrasing` (times, quotes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from consult_audio.feedback.beginning import agenda_feedback, opening_statement_feedback
from consult_audio.feedback.context import (
    HABITS,
    LATE_PSYCHOSOCIAL_FRACTION,
    LONG_MONOLOGUE_S,
    LOW_OPEN_RATIO,
    LOW_PATIENT_SHARE,
    MAX_EXAMPLES,
    MAX_HARMFUL_ITEMS,
    MORE_ROOM_TIP,
    NOT_CLINICAL,
    SHORT_OPENING_S,
    FeedbackContext,
)
from consult_audio.feedback.empathy import empathy_feedback, missed_empathy_feedback
from consult_audio.feedback.end import (
    harmful_language_feedback,
    patient_questions_feedback,
    shared_decision_feedback,
    summary_feedback,
)
from consult_audio.feedback.perspective import (
    expectations_feedback,
    ideas_concerns_feedback,
    interruptions_feedback,
    psychosocial_feedback,
    questions_feedback,
    talk_share_feedback,
)
from consult_audio.feedback.phrasing import QUOTE_CHARS, clock, matched_sentence, quote, unsure_note
from consult_audio.feedback.references import (
    REF_AGENDA,
    REF_ALLIANCE,
    REF_BACKCHANNELS,
    REF_BECKMAN,
    REF_BECKMAN_SHARE,
    REF_FOUR_HABITS,
    REF_LANGEWITZ,
    REF_LANGEWITZ_2MIN,
    REF_MARVEL,
    REF_MARVEL_SOLICITED,
    REF_SINGH_OSPINA,
    _packaged_references,
    load_references,
)
from consult_audio.model import Consultation, Event, FeedbackItem, Metrics

__all__ = [
    "FINDINGS", "HABITS", "LATE_PSYCHOSOCIAL_FRACTION", "LONG_MONOLOGUE_S", "LOW_OPEN_RATIO",
    "LOW_PATIENT_SHARE", "MAX_EXAMPLES", "MAX_HARMFUL_ITEMS", "MORE_ROOM_TIP", "NOT_CLINICAL",
    "QUOTE_CHARS", "REF_AGENDA", "REF_ALLIANCE", "REF_BACKCHANNELS", "REF_BECKMAN",
    "REF_BECKMAN_SHARE", "REF_FOUR_HABITS", "REF_LANGEWITZ", "REF_LANGEWITZ_2MIN", "REF_MARVEL",
    "REF_MARVEL_SOLICITED", "REF_SINGH_OSPINA", "SHORT_OPENING_S", "FeedbackContext",
    "build_feedback", "clock", "load_references", "matched_sentence", "quote", "unsure_note",
]

FINDINGS: tuple[Callable[[FeedbackContext], list[FeedbackItem]], ...] = (
    opening_statement_feedback,
    agenda_feedback,
    talk_share_feedback,
    interruptions_feedback,
    questions_feedback,
    expectations_feedback,
    ideas_concerns_feedback,
    psychosocial_feedback,
    empathy_feedback,
    missed_empathy_feedback,
    shared_decision_feedback,
    summary_feedback,
    harmful_language_feedback,
    patient_questions_feedback,
)


def build_feedback(
    c: Consultation, metrics: Metrics, events: Sequence[Event]
) -> list[FeedbackItem]:
    """Every finding as feedback items, grouped by habit in :data:`HABITS` order."""
    ctx = FeedbackContext(c, metrics, tuple(events), _packaged_references())
    items = [item for finding in FINDINGS for item in finding(ctx)]
    order = {habit: i for i, habit in enumerate(HABITS)}
    return sorted(items, key=lambda item: order[item.habit])

