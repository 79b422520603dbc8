"""Pure scoring of one :class:`~consult_audio.evaluation.coding.Coding` against another: question
matching, true/false positive counts, the per-consultation :class:`Comparison` (which adds up over
consultations: micro-averages) and cluster-bootstrap intervals.

Plain values in, counts out: no data files, no library run. Kappa and precision, recall and F1 are
:mod:`consult_audio.stats`.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from consult_audio.evaluation.coding import HABIT_TYPES, Coding, Question
from consult_audio.stats import cohen_kappa, prf

__all__ = ["BOOTSTRAP_SAMPLES", "MATCH_THRESHOLD", "MIN_OVERLAP_S", "PSYCHOSOCIAL_TOLERANCES_S",
           "PSYCHOSOCIAL_TURN_TOLERANCE", "QUESTION_TAGS", "Comparison", "Counts",
           "bootstrap_interval", "compare", "lenient_counts", "match_questions", "one_to_one",
           "overlap_pairs", "strict_counts", "text_overlap", "tokens", "within"]

MATCH_THRESHOLD = 0.6  # share of the shorter question's tokens found in the longer one
MIN_OVERLAP_S = 0.001  # s; shorter overlaps are rounding noise between the two TextGrids
PSYCHOSOCIAL_TOLERANCES_S = (15.0, 20.0)  # s; "within" windows for the first psychosocial time
PSYCHOSOCIAL_TURN_TOLERANCE = 2  # turns; "within" window for the first psychosocial turn (OSCE)
BOOTSTRAP_SAMPLES = 2000  # resamples of consultations for the 95% intervals
QUESTION_TAGS = ("agenda", "expectations", "feelings", "impact", "ideas", "check_understanding",
                 "preference")

_TAG_RE = re.compile(r"<[^>]*>")
_TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")


def tokens(text: str) -> frozenset[str]:
    """Lower-case word tokens of ``text`` with transcription tags (``<UNSURE>``, ``<UNIN/>``)
    removed."""
    return frozenset(_TOKEN_RE.findall(_TAG_RE.sub(" ", text).lower().replace("\u2019", "'")))


def text_overlap(a: str, b: str) -> float:
    """How far the shorter text is contained in the longer one: shared tokens / tokens of the
    shorter, 0-1. Texts with no tokens overlap 0. At least two tokens must be shared unless the
    shorter text has only one, so that a lone "okay" is not a match for a long question."""
    ta, tb = tokens(a), tokens(b)
    if not ta or not tb:
        return 0.0
    shared = len(ta & tb)
    shorter = min(len(ta), len(tb))
    if shared < min(2, shorter):
        return 0.0
    return shared / shorter


def _jaccard(a: str, b: str) -> float:
    ta, tb = tokens(a), tokens(b)
    return len(ta & tb) / len(ta | tb) if ta | tb else 0.0


def match_questions(pred: Sequence[Question], ref: Sequence[Question], *,
                    threshold: float = MATCH_THRESHOLD) -> list[tuple[int, int]]:
    """One-to-one matching of predicted and reference questions in the same utterance.

    Candidates are pairs in the same utterance whose :func:`text_overlap` is at least
    ``threshold``; they are taken greedily, best overlap first (ties: higher Jaccard similarity,
    then order). Returns ``(pred_index, ref_index)`` pairs sorted by ``pred_index``.
    """
    candidates = []
    for i, p in enumerate(pred):
        for j, r in enumerate(ref):
            if p.u != r.u:
                continue
            score = text_overlap(p.text, r.text)
            if score >= threshold:
                candidates.append((-score, -_jaccard(p.text, r.text), i, j))
    return one_to_one((i, j) for *_, i, j in sorted(candidates))


def one_to_one(ranked: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Greedy one-to-one pairs from candidate pairs ``(i, j)`` given best first: a pair is kept
    unless its ``i`` or its ``j`` is already paired. Returns the pairs sorted by ``i``."""
    used_i: set[int] = set()
    used_j: set[int] = set()
    out = []
    for i, j in ranked:
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            out.append((i, j))
    return sorted(out)


@dataclass(slots=True)
class Counts:
    """True positives, false positives and false negatives; ``+`` adds them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def as_dict(self) -> dict[str, Any]:
        p, r, f = prf(self.tp, self.fp, self.fn)
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn,
                "precision": p, "recall": r, "f1": f}


def strict_counts(pred: Mapping[int, str], ref: Mapping[int, str], kind: str) -> Counts:
    """Counts of overlap type ``kind`` in ``pred`` against ``ref`` (both ``o -> type``)."""
    p = {o for o, t in pred.items() if t == kind}
    r = {o for o, t in ref.items() if t == kind}
    return Counts(len(p & r), len(p - r), len(r - p))


def lenient_counts(pred: Mapping[int, str], ref_a: Mapping[int, str], ref_b: Mapping[int, str],
                   kind: str) -> Counts:
    """Counts of overlap type ``kind`` against two codings at once.

    A predicted ``kind`` at ``o`` is a true positive where either coding has ``kind`` at ``o`` and
    a false positive where neither does; a false negative is an ``o`` where both codings have
    ``kind`` and the prediction does not.
    """
    p = {o for o, t in pred.items() if t == kind}
    a = {o for o, t in ref_a.items() if t == kind}
    b = {o for o, t in ref_b.items() if t == kind}
    return Counts(len(p & (a | b)), len(p - (a | b)), len((a & b) - p))


def overlap_pairs(utterances: Sequence[tuple[float, float, str]], *,
                  min_overlap: float = MIN_OVERLAP_S) -> list[tuple[int, int]]:
    """Overlap pairs of ``gold/FORMAT.md`` from ``(start, end, speaker)`` sorted by start.

    For each ``a``, the following ``b`` up to the first that starts at or after ``a``'s end; a pair
    where ``b`` is another speaker's and the two share at least ``min_overlap`` seconds.
    """
    pairs = []
    for a, (_, a_end, a_spk) in enumerate(utterances):
        for b in range(a + 1, len(utterances)):
            b_start, b_end, b_spk = utterances[b]
            if b_start >= a_end:
                break
            if b_spk != a_spk and min(a_end, b_end) - b_start >= min_overlap:
                pairs.append((a, b))
    return pairs


def within(pred_s: float | None, ref_s: float | None, tolerance: float) -> bool:
    """True when both times are within ``tolerance`` seconds, or both are absent."""
    if pred_s is None or ref_s is None:
        return pred_s is None and ref_s is None
    return abs(pred_s - ref_s) <= tolerance


def _tag_counts(pred: Sequence[Question], ref: Sequence[Question],
                matches: Iterable[tuple[int, int]]) -> dict[str, list[int]]:
    # per tag: [both, pred only, ref only] over matched questions
    out = {t: [0, 0, 0] for t in QUESTION_TAGS}
    for i, j in matches:
        p, r = set(pred[i].tags), set(ref[j].tags)
        for tag in p | r:
            row = out.setdefault(tag, [0, 0, 0])
            row[0 if tag in p and tag in r else 1 if tag in p else 2] += 1
    return out


def _add_values(x: Any, y: Any) -> Any:
    """Sum of two :class:`Comparison` field values: counts and lists add, dicts add per key."""
    if isinstance(x, dict):
        out = {}
        for k in dict.fromkeys([*x, *y]):
            if k not in x:
                out[k] = y[k]
            elif k not in y:
                out[k] = x[k]
            elif isinstance(x[k], list):
                out[k] = [a + b for a, b in zip(x[k], y[k], strict=True)]
            else:
                out[k] = x[k] + y[k]
        return out
    return x + y


@dataclass(slots=True)
class Comparison:
    """One coding (``pred``) against another (``ref``) over one or more consultations.

    Counts add up across consultations (``+``), so totals are micro-averages.
    """

    consultations: int = 0
    questions: Counts = field(default_factory=Counts)
    open_closed: list[tuple[str, str]] = field(default_factory=list)  # (pred, ref) per match
    tags: dict[str, list[int]] = field(default_factory=dict)
    backchannel: Counts = field(default_factory=Counts)
    interruption: Counts = field(default_factory=Counts)
    overlap_types: list[tuple[str, str]] = field(default_factory=list)  # (pred, ref) per o
    psych_errors: list[float] = field(default_factory=list)  # s, where both have a time
    psych_within: dict[float, int] = field(default_factory=dict)
    psych_times: list[tuple[float | None, float | None]] = field(default_factory=list)
    opening_completed: int = 0
    opening_start: int = 0
    opening_end: int = 0
    habits: dict[str, list[int]] = field(default_factory=dict)  # type: [agree, pred, ref, n]
    psych_utterances: Counts = field(default_factory=Counts)
    psych_turns: list[tuple[int | None, int | None]] = field(default_factory=list)
    psych_turn_within: int = 0  # consultations within PSYCHOSOCIAL_TURN_TOLERANCE turns

    def __add__(self, other: Comparison) -> Comparison:
        return Comparison(**{f.name: _add_values(getattr(self, f.name), getattr(other, f.name))
                             for f in fields(self)})

    def as_dict(self) -> dict[str, Any]:
        oc_pred = [p for p, _ in self.open_closed]
        oc_ref = [r for _, r in self.open_closed]
        oc_agree = sum(p == r for p, r in self.open_closed)
        ov_pred = [p for p, _ in self.overlap_types]
        ov_ref = [r for _, r in self.overlap_types]
        errors = self.psych_errors
        return {
            "consultations": self.consultations,
            "questions": {**self.questions.as_dict(),
                          "predicted": self.questions.tp + self.questions.fp,
                          "reference": self.questions.tp + self.questions.fn},
            "open_closed": {
                "matched": len(self.open_closed),
                "agree": oc_agree,
                "accuracy": oc_agree / len(self.open_closed) if self.open_closed else None,
                "kappa": cohen_kappa(oc_pred, oc_ref),
            },
            "tags": {t: dict(zip(("both", "pred_only", "ref_only"), v, strict=True))
                     for t, v in self.tags.items()},
            "backchannel": self.backchannel.as_dict(),
            "interruption": self.interruption.as_dict(),
            "overlap_type_kappa": cohen_kappa(ov_pred, ov_ref),
            "first_psychosocial": {
                "times_s": [list(t) for t in self.psych_times],
                "n_with_both": len(errors),
                "mean_abs_error_s": statistics.fmean(errors) if errors else None,
                "median_abs_error_s": statistics.median(errors) if errors else None,
                **{f"within_{k:g}s": v for k, v in self.psych_within.items()},
                "turns": [list(t) for t in self.psych_turns],
                f"within_{PSYCHOSOCIAL_TURN_TOLERANCE}_turns": self.psych_turn_within,
            },
            "psychosocial_utterances": self.psych_utterances.as_dict(),
            "opening_statement": {
                "completed_agree": self.opening_completed,
                "start_agree": self.opening_start,
                "end_agree": self.opening_end,
            },
            "habits": {h: {**dict(zip(("agree", "pred_present", "ref_present"), v[:3],
                                      strict=True)),
                           "consultations": v[3] if len(v) > 3 else self.consultations}
                       for h, v in self.habits.items()},
        }


def compare(pred: Coding, ref: Coding) -> Comparison:
    """``pred`` against ``ref`` for one consultation."""
    matches = match_questions(pred.questions, ref.questions)
    q = Counts(len(matches), len(pred.questions) - len(matches), len(ref.questions) - len(matches))
    oc = [(pred.questions[i].type, ref.questions[j].type) for i, j in matches]
    ov_types = [(pred.overlaps.get(o, "other"), t) for o, t in sorted(ref.overlaps.items())]
    p_s, r_s = pred.first_psychosocial_s, ref.first_psychosocial_s
    errors = [abs(p_s - r_s)] if p_s is not None and r_s is not None else []
    po, ro = pred.opening, ref.opening
    habits = {}
    for h in HABIT_TYPES:
        if h not in pred.habits or h not in ref.habits:
            continue  # one of the two codings did not code this habit
        p_has, r_has = bool(pred.habits[h]), bool(ref.habits[h])
        habits[h] = [int(p_has == r_has), int(p_has), int(r_has), 1]
    p_u, r_u = pred.first_psychosocial_u, ref.first_psychosocial_u
    turn_within = (p_u is None and r_u is None) or (
        p_u is not None and r_u is not None and abs(p_u - r_u) <= PSYCHOSOCIAL_TURN_TOLERANCE)
    ps, rs = pred.psychosocial_u, ref.psychosocial_u
    return Comparison(
        consultations=1,
        questions=q,
        open_closed=oc,
        tags=_tag_counts(pred.questions, ref.questions, matches),
        backchannel=strict_counts(pred.overlaps, ref.overlaps, "backchannel"),
        interruption=strict_counts(pred.overlaps, ref.overlaps, "interruption"),
        overlap_types=ov_types,
        psych_errors=errors,
        psych_within={t: int(within(p_s, r_s, t)) for t in PSYCHOSOCIAL_TOLERANCES_S},
        psych_times=[(p_s, r_s)],
        opening_completed=int(po is not None and ro is not None and po.completed == ro.completed),
        opening_start=int(po is not None and ro is not None and po.u_start == ro.u_start),
        opening_end=int(po is not None and ro is not None and po.u_end == ro.u_end),
        habits=habits,
        psych_utterances=Counts(len(ps & rs), len(ps - rs), len(rs - ps)),
        psych_turns=[(p_u, r_u)],
        psych_turn_within=int(turn_within),
    )


def bootstrap_interval(per_consultation: Sequence[Comparison],
                       statistic: Callable[[dict[str, Any]], float | None], *,
                       samples: int = BOOTSTRAP_SAMPLES, seed: int = 0
                       ) -> tuple[float, float] | None:
    """95% percentile interval of ``statistic`` (read from :meth:`Comparison.as_dict` of the
    total) over resamples of whole consultations with replacement (a cluster bootstrap: the
    questions of one consultation are not independent). ``None`` with fewer than two
    consultations or where the statistic is undefined in most resamples."""
    if len(per_consultation) < 2:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(samples):
        picks = rng.integers(0, len(per_consultation), len(per_consultation))
        total = sum((per_consultation[k] for k in picks), Comparison())
        value = statistic(total.as_dict())
        if value is not None:
            values.append(value)
    if len(values) < samples / 2:
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)

