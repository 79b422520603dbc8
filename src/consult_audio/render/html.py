"""The HTML report: one self-contained page that opens offline in any browser.

The page holds cards with the headline findings (value, research reference, plain reading), a
timeline with one lane per speaker and the coded events marked, the transcript with events
highlighted, the feedback grouped by the Four Habits, and how it was made (Methods). CSS and
JavaScript are inline, graphics are HTML and CSS, and a Content-Security-Policy forbids loading
anything from anywhere: the page makes no request to any host. An audio player appears only when
the caller passes a :class:`ReportAudio` (embedded as a ``data:`` URI, or a link to a local file).

The page is rendered by Jinja2 with autoescaping on, from the :class:`AnalysisResult` alone; every
string that came from a transcript is escaped by the template engine. The timeline and transcript
are laid out by :mod:`~consult_audio.render.timeline`, the player by
:mod:`~consult_audio.render.player`, the page by :mod:`~consult_audio.render.page`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consult_audio import catalogue as m
from consult_audio.feedback import HABITS, NOT_CLINICAL, clock
from consult_audio.model import AnalysisResult
from consult_audio.render import timeline
from consult_audio.render.cards import cited_references, glance_cards, one_role_missing
from consult_audio.render.common import KIND_LABELS, describe, metadata_of
from consult_audio.render.glance import KNOWN_ERROR, KNOWN_ERROR_SCOPE
from consult_audio.render.page import asset, render_template
from consult_audio.render.player import AUDIO_TYPES, ReportAudio, audio_from_file
from consult_audio.render.voices import voices_notice

__all__ = ["AUDIO_TYPES", "ReportAudio", "audio_from_file", "render_html"]


def _methods(result: AnalysisResult) -> dict[str, Any]:
    prov = result.provenance
    rules = prov.get("rules") if isinstance(prov.get("rules"), Mapping) else {}
    models = [model for model in prov.get("models", []) or [] if isinstance(model, Mapping)]
    audio = prov.get("audio") if isinstance(prov.get("audio"), Mapping) else None
    inputs = [i for i in prov.get("inputs", []) or [] if isinstance(i, Mapping)]
    settings = prov.get("settings") if isinstance(prov.get("settings"), Mapping) else {}
    shown = {"consult_audio_version", "rules", "models", "audio", "inputs", "settings",
             "metadata", "python", "analysed_at", "analysis_s"}
    other = {str(k): describe(v) for k, v in prov.items() if k not in shown}
    return {
        "version": str(prov.get("consult_audio_version", "unknown")),
        "python": str(prov.get("python", "")),
        "analysed_at": str(prov.get("analysed_at", "")),
        "rules": {k: str(v) for k, v in (rules or {}).items()},
        "models": [{k: describe(v) for k, v in model.items()} for model in models],
        "audio": {str(k): describe(v) for k, v in audio.items()} if audio else None,
        "inputs": [{k: describe(v) for k, v in i.items()} for i in inputs],
        "settings": {str(k): describe(v) for k, v in (settings or {}).items()
                     if v not in (None, [], {})},
        "metadata": metadata_of(result),
        "other": other,
        "from_audio": bool(models or audio),
    }


def report_context(result: AnalysisResult, *, audio: ReportAudio | None = None) -> dict[str, Any]:
    """Everything the report template shows, as plain values (strings are not yet escaped)."""
    c = result.consultation
    cards = glance_cards(result)
    cited = cited_references(result, cards)
    habits = [(key, title, [f for f in result.feedback if f.habit == key])
              for key, title in HABITS.items()]
    others = [f for f in result.feedback if f.habit not in HABITS]
    if others:
        habits.append(("other", "Other", others))
    duration = timeline.duration_of(result)
    notes = []
    missing = one_role_missing(result)
    if missing:
        notes.append("Only one side of the conversation was found: "
                     + ("there is no speech from the " + missing if missing != "both"
                        else "there is no clinician or patient speech")
                     + ". Measures that compare the two are not shown.")
    if not m.QUESTIONS_TOTAL(result):
        notes.append("No clinician questions were found, so no questions are marked.")
    if m.PSYCHOSOCIAL_FIRST_S(result) is None:
        notes.append("No psychosocial content was found, so none is marked.")
    return {
        "id": c.id,
        "duration": clock(duration),
        "duration_s": duration,
        "language": c.language or "",
        "metadata": metadata_of(result),
        "cards": cards,
        "numbers": {key: n for key, (n, _) in cited.items()},
        "references": list(cited.values()),
        "lanes": timeline.lanes(result),
        "ticks": timeline.ticks(duration),
        "legend": timeline.legend(result),
        "timeline_notes": notes,
        "lines": timeline.lines(result),
        "habits": habits,
        "kind_labels": KIND_LABELS,
        "speakers": c.speakers,
        "methods": _methods(result),
        "known_error": KNOWN_ERROR,
        "known_error_scope": KNOWN_ERROR_SCOPE,
        "not_clinical": NOT_CLINICAL,
        "voices_notice": voices_notice(result),
        "audio": audio,
    }


def render_html(result: AnalysisResult, *, audio: ReportAudio | None = None) -> str:
    """The whole report as one HTML page (text, ends with a newline)."""
    if audio is None:
        media = "'none'"
    elif audio.embedded:
        media = "data:"
    else:
        media = "'self' file:"  # a local file beside the report
    return render_template("report.html.j2", report_context(result, audio=audio),
                           css=("base.css", "report.css"), script=asset("report.js"),
                           media=media)
