"""Compare consult-audio's automatic coding with the two hand codings of PriMock57.

For each consultation with a hand coding in ``DATA_DIR/primock57/gold`` (and its independent
second coding in ``gold2``), the transcripts are read with
:func:`consult_audio.readers.load_consultation`, analysed with
:func:`consult_audio.analysis.analyse`, and the events compared with both codings.
The two codings are also compared with each other (``gold2`` against ``gold``): the ceiling an
automatic coder can be expected to reach.

Utterance indices ``u`` and overlap indices ``o`` follow ``gold/FORMAT.md``; the script checks that
the library's utterances and overlap pairs line up with them and stops (exit 1) where they do not.

The scoring functions are pure (plain values in, counts out) so they are unit-tested without the
data or the library; ``tests/test_evaluate.py`` imports this file by path.
"""

from __future__ import annotations

import json
import logging
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import click
import numpy as np

from consult_audio import stats as _stats

log = logging.getLogger("evaluate")

MATCH_THRESHOLD = 0.6  # share of the shorter question's tokens found in the longer one
MIN_OVERLAP_S = 0.001  # s; shorter overlaps are rounding noise between the two TextGrids
PSYCHOSOCIAL_TOLERANCES_S = (15.0, 20.0)  # s; "within" windows for the first psychosocial time
PSYCHOSOCIAL_TURN_TOLERANCE = 2  # turns; "within" window for the first psychosocial turn (OSCE)
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
CORPORA = ("primock57", "osce")
# The hand-coded consultations the packaged rules were developed on (read, errors studied, rules
# changed). Every other hand-coded consultation is held out: its figures are the known error.
# Update this when a change to the rules is made by studying more of the gold.
DEVELOPED_ON: Mapping[str, tuple[str, ...] | None] = {
    "primock57": None,  # all 10 (the rules were first built on them)
    "osce": ("MSK0005", "MSK0006", "MSK0007", "MSK0008"),  # since rules 2026.12.1
}
BOOTSTRAP_SAMPLES = 2000  # resamples of consultations for the 95% intervals
OVERLAP_TYPES = ("backchannel", "interruption", "other")
# library event type -> gold overlap type
TOOL_OVERLAP_TYPES = {"backchannel": "backchannel", "interruption": "interruption",
                      "overlap": "other"}
QUESTION_TAGS = ("agenda", "expectations", "feelings", "impact", "ideas", "check_understanding",
                 "preference")

# (predicted coding, reference coding) for each comparison, in print order
COMPARISONS = (("tool", "gold"), ("tool", "gold2"), ("gold2", "gold"))

_TAG_RE = re.compile(r"<[^>]*>")
_TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")


class EvaluationError(Exception):
    """The library's output does not line up with the hand coding (utterances or overlap pairs)."""


# --- codings -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Question:
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


def coding_from_result(result: Any, pair_index: Mapping[tuple[int, int], int]) -> Coding:
    """An :class:`~consult_audio.model.AnalysisResult` as a :class:`Coding`.

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
                raise EvaluationError(f"{e.type} event at {e.start_s:.2f} s names pair {pair!r}, "
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
        ender = _ender_index(getattr(result, "consultation", None), os_.last_utterance,
                             os_.ended_by)
        opening = Opening(os_.first_utterance, ender, os_.completed)
    return Coding(tuple(questions), overlaps, m.psychosocial.first_s, opening,
                  {h: tuple(v) for h, v in habits.items()}, frozenset(psychosocial))


def _ender_index(c: Any, last: int | None, ended_by: str | None) -> int | None:
    # The gold's u_end is the clinician utterance that ends the opening statement; the library
    # reports the patient's last utterance and the ender's text, so find the ender after it (only
    # encouragers and tag-only clinician utterances lie between the two).
    if c is None or last is None or ended_by is None:
        return None
    for k in range(last + 1, len(c.utterances)):
        if c.utterances[k].text == ended_by and c.role_of(c.utterances[k].speaker) == "clinician":
            return k
    return None


# --- pure scoring --------------------------------------------------------------------------------


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
    candidates.sort()
    used_p: set[int] = set()
    used_r: set[int] = set()
    out = []
    for _, _, i, j in candidates:
        if i in used_p or j in used_r:
            continue
        used_p.add(i)
        used_r.add(j)
        out.append((i, j))
    return sorted(out)


# Kappa and P/R/F1 are the package's own (consult_audio.stats), shared with `consult-audio
# agreement`; re-exported here for the tests and the other scripts.
prf = _stats.prf
cohen_kappa = _stats.cohen_kappa


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


# --- running the library -------------------------------------------------------------------------


@dataclass(slots=True)
class ConsultationResult:
    id: str
    utterances: int
    pairs: int
    runtime_s: float
    codings: dict[str, Coding]
    comparisons: dict[str, Comparison]
    lenient: dict[str, Counts]


def _count_textgrid_utterances(paths: Sequence[Path]) -> int:
    # Independent of consult_audio's readers: FORMAT.md keeps every interval whose text is not
    # empty after trimming.
    from praatio import textgrid as praat_textgrid

    n = 0
    for path in paths:
        tg = praat_textgrid.openTextgrid(str(path), includeEmptyIntervals=True)
        for name in tg.tierNames:
            tier = tg.getTier(name)
            if tier.tierType == praat_textgrid.INTERVAL_TIER:
                n += sum(1 for e in tier.entries if e.label.strip())
    return n


def evaluate_consultation(cid: str, root: Path, *, rules: Any = None) -> ConsultationResult:
    """Analyse one consultation and compare it with both codings."""
    from consult_audio.analysis import analyse
    from consult_audio.model import Role
    from consult_audio.readers import load_consultation

    tgs = [root / "transcripts" / f"{cid}_{who}.TextGrid" for who in ("doctor", "patient")]
    gold = json.loads((root / "gold" / f"{cid}.gold.json").read_text(encoding="utf-8"))
    gold2 = json.loads((root / "gold2" / f"{cid}.gold.json").read_text(encoding="utf-8"))

    c = load_consultation(tgs, roles={"doctor": Role.CLINICIAN, "patient": Role.PATIENT})
    expected = _count_textgrid_utterances(tgs)
    if len(c.utterances) != expected:
        raise EvaluationError(f"{cid}: load_consultation gave {len(c.utterances)} utterances, "
                              f"the TextGrids hold {expected} intervals with text (FORMAT.md)")
    _check_gold_questions(cid, c, gold)
    pairs = overlap_pairs([(u.start, u.end, u.speaker) for u in c.utterances])
    for name, data in (("gold", gold), ("gold2", gold2)):
        if len(pairs) != len(data["overlaps"]):
            raise EvaluationError(f"{cid}: {len(pairs)} overlap pairs in the utterances, "
                                  f"{len(data['overlaps'])} in {name}")

    t0 = time.perf_counter()
    result = analyse(c) if rules is None else analyse(c, rules=rules)
    runtime = time.perf_counter() - t0

    pair_index = {p: o for o, p in enumerate(pairs)}
    tool = coding_from_result(result, pair_index)
    if len(tool.overlaps) != len(pairs):
        missing = sorted(set(range(len(pairs))) - set(tool.overlaps))
        raise EvaluationError(f"{cid}: the tool coded {len(tool.overlaps)} of {len(pairs)} overlap "
                              f"pairs; missing o={missing[:10]}")
    starts = [u.start for u in c.utterances]
    codings = {"tool": tool, "gold": coding_from_gold(gold, starts),
               "gold2": coding_from_gold(gold2, starts)}
    comparisons = {f"{p}_vs_{r}": compare(codings[p], codings[r]) for p, r in COMPARISONS}
    lenient = {kind: lenient_counts(tool.overlaps, codings["gold"].overlaps,
                                    codings["gold2"].overlaps, kind)
               for kind in ("backchannel", "interruption")}
    return ConsultationResult(cid, len(c.utterances), len(pairs), runtime, codings, comparisons,
                              lenient)


def _check_gold_questions(cid: str, c: Any, gold: Mapping[str, Any]) -> None:
    from consult_audio.model import Role

    for q in gold["questions"]:
        if not 0 <= q["u"] < len(c.utterances):
            raise EvaluationError(f"{cid}: gold question at u={q['u']} is past the last utterance")
        u = c.utterances[q["u"]]
        if c.role_of(u.speaker) != Role.CLINICIAN or not tokens(q["text"]) <= tokens(u.raw_text):
            raise EvaluationError(f"{cid}: gold question {q['text']!r} at u={q['u']} is not in "
                                  f"that utterance ({u.speaker}: {u.raw_text[:60]!r}); the "
                                  "utterance order differs from FORMAT.md")


def _osce_turns(path: Path) -> list[str]:
    # Independent of consult_audio's readers: one ``D:``/``P:`` turn a non-empty line (FORMAT.md).
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate_osce_interview(cid: str, root: Path, *, rules: Any = None) -> ConsultationResult:
    """Analyse one OSCE interview (``root/transcripts/<cid>.txt``, turns without timings) and
    compare it with both codings, turn by turn (``u`` is the 0-based line of a turn)."""
    from consult_audio.analysis import analyse
    from consult_audio.model import Role
    from consult_audio.readers import load_consultation

    path = root / "transcripts" / f"{cid}.txt"
    codings_json = {name: json.loads((root / name / f"{cid}.gold.json").read_text(encoding="utf-8"))
                    for name in ("gold", "gold2")}
    c = load_consultation([path], roles={"D": Role.CLINICIAN, "P": Role.PATIENT})
    turns = _osce_turns(path)
    if len(c.utterances) != len(turns):
        raise EvaluationError(f"{cid}: load_consultation gave {len(c.utterances)} utterances, "
                              f"the transcript has {len(turns)} turns (FORMAT.md)")
    for data in codings_json.values():
        _check_gold_questions(cid, c, data)

    t0 = time.perf_counter()
    result = analyse(c) if rules is None else analyse(c, rules=rules)
    runtime = time.perf_counter() - t0
    starts = [u.start for u in c.utterances]
    codings = {"tool": coding_from_result(result, {}),
               **{name: coding_from_gold(data, starts) for name, data in codings_json.items()}}
    comparisons = {f"{p}_vs_{r}": compare(codings[p], codings[r]) for p, r in COMPARISONS}
    return ConsultationResult(cid, len(c.utterances), 0, runtime, codings, comparisons,
                              {kind: Counts() for kind in ("backchannel", "interruption")})


# --- report --------------------------------------------------------------------------------------


def _f(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _s(x: float | None) -> str:
    return "none" if x is None else f"{x:.1f}"


def _opening(o: Opening | None) -> str:
    if o is None:
        return "not found"
    return f"{o.u_start}-{o.u_end}" + (" (i)" if o.completed is False else "")


def report(results: Sequence[ConsultationResult], console: Any) -> dict[str, Any]:
    """Print the tables; return the same numbers as JSON-ready data."""
    from rich import box
    from rich.table import Table

    keys = [f"{p}_vs_{r}" for p, r in COMPARISONS]
    totals = {k: sum((r.comparisons[k] for r in results), Comparison()) for k in keys}
    lenient = {kind: sum((r.lenient[kind] for r in results), Counts())
               for kind in ("backchannel", "interruption")}
    tot = {k: v.as_dict() for k, v in totals.items()}
    n = len(results)

    # per consultation
    t1 = Table(title="Per consultation: questions and overlaps", box=box.SIMPLE_HEAD)
    for col in ("consultation", "utts", "pairs", "Q tool/g/g2", "Q F1 t-g", "Q F1 t-g2",
                "Q F1 g2-g", "O/C κ t-g", "O/C κ t-g2", "BC F1 len", "Int tp/fp/fn len"):
        t1.add_column(col, justify="left" if col == "consultation" else "right")
    t2 = Table(title="Per consultation: first psychosocial, opening statement, runtime",
               box=box.SIMPLE_HEAD)
    for col in ("consultation", "psych s tool", "gold", "gold2", "opening u tool", "gold", "gold2",
                "analyse ms"):
        t2.add_column(col, justify="left" if col == "consultation" else "right")
    for r in results:
        cmp_ = {k: r.comparisons[k].as_dict() for k in keys}
        cod = r.codings
        it = r.lenient["interruption"]
        t1.add_row(
            r.id, str(r.utterances), str(r.pairs),
            "/".join(str(len(cod[x].questions)) for x in ("tool", "gold", "gold2")),
            *(_f(cmp_[k]["questions"]["f1"]) for k in keys),
            *(_f(cmp_[k]["open_closed"]["kappa"]) for k in keys[:2]),
            _f(r.lenient["backchannel"].as_dict()["f1"]),
            f"{it.tp}/{it.fp}/{it.fn}",
        )
        t2.add_row(
            r.id,
            *(_s(cod[x].first_psychosocial_s) for x in ("tool", "gold", "gold2")),
            *(_opening(cod[x].opening) for x in ("tool", "gold", "gold2")),
            f"{r.runtime_s * 1000:.0f}",
        )
    console.print(t1)
    console.print("len = lenient, against both codings (see below)\n")
    console.print(t2)
    console.print("opening u: first utterance of the patient's opening statement - the clinician "
                  "utterance that ended it, (i) = interrupted\n")

    # summary
    t = Table(title=f"Totals over {n} consultations (micro-averaged)", box=box.SIMPLE_HEAD)
    t.add_column("measure")
    for p, r in COMPARISONS:
        t.add_column(f"{p} vs {r}" + (" (ceiling)" if p != "tool" else ""), justify="right")

    def row(label: str, fn: Any) -> None:
        t.add_row(label, *(fn(tot[k]) for k in keys))

    row("questions pred / ref",
        lambda d: f"{d['questions']['predicted']} / {d['questions']['reference']}")
    row("question recall", lambda d: _f(d["questions"]["recall"], 3))
    row("question precision", lambda d: _f(d["questions"]["precision"], 3))
    row("question F1", lambda d: _f(d["questions"]["f1"], 3))
    row("open/closed matched", lambda d: str(d["open_closed"]["matched"]))
    row("open/closed accuracy", lambda d: _f(d["open_closed"]["accuracy"], 3))
    row("open/closed kappa", lambda d: _f(d["open_closed"]["kappa"], 3))
    row("backchannel F1 (strict)", lambda d: _f(d["backchannel"]["f1"], 3))
    row("interruption F1 (strict)", lambda d: _f(d["interruption"]["f1"], 3))
    row("interruption tp/fp/fn (strict)",
        lambda d: "{tp}/{fp}/{fn}".format(**d["interruption"]))
    row("overlap type kappa (3 types)", lambda d: _f(d["overlap_type_kappa"], 3))
    row("first psychosocial MAE s (n)",
        lambda d: f"{_f(d['first_psychosocial']['mean_abs_error_s'], 1)} "
                  f"({d['first_psychosocial']['n_with_both']})")
    row("first psychosocial median AE s",
        lambda d: _f(d["first_psychosocial"]["median_abs_error_s"], 1))
    for tol in PSYCHOSOCIAL_TOLERANCES_S:
        row(f"first psychosocial within {tol:g} s",
            lambda d, tol=tol: f"{d['first_psychosocial'][f'within_{tol:g}s']}/{n}")
    row("opening completed/interrupted agree",
        lambda d: f"{d['opening_statement']['completed_agree']}/{n}")
    row("opening start utterance agree", lambda d: f"{d['opening_statement']['start_agree']}/{n}")
    row("opening ending clinician utterance agree",
        lambda d: f"{d['opening_statement']['end_agree']}/{n}")
    console.print(t)
    console.print("first psychosocial: 'within' counts a consultation where neither coding has "
                  "psychosocial content as agreeing; MAE is over those where both have a time\n")

    t = Table(title="Backchannels and interruptions, tool against both codings (lenient)",
              box=box.SIMPLE_HEAD)
    for col in ("type", "tp", "fp", "fn", "precision", "recall", "F1"):
        t.add_column(col, justify="left" if col == "type" else "right")
    for kind, counts in lenient.items():
        d = counts.as_dict()
        t.add_row(kind, str(d["tp"]), str(d["fp"]), str(d["fn"]), _f(d["precision"], 3),
                  _f(d["recall"], 3), _f(d["f1"], 3))
    console.print(t)
    console.print("tp: the tool's type at o is in either coding; fp: in neither; "
                  "fn: in both codings, not in the tool's\n")

    t = Table(title="Question tags on matched questions (both / pred only / ref only)",
              box=box.SIMPLE_HEAD)
    t.add_column("tag")
    for p, r in COMPARISONS:
        t.add_column(f"{p} vs {r}", justify="right")
    tags = list(dict.fromkeys(tag for k in keys for tag in tot[k]["tags"]))
    for tag in tags:
        t.add_row(tag, *("{both} / {pred_only} / {ref_only}".format(
            **tot[k]["tags"].get(tag, {"both": 0, "pred_only": 0, "ref_only": 0})) for k in keys))
    console.print(t)

    t = Table(title="Habits: consultations agreeing on presence (pred present, ref present)",
              box=box.SIMPLE_HEAD)
    t.add_column("habit")
    for p, r in COMPARISONS:
        t.add_column(f"{p} vs {r}", justify="right")
    for h in HABIT_TYPES:
        if all(h in tot[k]["habits"] for k in keys):
            t.add_row(h, *("{agree}/{consultations} ({pred_present}, {ref_present})".format(
                **tot[k]["habits"][h]) for k in keys))
    console.print(t)

    total_runtime = sum(r.runtime_s for r in results)
    console.print(f"analyse(): {total_runtime:.2f} s for {n} consultations "
                  f"({total_runtime / max(n, 1) * 1000:.0f} ms each on average)")

    return {
        "consultations": [
            {
                "id": r.id, "utterances": r.utterances, "overlap_pairs": r.pairs,
                "runtime_s": r.runtime_s,
                "comparisons": {k: r.comparisons[k].as_dict() for k in keys},
                "lenient": {kind: c.as_dict() for kind, c in r.lenient.items()},
            }
            for r in results
        ],
        "totals": {**tot, "lenient": {kind: c.as_dict() for kind, c in lenient.items()}},
        "runtime_s": total_runtime,
    }


# --- headline figures, per corpus and across corpora -----------------------------------------


def _get(*path: str) -> Callable[[dict[str, Any]], float | None]:
    def read(d: dict[str, Any]) -> float | None:
        for key in path:
            d = d[key]
        return d  # type: ignore[return-value]
    return read


# (key, label, statistic of Comparison.as_dict(), with a bootstrap interval)
HEADLINE: tuple[tuple[str, str, Callable[[dict[str, Any]], float | None], bool], ...] = (
    ("question_recall", "question recall", _get("questions", "recall"), False),
    ("question_precision", "question precision", _get("questions", "precision"), False),
    ("question_f1", "question F1", _get("questions", "f1"), True),
    ("open_closed_kappa", "open/closed kappa", _get("open_closed", "kappa"), True),
    ("psychosocial_f1", "psychosocial utterance F1", _get("psychosocial_utterances", "f1"), True),
)


def _first_psychosocial_within(corpus: str, d: dict[str, Any]) -> int:
    fp = d["first_psychosocial"]
    if corpus == "osce":
        return int(fp[f"within_{PSYCHOSOCIAL_TURN_TOLERANCE}_turns"])
    return int(fp[f"within_{PSYCHOSOCIAL_TOLERANCES_S[0]:g}s"])


def headline(results: Sequence[ConsultationResult], corpus: str) -> dict[str, Any]:
    """The headline agreement figures of one corpus for each comparison, with bootstrap 95%
    intervals on kappa and F1 (resampling consultations)."""
    out: dict[str, Any] = {}
    for p, r in COMPARISONS:
        key = f"{p}_vs_{r}"
        per = [res.comparisons[key] for res in results]
        total = sum(per, Comparison()).as_dict()
        row: dict[str, Any] = {"consultations": len(per)}
        for name, _, stat, with_ci in HEADLINE:
            row[name] = stat(total)
            if with_ci:
                row[f"{name}_ci95"] = bootstrap_interval(per, stat)
        row["first_psychosocial_within"] = _first_psychosocial_within(corpus, total)
        row["first_psychosocial_window"] = (
            f"{PSYCHOSOCIAL_TURN_TOLERANCE} turns" if corpus == "osce"
            else f"{PSYCHOSOCIAL_TOLERANCES_S[0]:g} s")
        row["opening_completed_agree"] = total["opening_statement"]["completed_agree"]
        row["opening_start_agree"] = total["opening_statement"]["start_agree"]
        row["habits"] = {h: {"agree": v["agree"], "of": v["consultations"]}
                         for h, v in total["habits"].items()}
        out[key] = row
    return out


def _ci(x: tuple[float, float] | None) -> str:
    return "" if x is None else f" [{x[0]:.2f}, {x[1]:.2f}]"


def print_headline(figures: Mapping[str, Any], title: str, console: Any) -> None:
    from rich import box
    from rich.table import Table

    t = Table(title=title, box=box.SIMPLE_HEAD)
    t.add_column("measure")
    keys = [f"{p}_vs_{r}" for p, r in COMPARISONS]
    for p, r in COMPARISONS:
        t.add_column(f"{p} vs {r}" + (" (ceiling)" if p != "tool" else ""), justify="right")
    for name, label, _, with_ci in HEADLINE:
        t.add_row(label, *(_f(figures[k][name], 3) + (_ci(figures[k][f"{name}_ci95"])
                                                      if with_ci else "") for k in keys))
    n = {k: figures[k]["consultations"] for k in keys}
    t.add_row(f"first psychosocial within {figures[keys[0]]['first_psychosocial_window']}",
              *(f"{figures[k]['first_psychosocial_within']}/{n[k]}" for k in keys))
    t.add_row("opening completed/interrupted agree",
              *(f"{figures[k]['opening_completed_agree']}/{n[k]}" for k in keys))
    for h in HABIT_TYPES:
        if all(h in figures[k]["habits"] for k in keys):
            t.add_row(f"{h} present agree",
                      *("{agree}/{of}".format(**figures[k]["habits"][h]) for k in keys))
    console.print(t)
    console.print("[...]: bootstrap 95% interval, resampling consultations "
                  f"({BOOTSTRAP_SAMPLES} resamples)\n")


def osce_report(results: Sequence[ConsultationResult], console: Any) -> None:
    """Per-interview table of the OSCE corpus."""
    from rich import box
    from rich.table import Table

    keys = [f"{p}_vs_{r}" for p, r in COMPARISONS]
    t = Table(title="OSCE, per interview", box=box.SIMPLE_HEAD)
    for col in ("interview", "turns", "Q tool/g/g2", "Q F1 t-g", "O/C κ t-g", "O/C κ t-g2",
                "O/C κ g2-g", "psych F1 t-g", "psych F1 g2-g", "1st psych u tool/g/g2"):
        t.add_column(col, justify="left" if col == "interview" else "right")
    for r in results:
        cmp_ = {k: r.comparisons[k].as_dict() for k in keys}
        cod = r.codings
        t.add_row(
            r.id, str(r.utterances),
            "/".join(str(len(cod[x].questions)) for x in ("tool", "gold", "gold2")),
            _f(cmp_[keys[0]]["questions"]["f1"]),
            *(_f(cmp_[k]["open_closed"]["kappa"]) for k in keys),
            _f(cmp_[keys[0]]["psychosocial_utterances"]["f1"]),
            _f(cmp_[keys[2]]["psychosocial_utterances"]["f1"]),
            "/".join(str(cod[x].first_psychosocial_u) for x in ("tool", "gold", "gold2")),
        )
    console.print(t)


# --- CLI -----------------------------------------------------------------------------------------


def _consultation_ids(root: Path) -> list[str]:
    """Ids with a gold coding; every one must also have gold2 and both transcripts."""
    missing_dirs = [d for d in ("transcripts", "gold", "gold2") if not (root / d).is_dir()]
    if missing_dirs:
        raise click.UsageError(f"{root} lacks {', '.join(missing_dirs)}; DATA_DIR must contain "
                               "primock57/transcripts, primock57/gold and primock57/gold2")
    ids = sorted(p.name.removesuffix(".gold.json") for p in (root / "gold").glob("*.gold.json"))
    if not ids:
        raise click.UsageError(f"no *.gold.json files in {root / 'gold'}")
    missing = [str(path) for cid in ids for path in (
        root / "gold2" / f"{cid}.gold.json",
        root / "transcripts" / f"{cid}_doctor.TextGrid",
        root / "transcripts" / f"{cid}_patient.TextGrid",
    ) if not path.is_file()]
    if missing:
        raise click.UsageError("missing files: " + ", ".join(missing))
    return ids


def _osce_ids(root: Path) -> list[str]:
    """OSCE interview ids with a gold coding; each must have gold2 and its transcript."""
    missing_dirs = [d for d in ("transcripts", "gold", "gold2") if not (root / d).is_dir()]
    if missing_dirs:
        raise click.UsageError(f"{root} lacks {', '.join(missing_dirs)}; DATA_DIR must contain "
                               "osce/transcripts, osce/gold and osce/gold2")
    ids = sorted(p.name.removesuffix(".gold.json") for p in (root / "gold").glob("*.gold.json"))
    if not ids:
        raise click.UsageError(f"no *.gold.json files in {root / 'gold'}")
    missing = [str(path) for cid in ids for path in (
        root / "gold2" / f"{cid}.gold.json", root / "transcripts" / f"{cid}.txt",
    ) if not path.is_file()]
    if missing:
        raise click.UsageError("missing files: " + ", ".join(missing))
    return ids


def evaluate_corpus(corpus: str, data_dir: Path, *, rules: Any = None,
                    only: Sequence[str] = ()) -> list[ConsultationResult]:
    """Every hand-coded consultation of ``corpus`` (or those of ``only`` that it has)."""
    root = data_dir / corpus
    ids = _osce_ids(root) if corpus == "osce" else _consultation_ids(root)
    if only:
        ids = [cid for cid in ids if cid in only]
    run = evaluate_osce_interview if corpus == "osce" else evaluate_consultation
    return [run(cid, root, rules=rules) for cid in ids]


def _development_ids(corpus: str, results: Sequence[ConsultationResult],
                     develop_on: str | None) -> set[str]:
    """The ids of ``results`` the coding was developed on (see :data:`DEVELOPED_ON`)."""
    if develop_on is not None:
        return {r.id for r in results} if corpus == develop_on else set()
    recorded = DEVELOPED_ON.get(corpus, ())
    return {r.id for r in results} if recorded is None else set(recorded)


@click.command(epilog="Examples:\n\n"
               "  scripts/evaluate.py /work/shared/data --json out/eval.json\n\n"
               "  scripts/evaluate.py /work/shared/data --develop-on primock57 --score-on osce")
@click.argument("data_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Rules file passed to analyse() (consult_audio.rules.load_rules).")
@click.option("--score-on", "score_on", type=click.Choice(CORPORA), multiple=True,
              help="Corpus to score (repeatable; default: primock57, and osce where DATA_DIR has "
                   "it).")
@click.option("--develop-on", "develop_on", type=click.Choice(CORPORA), default=None,
              help="Treat this whole corpus as the development data and every other as held out "
                   "(the cross-corpus protocol for a coding built on one corpus). Default: the "
                   "development set recorded in DEVELOPED_ON; the rest is held out.")
@click.option("--only", "only", multiple=True, metavar="ID",
              help="Score only these consultations (repeatable), e.g. the interviews of a corpus "
                   "held out from development.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the numbers as JSON to this file.")
def main(data_dir: Path, rules_path: Path | None, score_on: tuple[str, ...],
         develop_on: str | None, only: tuple[str, ...], json_out: Path | None) -> None:
    """Compare consult-audio's coding with the two hand codings (gold, gold2) of PriMock57
    (timed consultations) and of the OSCE interviews (turns without timings)."""
    from rich.console import Console

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    corpora = score_on or tuple(c for c in CORPORA
                                if c == "primock57" or (data_dir / c / "gold").is_dir())

    from consult_audio.errors import ConsultAudioError

    rules = None
    if rules_path is not None:
        from consult_audio.rules import load_rules

        try:
            rules = load_rules(rules_path)
        except ConsultAudioError as err:
            raise click.UsageError(f"--rules: {err}") from err

    console = Console(width=max(Console().width, 150), highlight=False)
    data: dict[str, Any] = {"data_dir": str(data_dir),
                            "rules": str(rules_path) if rules_path else None,
                            "developed_on": develop_on or {k: list(v) if v else "all" for k, v
                                                           in DEVELOPED_ON.items()},
                            "only": list(only), "corpora": {}}
    for corpus in corpora:
        try:
            results = evaluate_corpus(corpus, data_dir, rules=rules, only=only)
        except EvaluationError as err:
            click.echo(f"error: {err}\nThe scores would be meaningless: fix the mismatch first.",
                       err=True)
            sys.exit(1)
        except ConsultAudioError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(1)
        if not results:
            continue  # --only named none of this corpus's consultations
        dev_ids = _development_ids(corpus, results, develop_on)
        held = [r for r in results if r.id not in dev_ids]
        role = (f"held out: {len(held)}" if held else "none held out") + \
            f", development: {len(results) - len(held)}"
        console.print(f"{corpus} evaluation: {len(results)} consultations in "
                      f"{data_dir / corpus} ({role})\n")
        if corpus == "osce":
            osce_report(results, console)
            details: dict[str, Any] = {
                "consultations": [{"id": r.id, "utterances": r.utterances,
                                   "runtime_s": r.runtime_s,
                                   "comparisons": {k: v.as_dict()
                                                   for k, v in r.comparisons.items()}}
                                  for r in results]}
        else:
            details = report(results, console)
        figures = headline(results, corpus)
        print_headline(figures, f"{corpus}: headline agreement, all {len(results)}", console)
        entry = {**details, "headline": figures, "held_out_ids": [r.id for r in held]}
        if held and len(held) < len(results):
            entry["headline_held_out"] = headline(held, corpus)
            print_headline(entry["headline_held_out"],
                           f"{corpus}: headline agreement, the {len(held)} held out from "
                           f"development ({', '.join(r.id for r in held)})", console)
        elif held:
            entry["headline_held_out"] = figures
        data["corpora"][corpus] = entry
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        console.print(f"wrote {json_out}")


if __name__ == "__main__":
    main()
