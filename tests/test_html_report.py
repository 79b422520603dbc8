"""The HTML report: rendered from analyses of small literal transcripts, checked as text, through
the command line, and in Debian's Chromium (Playwright): no console error, no network request,
cards and timeline drawn, transcript clicks seek the audio, injected markup shown as text."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from browser_support import browser_fixture, open_page, write_wav  # noqa: F401 (the browser fixture)
from click.testing import CliRunner, Result

from consult_audio.analysis import analyse
from consult_audio.cli import main
from consult_audio.errors import InputError
from consult_audio.feedback import NOT_CLINICAL
from consult_audio.model import AnalysisResult, Role
from consult_audio.readers import load_consultation
from consult_audio.render.cards import glance_cards
from consult_audio.render.glance import KNOWN_ERROR, KNOWN_ERROR_SCOPE
from consult_audio.render.html import ReportAudio, audio_from_file, render_html

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "consultation.vtt"
VALIDATION = REPO / "docs" / "validation.md"

CARD_KEYS = ("talk_share", "opening_statement", "interruptions", "open_questions",
             "psychosocial", "elicitation", "empathy", "shared_decision")
SCRIPT = '<script type="text/javascript">alert(1)'  # the reader drops the bare </script>
IMG = "<img src=x onerror=alert(2)>"

# One consultation with markup in what the patient says, an interruption of the opening
# statement, closed questions, words that harm, options and a preference question.
TRICKY = [
    ("Doctor", 0.0, 3.0, "Hello, how can I help today?"),
    ("Patient", 3.5, 12.0, f"My back hurts {SCRIPT}</script> {IMG} & I'm really worried it is "
                           "\"serious\" and"),
    ("Doctor", 11.0, 14.0, "Does it go down your leg?"),
    ("Patient", 14.5, 17.0, "No, it stays in my back."),
    ("Doctor", 18.0, 24.0, "Your scan shows some wear and tear. We could try physio or "
                           "painkillers."),
    ("Patient", 24.5, 26.0, "Okay."),
    ("Doctor", 26.5, 30.0, "How does that sound to you?"),
    ("Patient", 30.5, 33.0, "Physio sounds good."),
]
# No questions and no psychosocial content.
PLAIN = [
    ("Doctor", 0.0, 3.0, "Your results are normal."),
    ("Patient", 3.5, 5.0, "Right, thanks."),
    ("Doctor", 5.5, 8.0, "We will see you next year."),
]


def write_transcript(path: Path, turns: Sequence[tuple[str, float, float, str]]) -> Path:
    """A JSON transcript (a list of {speaker, start, end, text}), as the JSON reader takes."""
    path.write_text(json.dumps([{"speaker": s, "start": a, "end": b, "text": t}
                                for s, a, b, t in turns]), encoding="utf-8")
    return path


def analysed(path: Path, **roles: Role) -> AnalysisResult:
    return analyse(load_consultation([path], roles=roles or None))


@pytest.fixture(scope="module")
def example() -> AnalysisResult:
    return analyse(load_consultation([EXAMPLE]))


@pytest.fixture(scope="module")
def tricky(tmp_path_factory: pytest.TempPathFactory) -> AnalysisResult:
    return analysed(write_transcript(tmp_path_factory.mktemp("t") / "tricky.json", TRICKY))


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> AnalysisResult:
    return analysed(write_transcript(tmp_path_factory.mktemp("p") / "plain.json", PLAIN))


def text_of(html: str) -> str:
    """The page's visible text, roughly: tags dropped, entities decoded, spaces collapsed."""
    import html as html_module

    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", body)).split())


# --- the page as text ---------------------------------------------------------------------------


def test_page_is_self_contained_with_a_strict_csp(example: AnalysisResult) -> None:
    page = render_html(example)
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None
    policy = csp.group(1)
    assert "default-src 'none'" in policy and "media-src 'none'" in policy
    # The one inline script is pinned by its hash; nothing else may run.
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy


def test_cards_show_value_reference_and_reading(example: AnalysisResult) -> None:
    page = render_html(example)
    text = text_of(page)
    for key in CARD_KEYS:
        assert f'id="card-{key}"' in page
    m = example.metrics
    assert f"{m.talk_time.clinician_share:.0%} clinician · {m.talk_time.patient_share:.0%} " \
           "patient" in text
    assert f"Completed, {m.opening_statement.duration_s:.0f} s" in text
    # The opening statement is compared with the 18 s of Beckman & Frankel, with its citation.
    assert "18 s , Beckman & Frankel 1984 [1]" in text
    assert "Ann Intern Med 1984;101:692-6" in text
    assert f"{m.questions.open_ratio:.0%} open" in text
    assert "First at 00:23" in text and "raised by the patient" in text
    assert "Expectations yes · agenda yes" in text
    assert "1 shown · 1 missed" in text
    assert "0 of 3 steps" in text
    for card in glance_cards(example):
        assert card.reading and card.reading in text


def test_timeline_marks_every_coded_moment(example: AnalysisResult) -> None:
    page = render_html(example)
    kinds = {"m-open": ("question", "open"), "m-closed": ("question", "closed"),
             "m-psychosocial": ("psychosocial", None), "m-empathy": ("empathy", None),
             "m-missed": ("missed_empathy", None)}
    for css, (kind, label) in kinds.items():
        expected = [e for e in example.events if e.type == kind
                    and (label is None or e.label == label)]
        assert len(re.findall(rf'class="mark {css} ', page)) == len(expected), css
    assert page.count('class="seg"') == len(example.consultation.utterances)
    assert page.count('<div class="band"') == 1  # the opening statement
    assert '"I\'ve stopped going to football with my son' in text_of(page)


def test_transcript_has_roles_times_and_highlights(example: AnalysisResult) -> None:
    page = render_html(example)
    assert page.count('<li id="u-') == len(example.consultation.utterances)
    assert '<li id="u-7" class="role-clinician" data-start="36.300" data-end="39.400"' in page
    assert '<mark class="hl-question-open" title="open question">Tell me more about</mark>' in page
    assert '<mark class="hl-agenda" title="agenda asked">anything else you wanted</mark>' in page
    assert page.count('<span class="tag-opening">opening statement</span>') == 3


def test_transcript_markup_is_escaped(tricky: AnalysisResult) -> None:
    page = render_html(tricky)
    assert "&lt;script type=&#34;text/javascript&#34;&gt;alert(1)" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<img" not in page and page.count("<script") == 1
    text = text_of(page)
    assert SCRIPT in text and IMG in text


def test_feedback_grouped_by_the_four_habits(tricky: AnalysisResult) -> None:
    page = render_html(tricky)
    text = text_of(page)
    titles = ["Invest in the beginning", "Elicit the patient's perspective",
              "Demonstrate empathy", "Invest in the end"]
    at = [text.index(t, text.index("Feedback by the Four Habits")) for t in titles]
    assert at == sorted(at)
    assert "Try: Let the patient finish their first story" in text
    assert "wear and tear" in text  # words that harm, with evidence
    assert "Interrupted after" in text
    for item in tricky.feedback:
        assert item.message.split(" (")[0][:40] in text


def test_a_saved_analysis_renders_the_same(example: AnalysisResult) -> None:
    saved = AnalysisResult.from_dict(json.loads(json.dumps(example.to_dict())))
    assert render_html(saved) == render_html(example)


def test_no_questions_and_no_psychosocial_are_said_in_words(plain: AnalysisResult) -> None:
    text = text_of(render_html(plain))
    assert "No questions found" in text
    assert "No clinician questions were found, so no questions are marked." in text
    assert "None found" in text
    assert "No psychosocial content was found, so none is marked." in text
    assert "Open question (none)" in text


def test_one_side_of_the_conversation(tmp_path: Path) -> None:
    path = write_transcript(tmp_path / "roles.json", PLAIN)
    result = analysed(path, Doctor=Role.CLINICIAN, Patient=Role.CLINICIAN)
    text = text_of(render_html(result))
    assert "Talk share Not measured" in text or "Not measured no speech from the patient" in text
    assert "Only one side of the conversation was found" in text
    assert "%" not in text[text.index("Talk share"):text.index("Patient's opening statement")]


def test_methods_show_models_audio_metadata_and_known_error(example: AnalysisResult) -> None:
    provenance = {
        **example.provenance,
        "models": [{"name": "whisper-base", "engine": "faster-whisper", "version": "1.2.1",
                    "sha256": "ab" * 32}],
        "audio": {"duration_s": 91.2, "channels": 1, "diariser": "embedded",
                  "sample_rate": 16000},
        "metadata": {"clinician_id": "C<07>", "date": "2026-03-01"},
    }
    page = render_html(dataclasses.replace(example, provenance=provenance))
    text = text_of(page)
    assert "whisper-base faster-whisper 1.2.1 abababababab…" in text
    assert "sample rate: 16000" in text and "diariser: embedded" in text
    assert "clinician C<07>" in text and "C&lt;07&gt;" in page
    assert "speaker diarisation (models below); their errors add" in text
    for k in KNOWN_ERROR:
        assert f"{k.measure} {k.figure}" in text
    assert NOT_CLINICAL in text
    rules = example.provenance["rules"]
    assert f"version {rules['version']}" in text


def test_methods_without_models_say_so(example: AnalysisResult) -> None:
    assert "No speech models: the analysis read a timed transcript." in text_of(
        render_html(example))


def test_known_error_figures_are_those_of_the_validation_page() -> None:
    validation = VALIDATION.read_text(encoding="utf-8")
    for k in KNOWN_ERROR:
        for number in re.findall(r"\d+\.\d+(?:e-\d+)?", k.figure + " " + k.note):
            assert number in validation, (k.measure, number)
        for count in re.findall(r"\d+ of \d+", k.figure + " " + k.note):
            assert count in validation, (k.measure, count)
    for number in re.findall(r"\d+\.\d+", KNOWN_ERROR_SCOPE):  # the figures from audio
        assert number in validation, number
    for count in re.findall(r"\d+ of \d+", KNOWN_ERROR_SCOPE):
        assert count in validation, count
    assert "4 real recorded OSCE interviews" in KNOWN_ERROR_SCOPE


def test_audio_embedded_or_linked(tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "rec.wav", 0.5)
    embedded = audio_from_file(wav, embed=True)
    assert embedded.embedded and embedded.src.startswith("data:audio/wav;base64,")
    assert base64.b64decode(embedded.src.split(",", 1)[1]) == wav.read_bytes()
    out = tmp_path / "reports"
    out.mkdir()
    linked = audio_from_file(wav, embed=False, report_dir=out)
    assert linked == ReportAudio("../rec.wav", False, "audio/wav")
    spaced = tmp_path / "my rec.wav"
    spaced.write_bytes(b"")
    assert audio_from_file(spaced, embed=False, report_dir=tmp_path).src == "my%20rec.wav"
    with pytest.raises(InputError, match="not a URL"):
        audio_from_file(Path("https://example.org/a.wav"), embed=False)
    with pytest.raises(InputError, match="not an audio file"):
        audio_from_file(tmp_path / "notes.txt", embed=True)
    with pytest.raises(InputError, match="file not found"):
        audio_from_file(tmp_path / "missing.wav", embed=True)
    with pytest.raises(ValueError):
        ReportAudio.link("javascript:alert(1)")


def test_player_only_with_audio(example: AnalysisResult, tmp_path: Path) -> None:
    assert "<audio" not in render_html(example)
    wav = write_wav(tmp_path / "rec.wav", 0.5)
    page = render_html(example, audio=audio_from_file(wav, embed=True))
    assert '<audio id="player" controls preload="metadata" src="data:audio/wav;base64,' in page
    assert "media-src data:" in page
    linked = render_html(example, audio=audio_from_file(wav, embed=False, report_dir=tmp_path))
    assert 'src="rec.wav"' in linked and "media-src 'self' file:" in linked


# --- the command line ---------------------------------------------------------------------------


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env={"COLUMNS": "250"})


def test_analyse_format_html_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("-q", "analyse", EXAMPLE, "--format", "html", "--output-dir", out,
                 "--meta", "clinician_id=C07", "--meta", "date=2026-03-01")
    assert result.exit_code == 0, result.output
    page = out / "consultation.report.html"
    assert result.stdout.split() == [str(page)]
    assert stat.S_IMODE(page.stat().st_mode) == 0o600
    text = page.read_text(encoding="utf-8")
    assert "clinician C07" in text_of(text) and '<time datetime="2026-03-01">' in text


def test_meta_is_kept_in_the_analysis(tmp_path: Path) -> None:
    result = run("-q", "analyse", EXAMPLE, "--format", "json", "--output-dir", tmp_path,
                 "--meta", "clinician_id=C07", "--meta", "date=2026-03-01",
                 "--meta", "phase=before")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "consultation.analysis.json").read_text(encoding="utf-8"))
    assert data["provenance"]["metadata"] == {"clinician_id": "C07", "date": "2026-03-01",
                                              "phase": "before"}


@pytest.mark.parametrize("meta", ["date=2026-3-1", "date=01/03/2026", "no-equals", "=x",
                                  "bad key=1"])
def test_bad_meta_is_a_usage_error(tmp_path: Path, meta: str) -> None:
    result = run("analyse", EXAMPLE, "--output-dir", tmp_path / "out", "--meta", meta)
    assert result.exit_code == 2 and "--meta" in result.output
    assert not (tmp_path / "out").exists()


def test_report_writes_html_by_default_with_embedded_audio(tmp_path: Path) -> None:
    first = tmp_path / "first"
    assert run("-q", "analyse", EXAMPLE, "--format", "json", "-o", first).exit_code == 0
    wav = write_wav(tmp_path / "visit.wav", 1.0)
    again = tmp_path / "again"
    result = run("-q", "report", first / "consultation.analysis.json", "-o", again,
                 "--embed-audio", wav)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in again.iterdir()) == [
        "consultation.metrics.csv", "consultation.report.html", "consultation.report.md"]
    assert "data:audio/wav;base64," in (again / "consultation.report.html").read_text()


@pytest.mark.parametrize("options", [
    ["--format", "md", "--embed-audio", "{wav}"],
    ["--embed-audio", "{wav}", "--audio-href", "{wav}"],
    ["--embed-audio", "{missing}"],
    ["--audio-href", "{txt}"],
])
def test_bad_audio_options_fail_cleanly(tmp_path: Path, options: list[str]) -> None:
    wav = write_wav(tmp_path / "visit.wav", 0.2)
    names = {"wav": wav, "missing": tmp_path / "gone.wav", "txt": tmp_path / "notes.txt"}
    args = [o.format(**names) for o in options]
    out = tmp_path / "out"
    result = run("analyse", EXAMPLE, "-o", out, "--format", "json,html", *args) \
        if "--format" not in args else run("analyse", EXAMPLE, "-o", out, *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_report_of_another_schema_fails_cleanly(tmp_path: Path) -> None:
    other = tmp_path / "x.analysis.json"
    other.write_text(json.dumps({"schema": "consult-audio/analysis/v0", "id": "x"}))
    result = run("report", other, "--format", "html", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "not a consult-audio analysis v1 file" in result.stderr
    assert not (tmp_path / "out").exists()


# --- in the browser -----------------------------------------------------------------------------


def write_page(folder: Path, html: str, name: str = "report.html") -> Path:
    path = folder / name
    path.write_text(html, encoding="utf-8")
    return path


def assert_clean(log: Any, page_url: str, *allowed: str) -> None:
    assert log.errors == [], log.errors
    assert log.console_errors == [], log.console_errors
    assert log.foreign_requests(page_url, *allowed) == [], log.requests


def test_report_in_chromium(browser: Any, example: AnalysisResult, tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "visit.wav", example.consultation.duration + 1.0)
    path = write_page(tmp_path, render_html(example, audio=audio_from_file(wav, embed=True)))
    page, log = open_page(browser, path)
    try:
        # Every card and the timeline are drawn.
        cards = page.locator(".card")
        assert cards.count() == len(CARD_KEYS)
        for i in range(cards.count()):
            box = cards.nth(i).bounding_box()
            assert box is not None and box["height"] > 80 and box["width"] > 150
        lanes = page.locator(".lane")
        assert lanes.count() == len(example.consultation.speakers)
        segs = page.locator(".seg")
        assert segs.count() == len(example.consultation.utterances)
        assert all((segs.nth(i).bounding_box() or {"width": 0})["width"] > 0
                   for i in range(segs.count()))
        marks = page.locator(".mark")
        assert marks.count() >= 10
        track = page.locator(".track").first.bounding_box()
        assert track is not None
        # Hovering a mark shows its quote; so does focusing it from the keyboard.
        missed = page.locator(".mark.m-missed")
        missed.hover()
        tip = missed.locator(".tip")
        assert tip.is_visible() and "football with my son" in tip.inner_text()
        page.mouse.move(0, 0)
        first_open = page.locator(".mark.m-open").first
        first_open.focus()
        assert first_open.locator(".tip").is_visible()
        assert "What's brought you in today?" in first_open.locator(".tip").inner_text()
        # A click on a transcript line seeks the audio there and highlights the line.
        page.wait_for_function("document.getElementById('player').readyState >= 1")
        line = page.locator("#u-8")
        start = float(line.get_attribute("data-start") or "nan")
        line.locator(".said").click()
        page.wait_for_function(
            f"Math.abs(document.getElementById('player').currentTime - {start}) < 1.0")
        assert "playing" in (line.get_attribute("class") or "")
        assert line.get_attribute("aria-current") == "true"
        # ... and so does a timeline mark.
        page.locator(".mark.m-open").last.click()
        agenda = example.metrics.habits.agenda_first_s
        page.wait_for_function(
            f"Math.abs(document.getElementById('player').currentTime - {agenda}) < 1.0")
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
        assert shot.stat().st_size > 10_000
        assert_clean(log, page.url)
    finally:
        page.close()


def test_injected_markup_does_not_run(browser: Any, tricky: AnalysisResult,
                                      tmp_path: Path) -> None:
    path = write_page(tmp_path, render_html(tricky))
    page, log = open_page(browser, path)
    try:
        said = page.locator("#u-1 .said").inner_text()
        assert SCRIPT in said and IMG in said
        assert page.locator("img").count() == 0
        assert page.locator("script").count() == 1
        assert log.dialogs == []
        assert_clean(log, page.url)
    finally:
        page.close()


def test_literal_script_in_a_saved_analysis_does_not_run(
    browser: Any, tricky: AnalysisResult, tmp_path: Path
) -> None:
    """An analysis JSON edited to hold a bare <script> in a quote: `report` shows it as text."""
    data = tricky.to_dict()
    evil = "<script>alert(1)</script>"
    data["consultation"]["utterances"][1]["text"] = f"It hurts {evil}"
    data["events"][0]["text"] = evil
    analysis = tmp_path / "evil.analysis.json"
    analysis.write_text(json.dumps(data), encoding="utf-8")
    result = run("-q", "report", analysis, "--format", "html", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    page, log = open_page(browser, tmp_path / f"{tricky.consultation.id}.report.html")
    try:
        assert evil in page.locator("#u-1 .said").inner_text()
        assert page.locator("script").count() == 1
        page.wait_for_timeout(200)
        assert log.dialogs == []
        assert_clean(log, page.url)
    finally:
        page.close()


def test_linked_audio_plays_under_the_policy(browser: Any, example: AnalysisResult,
                                             tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "visit.wav", 5.0)
    audio = audio_from_file(wav, embed=False, report_dir=tmp_path)
    path = write_page(tmp_path, render_html(example, audio=audio))
    page, log = open_page(browser, path)
    try:
        page.wait_for_function("document.getElementById('player').readyState >= 1")
        page.locator("#u-1 .ts").click()
        page.wait_for_function("Math.abs(document.getElementById('player').currentTime - 3.6)"
                               " < 0.5")
        assert_clean(log, page.url, wav.resolve().as_uri())
    finally:
        page.close()


def test_print_and_phone(browser: Any, tricky: AnalysisResult, tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "visit.wav", 1.0)
    path = write_page(tmp_path, render_html(tricky, audio=audio_from_file(wav, embed=True)))
    page, log = open_page(browser, path)
    try:
        page.emulate_media(media="print")
        assert not page.locator(".player").is_visible()
        assert not page.locator("#print-report").is_visible()
        assert page.locator(".card").first.is_visible()
        pdf = tmp_path / "report.pdf"
        page.pdf(path=str(pdf), format="A4")
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
        print(f"pdf: {pdf}")
        assert_clean(log, page.url)
    finally:
        page.close()
    phone, log = open_page(browser, path, viewport=(390, 844))
    try:
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width
        assert phone.locator(".timeline-scroll").is_visible()
        shot = tmp_path / "phone.png"
        phone.screenshot(path=str(shot), full_page=True)
        print(f"phone screenshot: {shot}")
        assert_clean(log, phone.url)
    finally:
        phone.close()


# --- the Markdown report carries the same findings ----------------------------------------------


def test_markdown_has_the_cards_and_the_known_error(example: AnalysisResult) -> None:
    from consult_audio.render import render_markdown
    from consult_audio.render.markdown import escape_md

    md = render_markdown(example)
    glance = md[md.index("## At a glance"):md.index("## Speakers")]
    for card in glance_cards(example):
        assert f"- **{escape_md(card.title)}: {escape_md(card.value)}**" in glance
        assert escape_md(card.reading) in glance
    assert "Reference: **18 s**, Beckman & Frankel 1984 [1]" in glance
    methods = md[md.index("## Methods"):]
    assert "### Known error of the automatic measures" in methods
    for k in KNOWN_ERROR:
        assert f"| {escape_md(k.measure)} | {escape_md(k.figure)} |" in methods
    assert "No speech models: the analysis read a timed transcript." in methods
    # The numbers of the references are those of the HTML report.
    page = text_of(render_html(example))
    assert "Beckman & Frankel 1984 [1]" in page and "Langewitz et al. 2002 [2]" in page


def test_markdown_shows_metadata_models_and_one_side(tmp_path: Path,
                                                    example: AnalysisResult) -> None:
    from consult_audio.render import render_markdown

    provenance = {**example.provenance, "metadata": {"clinician_id": "C07", "date": "2026-03-01"},
                  "models": [{"name": "whisper-base", "engine": "faster-whisper",
                              "version": "1.2.1", "sha256": "cd" * 32}]}
    md = render_markdown(dataclasses.replace(example, provenance=provenance))
    assert "- Clinician: C07\n- Date: 2026-03-01" in md
    assert "- Model: name whisper-base, engine faster-whisper, version 1.2.1, sha256 " \
           "cdcdcdcdcdcd..." in md
    assert "their errors add to these figures" in md
    path = write_transcript(tmp_path / "roles.json", PLAIN)
    one_side = analysed(path, Doctor=Role.CLINICIAN, Patient=Role.CLINICIAN)
    md = render_markdown(one_side)
    assert "Only one side of the conversation was found (no speech from the patient)" in md
    assert "**Talk share: Not measured**" in md
