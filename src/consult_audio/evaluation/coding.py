"""Codings of one consultation in the terms of ``gold/FORMAT.md``: from a hand coding (gold JSON)
or from an analysis.

Utterance indices ``u`` are positions in :attr:`~consult_audio.model.Consultation.utterances`;
overlap indices ``o`` number the overlap pairs of :func:`~consult_audio.evaluation.scoring.
overlap_pairs`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from consult_audio.errors import ConsultAudioError
from consult_audio.model import AnalysisResult, Consultation, Role

__all__ = ["GOLD_HABIT_KEYS", "HABIT_TYPES", "TOOL_OVERLAP_TYPES", "Coding", "EvaluationError",
           "Opening", "Question", "coding_from_gold", "coding_from_result"]

HABIT_TYPES = ("expectations", "agenda", "empathy", "missed_empathy", "summary", "options",
               "preference")
# gold JSON key -> habit event type; a coding without a key did not code that habit
GOLD_HABIT_KEYS = {
    "expectations_elicited_u": "expectations",
    "agenda_elicited_u": "agenda",
    "empathy_u": "empathy",
    "missed_empathy_u": "missed_empathy",
    "summary_u": "summary",
    "options_offered_u": "options",
    "preference_asked_u": "preference",
}
# library event type -> gold overlap type
TOOL_OVERLAP_TYPES = {"backchannel": "backchannel", "interruption": "interruption",
                      "overlap": "other"}


class EvaluationError(ConsultAudioError):
    """The library's output does not line up with the hand coding (utterances or overlap pairs)."""


@dataclass(frozen=True, slots=True)
class Question:
    """A clinician question: its utterance ``u``, text, ``open``/``closed`` and tags."""

    u: int
    text: str
    type: str  # open | closed
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Opening:
    """The opening statement: its first (patient) utterance, the clinician utterance that ended
    it (``None``: not ended, or not known) and whether the patient completed it."""

    u_start: int | None
    u_end: int | None
    completed: bool | None


@dataclass(frozen=True, slots=True)
class Coding:
    """One coding of one consultation, automatic or by hand, in the terms of ``gold/FORMAT.md``.

    ``overlaps`` maps an overlap index ``o`` to ``backchannel``/``interruption``/``other``;
    ``first_psychosocial_s`` is seconds from the start (``None``: no psychosocial content);
    ``habits`` maps a habit type to the utterance indices where it was coded (a type that is
    absent was not coded); ``psychosocial_u`` are the psychosocial utterances (turns).
    """

    questions: tuple[Question, ...] = ()
    overlaps: Mapping[int, str] = field(default_factory=dict)
    first_psychosocial_s: float | None = None
    opening: Opening | None = None
    habits: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    psychosocial_u: frozenset[int] = frozenset()

    @property
    def first_psychosocial_u(self) -> int | None:
        return min(self.psychosocial_u, default=None)


def coding_from_gold(data: Mapping[str, Any], starts: Sequence[float]) -> Coding:
    """A gold JSON object as a :class:`Coding`; ``starts`` are the utterance start times (s)."""
    questions = tuple(Question(int(q["u"]), str(q["text"]), str(q["type"]),
                               tuple(q.get("tags") or ())) for q in data.get("questions", []))
    overlaps = {int(o["o"]): str(o["type"]) for o in data.get("overlaps", [])}
    psych_u = [int(p["u"]) for p in data.get("psychosocial", [])]
    first_s = starts[min(psych_u)] if psych_u else None
    op = data.get("opening_statement")
    opening = Opening(op.get("u_start"), op.get("u_end"), op.get("completed")) if op else None
    habits: dict[str, tuple[int, ...]] = {}
    for key, habit in GOLD_HABIT_KEYS.items():
        if key not in data:
            continue
        value = data[key]
        if value is None:
            habits[habit] = ()
        elif isinstance(value, list):
            habits[habit] = tuple(int(v) for v in value)
        else:
            habits[habit] = (int(value),)
    return Coding(questions, overlaps, first_s, opening, habits, frozenset(psych_u))


def coding_from_result(result: AnalysisResult, pair_index: Mapping[tuple[int, int], int]
                       ) -> Coding:
    """An analysis as a :class:`Coding`.

    ``pair_index`` maps an overlap pair ``(a, b)`` of utterance indices to its ``o``. Raises
    :class:`EvaluationError` where an overlap event names a pair that is not in it, or two events
    name the same pair.
    """
    questions = []
    overlaps: dict[int, str] = {}
    habits: dict[str, list[int]] = {h: [] for h in HABIT_TYPES}
    psychosocial: set[int] = set()
    for e in result.events:
        if e.type == "psychosocial" and e.utterance is not None:
            psychosocial.add(int(e.utterance))
        if e.type == "question" and e.role == "clinician":
            if e.utterance is None:
                raise EvaluationError(f"question event without an utterance index: {e.text!r}")
            questions.append(Question(int(e.utterance), e.text, e.label, tuple(e.tags)))
        elif e.type in TOOL_OVERLAP_TYPES:
            pair = e.evidence.get("pair")
            if pair is None or tuple(pair) not in pair_index:
                raise EvaluationError(f"{e.type} event at {e.start:.2f} s names pair {pair!r}, "
                                      "which is not an overlap pair of gold/FORMAT.md")
            o = pair_index[(int(pair[0]), int(pair[1]))]
            if o in overlaps:
                raise EvaluationError(f"two overlap events for pair {tuple(pair)} (o={o})")
            overlaps[o] = TOOL_OVERLAP_TYPES[e.type]
        elif e.type in habits and e.utterance is not None:
            habits[e.type].append(int(e.utterance))
    m = result.metrics
    os_ = m.opening_statement
    opening = None
    if os_.found:
        ender = _ender_index(result.consultation, os_.last_utterance, os_.ended_by)
        opening = Opening(os_.first_utterance, ender, os_.completed)
    return Coding(tuple(questions), overlaps, m.psychosocial.first_s, opening,
                  {h: tuple(v) for h, v in habits.items()}, frozenset(psychosocial))


def _ender_index(c: Consultation, last: int | None, ended_by: str | None) -> int | None:
    # The gold's u_end is the clinician utterance that ends the opening statement; the library
    # reports the patient's last utterance and the ender's text, so find the ender after it (only
    # encouragers and tag-only clinician utterances lie between the two).
    if last is None or ended_by is None:
        return None
    for k in range(last + 1, len(c.utterances)):
        u = c.utterances[k]
        if u.text == ended_by and c.role_of(u.speaker) == Role.CLINICIAN:
            return k
    return None
