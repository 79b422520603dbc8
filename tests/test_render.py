"""Markdown report and metrics CSV, from consultations built of literal utterances."""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt  # rich's Markdown parser, a CommonMark implementation

from consult_audio.analysis import analyse
from consult_audio.feedback import NOT_CLINICAL
from consult_audio.model import AnalysisResult, Consultation, Role, Speaker, Utterance
from consult_audio.render import (
    HEADLINE_COLUMNS,
    headline_row,
    render_markdown,
    write_metrics_csv,
)
from consult_audio.render.markdown import escape_md

U = Utterance
DOCS = Path(__file__).resolve().parents[1] / "docs"

EXPECTED_COLUMNS = [
    "id", "duration_s", "clinician_share", "patient_share", "silence_share", "overlap_share",
    "clinician_turns", "patient_turns", "longest_monologue_clinician_s",
    "longest_monologue_patient_s", "clinician_wpm", "patient_wpm", "interruptions_by_clinician",
    "interruptions_by_patient", "interruptions_per_10_min", "backchannels", "opening_found",
    "opening_duration_s", "opening_completed", "opening_first_interruption_s", "questions_open",
    "questions_closed", "open_ratio", "psychosocial_first_s", "psychosocial_first_by",
    "psychosocial_first_fraction", "psychosocial_share", "expectations_elicited",
    "agenda_elicited", "empathy", "missed_empathy", "options_offered", "preference_asked",
    "summary", "teach_back", "harmful_language", "patient_questions", "rules_version",
]

# No questions, psychosocial content or opening statement, so several values are unmeasured.
PLAIN = Consultation("plain", 12.0, (Speaker("dr", Role.CLINICIAN), Speaker("pt", Role.PATIENT)), (
    U("dr", 0.0, 3.0, "Your results are normal."),
    U("pt", 3.5, 5.0, "Right, thanks."),
))


@pytest.fixture(scope="module")
def result() -> AnalysisResult:
    c = Consultation("demo|<b>1</b>", 40.0,
                     (Speaker("dr", Role.CLINICIAN), Speaker("pt", Role.PATIENT, "inferred", 0.8,
                                                             "answers the questions")),
                     (
        U("dr", 0.0, 3.0, "How can I help?"),
        U("pt", 3.5, 12.0, "I've had this pain in my lower back for three weeks and I'm really "
                           "worried | it <script>alert(1)</script> is *serious* and"),
        U("dr", 11.0, 14.0, "Does it go down your leg?"),
        U("pt", 14.5, 19.0, "No. Should I be scared | of <b>surgery</b>?"),
        U("dr", 20.0, 26.0, "Your scan shows some wear and tear."),
        U("pt", 26.5, 28.0, "Okay."),
    ))
    return analyse(c)


# --- markdown ------------------------------------------------------------------------------------


def unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_markdown_has_title_speakers_and_headline_values(result: AnalysisResult) -> None:
    md = render_markdown(result)
    m = result.metrics
    assert md.startswith("# Communication feedback: demo\\|&lt;b&gt;1&lt;/b&gt;\n")
    assert "Duration: 00:40 (40.0 s)" in md
    assert "| pt | patient | inferred | 0.80 | answers the questions |" in md
    tt = m.talk_time
    assert f"| {tt.clinician_share:.0%} / {tt.patient_share:.0%} |" in md
    it = m.interruptions
    interruptions = f"{it.by_clinician} / {it.by_patient}"
    assert f"| Interruptions by clinician / by patient | {interruptions} |" in md
    assert it.by_clinician == 1
    q = m.questions
    assert f"{q.open} / {q.closed} (open ratio {q.open_ratio:.0%})" in md
    assert f"interrupted after {m.opening_statement.first_interruption_s:.1f} s" in md
    assert "| Words that harm | 1 |" in md


def test_markdown_groups_feedback_by_habit_with_timestamped_quotes(result: AnalysisResult) -> None:
    md = render_markdown(result)
    feedback = md[md.index("## Feedback"):md.index("## Appendix")]
    titles = ["### Invest in the beginning", "### Elicit the patient's perspective",
              "### Demonstrate empathy", "### Invest in the end"]
    assert [feedback.index(t) for t in titles] == sorted(feedback.index(t) for t in titles)
    assert '`00:11` clinician: "Does it go down your leg?"' in feedback
    assert "**18 s** [" in feedback
    assert "normal changes that most people your age have" in feedback
    assert "## References" in md and "Ann Intern Med 1984;101:692-6" in md


def test_markdown_escapes_transcript_text(result: AnalysisResult) -> None:
    md = render_markdown(result)
    assert "<script>" not in md and "<b>" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "worried \\| it" in md
    assert "\\*serious\\*" in md
    # Every table row keeps the header's number of cells despite the | in the quotes.
    table: list[str] = []
    for line in [*md.splitlines(), ""]:
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            assert {unescaped_pipes(row) for row in table} == {unescaped_pipes(table[0])}, table
            table = []


def test_escape_md() -> None:
    assert escape_md("a|b <i>x</i> *y* _z_ [l](u) `c` a&b & c\nnext") == (
        "a\\|b &lt;i&gt;x&lt;/i&gt; \\*y\\* \\_z\\_ \\[l\\](u) \\`c\\` a&b & c next")
    # Text that spells an entity reference is shown as written, not as the character it names.
    assert escape_md("&amp; &lt;b&gt; &#38; &#x26; AT&T; \\&") == (
        "\\&amp; \\&lt;b\\&gt; &\\#38; &\\#x26; AT\\&T; \\\\&")


@pytest.mark.parametrize("text", [
    "Beckman & Frankel", "&amp; &lt;b&gt; &#38; &#x26; AT&T; \\&", "<script>x</script>",
    "a | b *c* _d_ [e](f) `g` ~h~ # i", "2 > 1 < 3 && x",
])
def test_escaped_text_reads_as_written_once_rendered(text: str) -> None:
    rendered = MarkdownIt("commonmark").enable("table").renderInline(escape_md(text))
    assert "<" not in rendered  # no tag: no markup, no HTML
    assert html.unescape(rendered) == text


def test_markdown_keeps_an_ampersand_as_written(result: AnalysisResult) -> None:
    md = render_markdown(result)
    assert "Beckman & Frankel 1984 [" in md  # the reference of the opening statement
    assert "&amp;" not in md


def test_markdown_appendix_and_methods(result: AnalysisResult) -> None:
    md = render_markdown(result)
    appendix = md[md.index("## Appendix"):md.index("## Methods")]
    assert "### Clinician questions (1 open, 1 closed)" in appendix
    assert "| 00:00 | open | - | \"How can I help?\" |" in appendix
    assert "### Interruptions" in appendix and "### Psychosocial content" in appendix
    methods = md[md.index("## Methods"):]
    rules = result.provenance["rules"]
    assert f"version {rules['version']}" in methods
    assert f"consult-audio version {result.provenance['consult_audio_version']}" in methods
    assert NOT_CLINICAL in methods


def test_markdown_renders_a_saved_analysis(result: AnalysisResult) -> None:
    saved = AnalysisResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert render_markdown(saved) == render_markdown(result)


def test_markdown_without_questions_or_psychosocial_content() -> None:
    r = analyse(PLAIN)
    md = render_markdown(r)
    assert "| First psychosocial content | none found |" in md
    assert "| Patient's opening statement | not found |" in md
    assert "open ratio n/a" in md
    assert "None found." in md


# --- csv -----------------------------------------------------------------------------------------


def test_headline_columns_are_the_documented_ones(result: AnalysisResult) -> None:
    assert [name for name, _ in HEADLINE_COLUMNS] == EXPECTED_COLUMNS
    assert all(description for _, description in HEADLINE_COLUMNS)
    assert list(headline_row(result)) == EXPECTED_COLUMNS
    doc = (DOCS / "csv-columns.md").read_text(encoding="utf-8")
    for name in EXPECTED_COLUMNS:
        assert f"| `{name}` |" in doc


def test_headline_row_values(result: AnalysisResult) -> None:
    row = headline_row(result)
    m = result.metrics
    assert row["id"] == "demo|<b>1</b>"
    assert row["interruptions_by_clinician"] == 1
    assert row["opening_completed"] is False
    assert row["opening_first_interruption_s"] == pytest.approx(7.5)
    assert row["harmful_language"] == 1
    assert row["patient_questions"] == m.questions.patient_questions
    assert row["clinician_share"] == round(m.talk_time.clinician_share or 0.0, 4)
    assert row["rules_version"] == result.provenance["rules"]["version"]


def test_metrics_csv_round_trips(result: AnalysisResult, tmp_path: Path) -> None:
    path = tmp_path / "out.metrics.csv"
    write_metrics_csv(result, path)
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        assert reader.fieldnames == EXPECTED_COLUMNS
    assert len(rows) == 1
    expected = {k: "" if v is None else str(v) for k, v in headline_row(result).items()}
    assert rows[0] == expected
    assert rows[0]["id"] == "demo|<b>1</b>"
    assert float(rows[0]["duration_s"]) == pytest.approx(result.metrics.talk_time.duration_s)
    assert rows[0]["opening_completed"] == "False"


def test_metrics_csv_leaves_unmeasured_values_empty(tmp_path: Path) -> None:
    r = analyse(PLAIN)
    path = tmp_path / "plain.csv"
    write_metrics_csv(r, path)
    with path.open(encoding="utf-8", newline="") as f:
        row = next(csv.DictReader(f))
    for name in ("open_ratio", "psychosocial_first_s", "psychosocial_first_by",
                 "opening_duration_s", "opening_completed"):
        assert row[name] == "", name
    assert row["questions_open"] == "0"
