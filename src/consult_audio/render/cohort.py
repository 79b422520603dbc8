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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from consult_audio import catalogue as m
from consult_audio.errors import InputError
from consult_audio.feedback import NOT_CLINICAL, clock
from consult_audio.model import AnalysisResult
from consult_audio.render import cohort_plots as plots
from consult_audio.render.cohort_metrics import COHORT_METRICS, TREND_KEYS, CohortMetric
from consult_audio.render.cohort_plots import Summary, TrendPlot, Visit, summarise
from consult_audio.render.common import metadata_of
from consult_audio.render.glance import KNOWN_ERROR, KNOWN_ERROR_SCOPE
from consult_audio.render.markdown import escape_md, table
from consult_audio.render.page import render_template

__all__ = ["Clinician", "analysis_files", "clinicians", "cohort_context", "render_cohort_html",
           "render_cohort_markdown"]

ANALYSIS_GLOB = "**/*.analysis.json"


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


# --- clinicians over time ------------------------------------------------------------------------


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


def _formatted(result: AnalysisResult) -> tuple[str, ...]:
    """Every cohort metric of one result, formatted, in :data:`COHORT_METRICS` order."""
    return tuple(c.format(c.value(result)) for c in COHORT_METRICS)


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
    by_key = {c.key: c for c in COHORT_METRICS}
    out = []
    for who in sorted(by_id):
        visits = tuple(sorted(by_id[who], key=lambda v: (v.date, v.result.consultation.id)))
        trends = (tuple(plots.trend_plot(by_key[k], visits) for k in TREND_KEYS)
                  if len(visits) > 1 else ())
        phase_names = tuple(dict.fromkeys(v.phase for v in visits if v.phase))
        phases = []
        if len(phase_names) > 1:
            for c in COHORT_METRICS:
                cells = [_summary_cell(c, summarise(
                    [c.value(v.result) for v in visits if v.phase == name], c.kind))
                    for name in phase_names]
                phases.append((c.title, tuple(cells)))
        rows = tuple((v.date.isoformat(), v.result.consultation.id, v.phase or "-",
                      *_formatted(v.result)) for v in visits)
        out.append(Clinician(who, visits, trends, tuple(phases), phase_names, rows))
    return out, left_out


def _analyses(n: int) -> str:
    return f"{n} analys{'is' if n == 1 else 'es'}"


def _left_out(n: int) -> str:
    return (f"{_analyses(n)} without a clinician id or a valid date {'is' if n == 1 else 'are'} "
            "left out")


def _summary_cell(metric: CohortMetric, s: Summary) -> str:
    if metric.kind == "flag":
        return f"{s.yes} of {s.n}" if s.n else "-"
    return f"{metric.format(s.median)} (n={s.n})" if s.median is not None else "-"


# --- pages ---------------------------------------------------------------------------------------


def _rules_version(result: AnalysisResult) -> str:
    version = m.RULES_VERSION(result)
    return "unknown" if version is None else str(version)


def cohort_context(results: Sequence[AnalysisResult]) -> dict[str, Any]:
    """Everything the cohort page shows (strings not yet escaped)."""
    people, left_out = clinicians(results)
    durations = [r.consultation.duration for r in results]
    dated = [d for d in (_date(metadata_of(r).get("date")) for r in results) if d]
    return {
        "n": len(results),
        "total": clock(sum(durations)),
        "dates": (min(dated).isoformat(), max(dated).isoformat()) if dated else None,
        "distributions": [plots.distribution(c, results) for c in COHORT_METRICS],
        "clinicians": people,
        "left_out": left_out,
        "left_out_text": f"{_left_out(left_out)} here.",
        "metrics": COHORT_METRICS,
        "trend_titles": [c.title for c in COHORT_METRICS if c.key in TREND_KEYS],
        "consultations": [
            (r.consultation.id, metadata_of(r).get("clinician_id", "-"),
             metadata_of(r).get("date", "-"), clock(r.consultation.duration), _formatted(r))
            for r in results],
        "rules_versions": sorted({_rules_version(r) for r in results}),
        "versions": sorted({str(r.provenance.get("consult_audio_version", "unknown"))
                            for r in results}),
        "known_error": KNOWN_ERROR,
        "known_error_scope": KNOWN_ERROR_SCOPE,
        "not_clinical": NOT_CLINICAL,
        **plots.GEOMETRY,
    }


def render_cohort_html(results: Sequence[AnalysisResult]) -> str:
    """The cohort page: one self-contained HTML file, no script, no requests."""
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
    out.append(_table(("Metric", "Across the consultations"),
                      ((d.metric.title, d.text) for d in ctx["distributions"])))
    out += ["", "## Each clinician over time", ""]
    people: list[Clinician] = ctx["clinicians"]
    if not people:
        out.append("No analysis has both a clinician id and a date (give them with "
                   "`consult-audio analyse --meta clinician_id=... --meta date=YYYY-MM-DD`), so "
                   "there are no trends.")
    if ctx["left_out"] and people:
        out.append(f"{_left_out(ctx['left_out'])} of the trends.")
        out.append("")
    head = ("Date", "Consultation", "Phase", *(c.title for c in COHORT_METRICS))
    for person in people:
        out += [f"### Clinician {escape_md(person.id)}", ""]
        if len(person.visits) < 2:
            out += ["One dated consultation so far; a trend needs two or more.", ""]
        else:
            out += [f"- {escape_md(p.metric.title)}: {escape_md(p.text)}" for p in person.plots]
            out.append("")
        if person.phases:
            out += [_table(("Metric", *person.phase_names),
                           ((title, *cells) for title, cells in person.phases)), ""]
        out += [_table(head, person.table), ""]
    out += ["## Methods", "", escape_md(KNOWN_ERROR_SCOPE), ""]
    out += [f"- {escape_md(k.measure)}: {escape_md(k.figure)}"
            + (f" ({escape_md(k.note)})" if k.note else "") for k in KNOWN_ERROR]
    out += ["", f"Rules version(s): {escape_md(', '.join(ctx['rules_versions']))}; "
                f"consult-audio {escape_md(', '.join(ctx['versions']))}.",
            "", f"**{NOT_CLINICAL}**"]
    return "\n".join(out).rstrip("\n") + "\n"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table of plain text (every cell escaped here)."""
    return table([escape_md(h) for h in header], ([escape_md(c) for c in row] for row in rows))
