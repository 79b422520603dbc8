"""The cohort report: distributions across consultations and each clinician's trend, from
analyses of small literal transcripts, as text, through the command line and in Chromium."""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from browser_support import browser_fixture, open_page  # noqa: F401 (the browser fixture)
from click.testing import CliRunner, Result

from consult_audio.analysis import analyse
from consult_audio.cli import main
from consult_audio.errors import InputError
from consult_audio.feedback import NOT_CLINICAL
from consult_audio.model import AnalysisResult
from consult_audio.readers import load_consultation
from consult_audio.render.cohort import (
    analysis_files,
    clinicians,
    render_cohort_html,
    render_cohort_markdown,
)
from consult_audio.render.cohort_metrics import COHORT_METRICS, TREND_KEYS
from consult_audio.render.cohort_plots import distribution, nice_ceiling, summarise
from consult_audio.render.markdown import escape_md

Turn = tuple[str, float, float, str]


def visit_turns(*, open_questions: bool, interrupt: bool, empathy: bool) -> list[Turn]:
    """A short consultation; the options switch habits on and off."""
    reply = ("That sounds really worrying." if empathy else "Do you have any leg pain?")
    return [
        ("Doctor", 0.0, 3.0, "Hello, what brings you in today?" if open_questions
         else "Hello, is it your back again?"),
        ("Patient", 3.5, 12.0, "My back has been sore for weeks and I'm worried about my job, "
                               "it's getting me down and"),
        ("Doctor", 11.0, 13.0, "Do you have any leg pain?") if interrupt
        else ("Doctor", 12.5, 14.5, reply),
        ("Patient", 15.0, 17.0, "No leg pain."),
        ("Doctor", 17.5, 20.0, "Is there anything else you wanted to talk about today?"
         if open_questions else "Any fever?"),
        ("Patient", 20.5, 22.0, "No, that's all."),
    ]


def analysed(folder: Path, name: str, turns: Sequence[Turn], meta: dict[str, str] | None
             ) -> AnalysisResult:
    path = folder / f"{name}.json"
    path.write_text(json.dumps([{"speaker": s, "start": a, "end": b, "text": t}
                                for s, a, b, t in turns]), encoding="utf-8")
    provenance = {"metadata": meta} if meta else None
    return analyse(load_consultation([path]), provenance=provenance)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> list[AnalysisResult]:
    """Clinician C07 before (closed questions, interrupting) and after training; C09 once; one
    analysis without metadata."""
    folder = tmp_path_factory.mktemp("cohort")
    plan = [
        ("c07-a", dict(open_questions=False, interrupt=True, empathy=False),
         {"clinician_id": "C07", "date": "2026-01-12", "phase": "before"}),
        ("c07-b", dict(open_questions=False, interrupt=True, empathy=True),
         {"clinician_id": "C07", "date": "2026-02-02", "phase": "before"}),
        ("c07-c", dict(open_questions=True, interrupt=False, empathy=True),
         {"clinician_id": "C07", "date": "2026-03-09", "phase": "after"}),
        ("c07-d", dict(open_questions=True, interrupt=False, empathy=True),
         {"clinician_id": "C07", "date": "2026-04-20", "phase": "after"}),
        ("c09-a", dict(open_questions=True, interrupt=True, empathy=False),
         {"clinician_id": "C<9>", "date": "2026-02-10"}),
        ("nometa", dict(open_questions=True, interrupt=False, empathy=False), None),
    ]
    return [analysed(folder, name, visit_turns(**opts), meta) for name, opts, meta in plan]


def text_of(html: str) -> str:
    import html as html_module

    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", body)).split())


# --- statistics ---------------------------------------------------------------------------------


def test_summarise_numbers_and_flags() -> None:
    s = summarise([1.0, 2.0, 3.0, 4.0, None], "number")
    assert (s.n, s.missing, s.median, s.lo, s.hi) == (4, 1, 2.5, 1.0, 4.0)
    assert (s.q1, s.q3) == (1.75, 3.25)
    one = summarise([5.0], "number")
    assert one.q1 == one.q3 == one.median == 5.0
    flags = summarise([True, False, True, None], "flag")
    assert (flags.n, flags.yes, flags.missing) == (3, 2, 1)
    assert summarise([None, None], "number").n == 0


@pytest.mark.parametrize(("x", "expected"), [(0, 1.0), (0.7, 1.0), (3, 5.0), (12, 20.0),
                                             (25, 25.0), (240, 250.0)])
def test_nice_ceiling(x: float, expected: float) -> None:
    assert nice_ceiling(x) == pytest.approx(expected)


def test_distribution_of_each_metric(cohort: list[AnalysisResult]) -> None:
    share = next(m for m in COHORT_METRICS if m.key == "patient_share")
    d = distribution(share, cohort)
    values = [r.metrics.talk_time.patient_share for r in cohort]
    assert d.summary.median == pytest.approx(statistics.median(v for v in values if v))
    assert d.text.startswith(f"median {statistics.median(v for v in values if v):.0%}")
    assert len(d.points) == len(cohort) and d.box is not None
    assert all(12 <= p.x <= 588 for p in d.points)
    expectations = next(m for m in COHORT_METRICS if m.key == "agenda_elicited")
    flag = distribution(expectations, cohort)
    yes = sum(r.metrics.habits.agenda_elicited for r in cohort)
    assert flag.text.startswith(f"yes in {yes} of {len(cohort)} consultations")


def test_each_clinician_over_time_with_phases(cohort: list[AnalysisResult]) -> None:
    people, left_out = clinicians(cohort)
    assert left_out == 1
    assert [p.id for p in people] == ["C07", "C<9>"]
    c07, c09 = people
    assert [v.result.consultation.id for v in c07.visits] == ["c07-a", "c07-b", "c07-c", "c07-d"]
    assert [p.metric.key for p in c07.plots] == list(TREND_KEYS)
    assert c09.plots == ()  # one consultation: no trend
    assert c07.phase_names == ("before", "after")
    rows = dict(c07.phases)
    assert rows["Open questions (share of clinician questions)"] == ("0% (n=2)", "100% (n=2)")
    assert rows["Agenda asked (\"anything else?\")"] == ("0 of 2", "2 of 2")
    opening = next(p for p in c07.plots if p.metric.key == "open_ratio")
    assert opening.text == "from 0% on 2026-01-12 to 100% on 2026-04-20 (4 consultations)"
    # Up is more: the later, higher values are drawn higher (smaller y).
    assert opening.points[-1].y < opening.points[0].y
    assert not opening.points[0].filled and opening.points[-1].filled  # before: hollow


def test_html_page(cohort: list[AnalysisResult]) -> None:
    page = render_cohort_html(cohort)
    text = text_of(page)
    assert "6 consultations" in text and "2026-01-12 to 2026-04-20" in text
    assert page.count('<figure class="metric') == len(COHORT_METRICS)
    assert page.count('<svg class="plot trend-plot"') == len(TREND_KEYS)
    assert "Clinician C<9>" in text and "Clinician C&lt;9&gt;" in page
    assert "One dated consultation so far; a trend needs two or more." in text
    assert "1 analysis without a clinician id or a valid date is left out here" in text
    assert "Median per phase (before and after)" in text
    assert NOT_CLINICAL in text
    assert "<script" not in page and "script-src 'none'" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)


def test_markdown_carries_the_same_numbers(cohort: list[AnalysisResult]) -> None:
    md = render_cohort_markdown(cohort)
    for m in COHORT_METRICS:
        assert f"| {escape_md(m.title)} | {escape_md(distribution(m, cohort).text)} |" in md
    assert "### Clinician C07" in md and "### Clinician C&lt;9&gt;" in md
    assert "| 2026-01-12 | c07-a | before |" in md
    assert "| Metric | before | after |" in md
    assert "1 analysis without a clinician id or a valid date is left out" in md
    assert NOT_CLINICAL in md


def test_without_metadata_the_page_says_how_to_add_it(cohort: list[AnalysisResult]) -> None:
    bare = [r for r in cohort if r.consultation.id == "nometa"]
    text = text_of(render_cohort_html(bare))
    assert "No analysis has both a clinician id and a date, so there are no trends." in text
    assert "--meta clinician_id=C07 --meta date=2026-03-01" in text
    assert "Only one consultation: a distribution needs more." in text
    assert "No analysis has both a clinician id and a date" in render_cohort_markdown(bare)


def test_metric_measured_nowhere_is_said_in_words(tmp_path: Path) -> None:
    turns = [("Doctor", 0.0, 3.0, "Your results are normal."),
             ("Patient", 3.5, 5.0, "Right, thanks.")]
    results = [analysed(tmp_path, f"p{i}", turns, None) for i in range(2)]
    page = render_cohort_html(results)
    block = page[page.index('id="metric-open_ratio"'):page.index('id="metric-psychosocial_first')]
    assert "not measured in any consultation (no clinician questions)" in text_of(block)
    assert "<svg" not in block


def test_analysis_files_from_folders_and_files(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    one = tmp_path / "a" / "x.analysis.json"
    two = tmp_path / "a" / "b" / "y.analysis.json"
    for p in (one, two):
        p.write_text("{}")
    (tmp_path / "a" / "x.report.md").write_text("")
    assert analysis_files([tmp_path / "a", one]) == [two, one]  # sorted, each once
    with pytest.raises(InputError, match="no \\*.analysis.json files"):
        analysis_files([_empty(tmp_path)])
    with pytest.raises(InputError, match="file not found"):
        analysis_files([tmp_path / "nope.analysis.json"])


def _empty(tmp_path: Path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


# --- the command line ---------------------------------------------------------------------------


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env={"COLUMNS": "250"})


@pytest.fixture
def run_dir(tmp_path: Path, cohort: list[AnalysisResult]) -> Path:
    """The cohort's analysis JSON files, one folder per clinician, as a batch run leaves them."""
    for r in cohort:
        who = str(r.provenance.get("metadata", {}).get("clinician_id", "unknown"))
        folder = tmp_path / "run" / re.sub(r"\W", "_", who)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{r.consultation.id}.analysis.json").write_text(
            json.dumps(r.to_dict()), encoding="utf-8")
    return tmp_path / "run"


def test_report_cohort_of_a_run_folder(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("-q", "report", "--cohort", run_dir, "-o", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["cohort.report.html", "cohort.report.md"]
    assert result.stdout.split() == [str(out / "cohort.report.html"), str(out / "cohort.report.md")]
    assert "6 consultations" in (out / "cohort.report.html").read_text(encoding="utf-8")


def test_report_cohort_of_files_in_markdown_only(run_dir: Path, tmp_path: Path) -> None:
    files = sorted(run_dir.glob("C07/*.analysis.json"))
    out = tmp_path / "md"
    result = run("-q", "report", "--cohort", *files, "--format", "md", "-o", out)
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == ["cohort.report.md"]
    assert "4 consultations" in (out / "cohort.report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("args", [
    ["--cohort", "{run}", "--format", "csv"],
    ["--cohort", "{empty}"],
    ["--cohort", "{run}", "{bad}"],
    ["--cohort", "{run}", "--embed-audio", "{bad}"],
    ["{first}", "{first}"],
    ["{run}"],
])
def test_bad_cohort_input_fails_cleanly(run_dir: Path, tmp_path: Path, args: list[str]) -> None:
    bad = tmp_path / "old.analysis.json"
    bad.write_text(json.dumps({"schema": "consult-audio/analysis/v0", "id": "old"}))
    first = next(run_dir.glob("*/*.analysis.json"))
    names = {"run": run_dir, "empty": _empty(tmp_path), "bad": bad, "first": first}
    out = tmp_path / "out"
    result = run("report", *[a.format(**names) for a in args], "-o", out)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    if "{bad}" in args and "--embed-audio" not in args:
        assert f"{bad}" in result.stderr and "not a consult-audio analysis v1 file" in \
            result.stderr


# --- in the browser -----------------------------------------------------------------------------


def test_cohort_page_in_chromium(browser: Any, cohort: list[AnalysisResult],
                                 tmp_path: Path) -> None:
    path = tmp_path / "cohort.report.html"
    path.write_text(render_cohort_html(cohort), encoding="utf-8")
    page, log = open_page(browser, path)
    try:
        figures = page.locator("figure.metric")
        assert figures.count() == len(COHORT_METRICS)
        for i in range(figures.count()):
            plot = figures.nth(i).locator("svg.plot")
            assert plot.count() == 1
            box = plot.bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 20
        dots = page.locator("figure.metric svg circle.pt")
        assert dots.count() > len(cohort)
        trends = page.locator("svg.trend-plot")
        assert trends.count() == len(TREND_KEYS)
        assert all((trends.nth(i).bounding_box() or {"height": 0})["height"] > 50
                   for i in range(trends.count()))
        assert page.locator("table.phases").is_visible()
        shot = tmp_path / "cohort.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
        assert log.errors == [] and log.console_errors == [], log.console
        assert log.foreign_requests(page.url) == [], log.requests
        assert log.dialogs == []
    finally:
        page.close()
    phone, log = open_page(browser, path, viewport=(390, 844))
    try:
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        assert log.console_errors == []
    finally:
        phone.close()
