"""The cohort report: many analyses on one page, for a training programme.

For each headline metric, its distribution across the consultations (a strip plot over a box
plot, inline SVG); and, where the analyses carry ``provenance["metadata"]`` with a
``clinician_id`` and a ``date`` (YYYY-MM-DD), each clinician's values over time, so a trainer
can compare before and after training (an optional ``phase`` in the metadata, e.g. ``before`` /
``after``, is shown and summarised too). A Markdown version carries the same numbers.

Like every renderer, it reads only the :class:`AnalysisResult` objects it is given.
"""

from __future__ import annotations

import datetime
import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from consult_audio.errors import InputError
from consult_audio.feedback import NOT_CLINICAL, clock
from consult_audio.model import AnalysisResult
from consult_audio.render.glance import KNOWN_ERROR, KNOWN_ERROR_SCOPE, metadata_of
from consult_audio.render.markdown import escape_md

__all__ = ["COHORT_METRICS", "CohortMetric", "analysis_files", "cohort_context",
           "render_cohort_html", "render_cohort_markdown"]

ANALYSIS_GLOB = "**/*.analysis.json"

Value = float | bool | None


@dataclass(frozen=True, slots=True)
class CohortMetric:
    """One metric across consultations.

    ``kind`` is ``share`` (0-1, shown as %), ``number`` (with ``unit``) or ``flag`` (yes/no,
    summarised as how many). ``lo``/``hi`` fix the axis (``None``: from the data). ``reading``
    says how to read it, in a few words.
    """

    key: str
    title: str
    kind: str
    get: Callable[[AnalysisResult], Value]
    unit: str = ""
    lo: float | None = 0.0
    hi: float | None = None
    reading: str = ""
    absent: str = "not measured"  # why a consultation has no value

    def value(self, result: AnalysisResult) -> Value:
        return self.get(result)

    def format(self, value: Value) -> str:
        if value is None:
            return "-"
        if self.kind == "flag":
            return "yes" if value else "no"
        if self.kind == "share":
            return f"{float(value):.0%}"
        digits = 0 if not self.unit and float(value).is_integer() else 1
        unit = f" {self.unit}" if self.unit else ""
        return f"{float(value):.{digits}f}{unit}"


def _per_10_min(count: int, duration_s: float) -> float | None:
    return 600.0 * count / duration_s if duration_s > 0 else None


def _opening_duration(r: AnalysisResult) -> float | None:
    op = r.metrics.opening_statement
    return op.duration_s if op.found else None


def _opening_completed(r: AnalysisResult) -> bool | None:
    op = r.metrics.opening_statement
    return op.completed if op.found else None


COHORT_METRICS: tuple[CohortMetric, ...] = (
    CohortMetric("patient_share", "Patient's share of the talk", "share",
                 lambda r: r.metrics.talk_time.patient_share, hi=1.0,
                 reading="higher: the patient talked more", absent="one speaker only"),
    CohortMetric("opening_completed", "Opening statement completed", "flag",
                 _opening_completed, absent="opening statement not found"),
    CohortMetric("opening_duration_s", "Opening statement duration", "number",
                 _opening_duration, unit="s", reading="how long the patient's first story ran",
                 absent="opening statement not found"),
    CohortMetric("clinician_interruptions_per_10_min", "Clinician interruptions per 10 min",
                 "number", lambda r: _per_10_min(r.metrics.interruptions.by_clinician,
                                                 r.metrics.talk_time.duration_s),
                 reading="lower: fewer cut-ins"),
    CohortMetric("open_ratio", "Open questions (share of clinician questions)", "share",
                 lambda r: r.metrics.questions.open_ratio, hi=1.0,
                 reading="higher: more room for the patient's own words",
                 absent="no clinician questions"),
    CohortMetric("psychosocial_first_fraction", "First psychosocial content (how far in)",
                 "share", lambda r: r.metrics.psychosocial.first_fraction, hi=1.0,
                 reading="lower: feelings and daily life came up earlier",
                 absent="no psychosocial content"),
    CohortMetric("psychosocial_share", "Psychosocial share of the talk", "share",
                 lambda r: r.metrics.psychosocial.share, hi=1.0),
    CohortMetric("expectations_elicited", "Expectations asked", "flag",
                 lambda r: r.metrics.habits.expectations_elicited),
    CohortMetric("agenda_elicited", "Agenda asked (\"anything else?\")", "flag",
                 lambda r: r.metrics.habits.agenda_elicited),
    CohortMetric("empathy", "Empathic statements", "number",
                 lambda r: float(r.metrics.habits.empathy)),
    CohortMetric("missed_empathy", "Missed empathy opportunities", "number",
                 lambda r: float(r.metrics.habits.missed_empathy), reading="lower is better"),
    CohortMetric("shared_decision_steps", "Shared decision steps (of 3)", "number",
                 lambda r: float(r.metrics.habits.shared_decision_steps), hi=3.0),
    CohortMetric("summary_or_teach_back", "Summary or teach-back", "flag",
                 lambda r: bool(r.metrics.habits.summary or r.metrics.habits.teach_back)),
)
# The metrics drawn over time for each clinician (numbers and shares read best as lines).
TREND_KEYS = ("patient_share", "open_ratio", "opening_duration_s",
              "clinician_interruptions_per_10_min", "psychosocial_first_fraction", "empathy",
              "shared_decision_steps")


# --- input ---------------------------------------------------------------------------------------


def analysis_files(paths: Iterable[Path]) -> list[Path]:
    """The analysis files named, with every ``*.analysis.json`` under each folder named (sorted,
    each once). Raises :class:`InputError` for a missing path or a folder without analyses."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.glob(ANALYSIS_GLOB) if p.is_file())
            if not inside:
                raise InputError(path, f"no {ANALYSIS_GLOB.split('/')[-1]} files in this "
                                       "folder; run consult-audio analyse first")
            found += inside
        elif path.exists():
            found.append(path)
        else:
            raise InputError(path, "file not found; check the path")
    return list(dict.fromkeys(found))


# --- statistics and geometry ---------------------------------------------------------------------

PLOT_W = 600.0  # SVG user units; the plots scale to the page width
PLOT_X0, PLOT_X1 = 12.0, 588.0  # the x range of the data
STRIP_Y, STRIP_JITTER = 16.0, 8.0  # centre and half height of the strip of points
BOX_Y0, BOX_Y1 = 30.0, 46.0  # the box
AXIS_Y = 52.0
DIST_H = 74.0
TREND_W, TREND_H = 400.0, 150.0  # a trend plot (narrower: they sit three abreast)
TREND_X0, TREND_X1, TREND_Y0, TREND_Y1 = 58.0, 388.0, 12.0, 112.0  # its plot area


@dataclass(frozen=True, slots=True)
class Summary:
    n: int
    missing: int
    median: float | None
    q1: float | None
    q3: float | None
    lo: float | None
    hi: float | None
    yes: int  # flags: how many are yes


def summarise(values: Sequence[Value], kind: str) -> Summary:
    present = [v for v in values if v is not None]
    missing = len(values) - len(present)
    if kind == "flag":
        return Summary(len(present), missing, None, None, None, None, None,
                       sum(bool(v) for v in present))
    nums = sorted(float(v) for v in present)
    if not nums:
        return Summary(0, missing, None, None, None, None, None, 0)
    if len(nums) == 1:
        q1 = q3 = nums[0]
    else:
        q1, _, q3 = statistics.quantiles(nums, n=4, method="inclusive")
    return Summary(len(nums), missing, statistics.median(nums), q1, q3, nums[0], nums[-1], 0)


def nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``x`` (1 for 0)."""
    if x <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(x))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= x - 1e-12)


def _scale(lo: float, hi: float, x0: float, x1: float) -> Callable[[float], float]:
    span = hi - lo or 1.0
    return lambda v: round(x0 + (min(max(v, lo), hi) - lo) / span * (x1 - x0), 2)


def _jitter(i: int) -> float:
    """A fixed offset in [-1, 1] for the i-th point, so the page is the same on every render."""
    return ((i * 0.618033988749895) % 1.0) * 2.0 - 1.0


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float
    label: str  # for <title>: consultation, value
    filled: bool = True


@dataclass(frozen=True, slots=True)
class Distribution:
    """One metric's plot and its numbers, ready for the template."""

    metric: CohortMetric
    summary: Summary
    text: str  # the summary in words (also the plot's accessible description)
    points: tuple[Point, ...]
    box: tuple[float, float, float, float, float] | None  # x of min, q1, median, q3, max
    ticks: tuple[tuple[float, str], ...]
    bar: float | None  # flags: x of the end of the "yes" bar
    rows: tuple[tuple[str, str], ...]  # (consultation id, value) for the table


def _axis(metric: CohortMetric, values: Sequence[float]) -> tuple[float, float]:
    lo = metric.lo if metric.lo is not None else min(values, default=0.0)
    hi = metric.hi if metric.hi is not None else nice_ceiling(max(values, default=1.0))
    return lo, hi if hi > lo else lo + 1.0


def _ticks(metric: CohortMetric, lo: float, hi: float, scale: Callable[[float], float],
           n: int = 4) -> tuple[tuple[float, str], ...]:
    out = []
    for k in range(n + 1):
        v = lo + (hi - lo) * k / n
        out.append((scale(v), metric.format(v) if metric.kind != "number"
                    else f"{v:g}"))
    return tuple(out)


def distribution(metric: CohortMetric, results: Sequence[AnalysisResult]) -> Distribution:
    values = [metric.value(r) for r in results]
    s = summarise(values, metric.kind)
    rows = tuple((r.consultation.id, metric.format(v)) for r, v in zip(results, values,
                                                                         strict=True))
    absent = f"; {s.missing} without a value ({metric.absent})" if s.missing else ""
    if metric.kind == "flag":
        scale = _scale(0.0, 1.0, PLOT_X0, PLOT_X1)
        share = s.yes / s.n if s.n else None
        text = (f"yes in {s.yes} of {s.n} consultations ({share:.0%}){absent}" if s.n
                else f"not measured in any consultation ({metric.absent})")
        return Distribution(metric, s, text, (), None,
                            tuple((scale(v), f"{v:.0%}") for v in (0, .25, .5, .75, 1)),
                            scale(share) if share is not None else None, rows)
    nums = [float(v) for v in values if v is not None]
    if not nums:
        return Distribution(metric, s, f"not measured in any consultation ({metric.absent})",
                            (), None, (), None, rows)
    lo, hi = _axis(metric, nums)
    scale = _scale(lo, hi, PLOT_X0, PLOT_X1)
    points = tuple(
        Point(scale(float(v)), round(STRIP_Y + STRIP_JITTER * _jitter(i), 2),
              f"{r.consultation.id}: {metric.format(v)}")
        for i, (r, v) in enumerate(zip(results, values, strict=True)) if v is not None)
    assert s.lo is not None and s.q1 is not None and s.median is not None
    assert s.q3 is not None and s.hi is not None
    box = (scale(s.lo), scale(s.q1), scale(s.median), scale(s.q3), scale(s.hi))
    fmt = metric.format
    text = (f"median {fmt(s.median)} (middle half {fmt(s.q1)} to {fmt(s.q3)}; range {fmt(s.lo)} "
            f"to {fmt(s.hi)}) over {s.n} consultation{'s' if s.n != 1 else ''}{absent}")
    return Distribution(metric, s, text, points, box, _ticks(metric, lo, hi, scale), None, rows)


# --- clinicians over time ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Visit:
    result: AnalysisResult
    date: datetime.date
    phase: str


@dataclass(frozen=True, slots=True)
class TrendPlot:
    metric: CohortMetric
    points: tuple[Point, ...]
    path: str  # SVG polyline points
    yticks: tuple[tuple[float, str], ...]
    xticks: tuple[tuple[float, str], ...]
    text: str


@dataclass(frozen=True, slots=True)
class Clinician:
    id: str
    visits: tuple[Visit, ...]
    plots: tuple[TrendPlot, ...]
    phases: tuple[tuple[str, tuple[str, ...]], ...]  # (metric title, median per phase)
    phase_names: tuple[str, ...]
    table: tuple[tuple[str, ...], ...]  # date, id, phase, then TREND/flag values


def _date(text: str | None) -> datetime.date | None:
    if not text or len(text) != 10:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _trend_plot(metric: CohortMetric, visits: Sequence[Visit]) -> TrendPlot:
    values = [metric.value(v.result) for v in visits]
    nums = [float(x) for x in values if x is not None]
    lo, hi = _axis(metric, nums) if nums else (0.0, 1.0)
    if metric.lo is not None and nums:
        lo = min(lo, min(nums))
    y = _scale(lo, hi, TREND_Y1, TREND_Y0)  # up is more
    first, last = visits[0].date, visits[-1].date
    days = (last - first).days

    def x(d: datetime.date) -> float:
        if days == 0:
            return round((TREND_X0 + TREND_X1) / 2, 2)
        return round(TREND_X0 + (d - first).days / days * (TREND_X1 - TREND_X0), 2)

    points = tuple(
        Point(x(v.date), y(float(val)),
              f"{v.date.isoformat()} {v.result.consultation.id}"
              + (f" ({v.phase})" if v.phase else "") + f": {metric.format(val)}",
              filled=v.phase.lower() not in ("before", "pre", "baseline"))
        for v, val in zip(visits, values, strict=True) if val is not None)
    path = " ".join(f"{p.x},{p.y}" for p in points)
    yticks = tuple((y(v), metric.format(v) if metric.kind != "number" else f"{v:g}")
                   for v in (lo, (lo + hi) / 2, hi))
    xticks = ((x(first), first.isoformat()),) if days == 0 else (
        (x(first), first.isoformat()), (x(last), last.isoformat()))
    present = [(v, val) for v, val in zip(visits, values, strict=True) if val is not None]
    if len(present) >= 2:
        (v0, a), (v1, b) = present[0], present[-1]
        text = (f"from {metric.format(a)} on {v0.date.isoformat()} to {metric.format(b)} on "
                f"{v1.date.isoformat()} ({len(present)} consultations)")
    elif present:
        text = f"one value: {points[0].label}"
    else:
        text = f"not measured ({metric.absent})"
    return TrendPlot(metric, points, path, yticks, xticks, text)


def clinicians(results: Sequence[AnalysisResult]) -> tuple[list[Clinician], int]:
    """Each clinician with dated consultations, and how many analyses had no clinician id or no
    valid date (left out of the trends)."""
    by_id: dict[str, list[Visit]] = {}
    left_out = 0
    for r in results:
        meta = metadata_of(r)
        day = _date(meta.get("date"))
        who = meta.get("clinician_id")
        if not who or day is None:
            left_out += 1
            continue
        by_id.setdefault(who, []).append(Visit(r, day, meta.get("phase", "")))
    metrics = {m.key: m for m in COHORT_METRICS}
    out = []
    for who in sorted(by_id):
        visits = tuple(sorted(by_id[who], key=lambda v: (v.date, v.result.consultation.id)))
        plots = tuple(_trend_plot(metrics[k], visits) for k in TREND_KEYS) if len(visits) > 1 \
            else ()
        phase_names = tuple(dict.fromkeys(v.phase for v in visits if v.phase))
        phases = []
        if len(phase_names) > 1:
            for m in COHORT_METRICS:
                cells = []
                for name in phase_names:
                    s = summarise([m.value(v.result) for v in visits if v.phase == name], m.kind)
                    cells.append(_summary_cell(m, s))
                phases.append((m.title, tuple(cells)))
        table = tuple(
            (v.date.isoformat(), v.result.consultation.id, v.phase or "-",
             *(m.format(m.value(v.result)) for m in COHORT_METRICS))
            for v in visits)
        out.append(Clinician(who, visits, plots, tuple(phases), phase_names, table))
    return out, left_out


def _analyses(n: int) -> str:
    return f"{n} analys{'is' if n == 1 else 'es'}"


def _summary_cell(metric: CohortMetric, s: Summary) -> str:
    if metric.kind == "flag":
        return f"{s.yes} of {s.n}" if s.n else "-"
    return f"{metric.format(s.median)} (n={s.n})" if s.median is not None else "-"


# --- pages ---------------------------------------------------------------------------------------


def cohort_context(results: Sequence[AnalysisResult]) -> dict[str, Any]:
    """Everything the cohort page shows (strings not yet escaped)."""
    people, left_out = clinicians(results)
    durations = [r.consultation.duration for r in results]
    dated = [d for d in (_date(metadata_of(r).get("date")) for r in results) if d]
    versions = sorted({str(r.provenance.get("rules", {}).get("version", "unknown"))
                       if isinstance(r.provenance.get("rules"), Mapping) else "unknown"
                       for r in results})
    return {
        "n": len(results),
        "total": clock(sum(durations)),
        "dates": (min(dated).isoformat(), max(dated).isoformat()) if dated else None,
        "distributions": [distribution(m, results) for m in COHORT_METRICS],
        "clinicians": people,
        "left_out": left_out,
        "left_out_text": (f"{_analyses(left_out)} without a clinician id or a valid date "
                          f"{'is' if left_out == 1 else 'are'} left out here."),
        "metrics": COHORT_METRICS,
        "trend_titles": [m.title for m in COHORT_METRICS if m.key in TREND_KEYS],
        "consultations": [
            (r.consultation.id, metadata_of(r).get("clinician_id", "-"),
             metadata_of(r).get("date", "-"), clock(r.consultation.duration),
             tuple(m.format(m.value(r)) for m in COHORT_METRICS))
            for r in results],
        "rules_versions": versions,
        "versions": sorted({str(r.provenance.get("consult_audio_version", "unknown"))
                            for r in results}),
        "known_error": KNOWN_ERROR,
        "known_error_scope": KNOWN_ERROR_SCOPE,
        "not_clinical": NOT_CLINICAL,
        "dist_h": DIST_H, "plot_w": PLOT_W, "axis_y": AXIS_Y, "box_y0": BOX_Y0,
        "box_y1": BOX_Y1, "trend_w": TREND_W, "trend_h": TREND_H, "trend_x0": TREND_X0,
        "trend_x1": TREND_X1, "trend_y0": TREND_Y0, "trend_y1": TREND_Y1,
        "plot_x0": PLOT_X0, "plot_x1": PLOT_X1,
    }


def render_cohort_html(results: Sequence[AnalysisResult]) -> str:
    """The cohort page: one self-contained HTML file, no script, no requests."""
    from consult_audio.render.html import render_template

    if not results:
        raise ValueError("a cohort report needs at least one analysis")
    return render_template("cohort.html.j2", cohort_context(results),
                           css=("base.css", "cohort.css"))


def render_cohort_markdown(results: Sequence[AnalysisResult]) -> str:
    """The cohort report as Markdown: the same distributions and trends, as tables."""
    if not results:
        raise ValueError("a cohort report needs at least one analysis")
    ctx = cohort_context(results)
    out = ["# Cohort communication report", ""]
    span = f", {ctx['dates'][0]} to {ctx['dates'][1]}" if ctx["dates"] else ""
    out.append(f"{ctx['n']} consultations, {ctx['total']} in all{span}.")
    out += ["", f"*{NOT_CLINICAL}*", "", "## Each metric across the consultations", ""]
    rows = []
    for d in ctx["distributions"]:
        rows.append(f"| {escape_md(d.metric.title)} | {escape_md(d.text)} |")
    out += ["| Metric | Across the consultations |", "|---|---|", *rows]
    out += ["", "## Each clinician over time", ""]
    people: list[Clinician] = ctx["clinicians"]
    if not people:
        out.append("No analysis has both a clinician id and a date (give them with "
                   "`consult-audio analyse --meta clinician_id=... --meta date=YYYY-MM-DD`), so "
                   "there are no trends.")
    if ctx["left_out"] and people:
        out.append(f"{_analyses(ctx['left_out'])} without a clinician id or a valid date "
                   f"{'is' if ctx['left_out'] == 1 else 'are'} left out of the trends.")
        out.append("")
    head = ["Date", "Consultation", "Phase", *(m.title for m in COHORT_METRICS)]
    for person in people:
        out += [f"### Clinician {escape_md(person.id)}", ""]
        if len(person.visits) < 2:
            out += ["One dated consultation so far; a trend needs two or more.", ""]
        else:
            out += [f"- {escape_md(p.metric.title)}: {escape_md(p.text)}" for p in person.plots]
            out.append("")
        if person.phases:
            out.append("| Metric | " + " | ".join(escape_md(p) for p in person.phase_names)
                       + " |")
            out.append("|---|" + "---|" * len(person.phase_names))
            out += [f"| {escape_md(title)} | " + " | ".join(escape_md(c) for c in cells) + " |"
                    for title, cells in person.phases]
            out.append("")
        out.append("| " + " | ".join(escape_md(h) for h in head) + " |")
        out.append("|" + "---|" * len(head))
        out += ["| " + " | ".join(escape_md(c) for c in row) + " |" for row in person.table]
        out.append("")
    out += ["## Methods", "", escape_md(KNOWN_ERROR_SCOPE), ""]
    out += [f"- {escape_md(k.measure)}: {escape_md(k.figure)}"
            + (f" ({escape_md(k.note)})" if k.note else "") for k in KNOWN_ERROR]
    out += ["", f"Rules version(s): {escape_md(', '.join(ctx['rules_versions']))}; "
                f"consult-audio {escape_md(', '.join(ctx['versions']))}.",
            "", f"**{NOT_CLINICAL}**"]
    return "\n".join(out).rstrip("\n") + "\n"
