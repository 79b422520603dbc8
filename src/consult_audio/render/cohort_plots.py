"""The cohort report's plots as plain values for its template: a metric's distribution across
consultations (a strip of points over a box plot, :func:`distribution`) and one clinician's values
over time (:func:`trend_plot`), in SVG user units, with their summaries in words.
"""

from __future__ import annotations

import datetime
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from consult_audio.model import AnalysisResult
from consult_audio.render.cohort_metrics import CohortMetric, Value

__all__ = ["Distribution", "Point", "Summary", "TrendPlot", "Visit", "distribution",
           "nice_ceiling", "summarise", "trend_plot"]

PLOT_W = 600.0  # SVG user units; the plots scale to the page width
PLOT_X0, PLOT_X1 = 12.0, 588.0  # the x range of the data
STRIP_Y, STRIP_JITTER = 16.0, 8.0  # centre and half height of the strip of points
BOX_Y0, BOX_Y1 = 30.0, 46.0  # the box
AXIS_Y = 52.0
DIST_H = 74.0
TREND_W, TREND_H = 400.0, 150.0  # a trend plot (narrower: they sit three abreast)
TREND_X0, TREND_X1, TREND_Y0, TREND_Y1 = 58.0, 388.0, 12.0, 112.0  # its plot area

# The geometry above, by the names the cohort template gives it.
GEOMETRY = {"dist_h": DIST_H, "plot_w": PLOT_W, "axis_y": AXIS_Y, "box_y0": BOX_Y0,
            "box_y1": BOX_Y1, "trend_w": TREND_W, "trend_h": TREND_H, "trend_x0": TREND_X0,
            "trend_x1": TREND_X1, "trend_y0": TREND_Y0, "trend_y1": TREND_Y1,
            "plot_x0": PLOT_X0, "plot_x1": PLOT_X1}


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


def trend_plot(metric: CohortMetric, visits: Sequence[Visit]) -> TrendPlot:
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
