"""The Markdown report: who spoke, headline metrics, feedback by the Four Habits with timestamped
quotes, an appendix of every coded event, and how it was made.

Every piece of transcript text (and anything else that came from input files) goes through
:func:`escape_md`, so a quote cannot break a table or inject HTML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from consult_audio import catalogue as m
from consult_audio.feedback import HABITS, NOT_CLINICAL, clock, quote, unsure_note
from consult_audio.model import AnalysisResult, Event, FeedbackItem, Reference
from consult_audio.render.cards import Card, cited_references, glance_cards, one_role_missing
from consult_audio.render.common import (
    KIND_LABELS,
    describe,
    metadata_of,
    reference_value,
    short_citation,
)
from consult_audio.render.glance import KNOWN_ERROR, KNOWN_ERROR_SCOPE
from consult_audio.render.voices import voices_notice

# Backslash-escape what Markdown would read as markup inside a line; < > become entities, so no
# tag can open in any renderer. A plain & is no markup and stays as written ("Beckman & Frankel");
# only one that starts a named entity reference (text holding "&lt;" or "&amp;") is escaped,
# "\&lt;", so that the reader sees the text as written and not the character it names (numeric
# ones, "&#38;", are no references once their "#" is escaped).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")
_MD_ENTITY = re.compile(r"&(?=[A-Za-z][A-Za-z0-9]*;)")
_OTHER_EVENTS = ("agenda", "expectations", "empathy", "missed_empathy", "options", "preference",
                 "summary", "harmful_language", "patient_question")
_EVENT_NAMES = {
    "agenda": "agenda elicited", "expectations": "expectations elicited", "empathy": "empathy",
    "missed_empathy": "missed empathy", "options": "options", "preference": "preference asked",
    "summary": "summary", "harmful_language": "words that harm",
    "patient_question": "patient question",
}
_PROVENANCE_SHOWN = {"consult_audio_version", "rules", "python", "analysed_at", "analysis_s",
                     "metadata", "models", "audio"}


def escape_md(text: object) -> str:
    """``text`` safe for one line of Markdown: whitespace collapsed, ``<`` and ``>`` as
    entities, Markdown markup characters (``|``, ``*``, ``_``, ``[``...) and an ``&`` that
    would start an entity reference backslash-escaped; any other ``&`` as written."""
    s = _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    s = _MD_ENTITY.sub(r"\\&", s)
    return s.replace("<", "&lt;").replace(">", "&gt;")


def render_markdown(result: AnalysisResult) -> str:
    """The whole report as Markdown text (ends with a newline)."""
    cards = glance_cards(result)
    references = cited_references(result, cards)
    parts = [
        _title(result),
        _glance(result, cards, references),
        _speakers(result),
        _headline(result),
        _feedback(result.feedback, references),
        _appendix(result),
        _references(references),
        _methods(result),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


# --- helpers -------------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table; cells must already be escaped."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0%}"


def _secs(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1f} s"


def _num(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _yes(flag: bool, at: float | None = None) -> str:
    return ("yes" + (f", first at {clock(at)}" if at is not None else "")) if flag else "no"


def _at(e: Event) -> str:
    return f"`{clock(e.start_s)}`"


# --- sections ------------------------------------------------------------------------------------


def _title(result: AnalysisResult) -> str:
    c = result.consultation
    lines = [f"# Communication feedback: {escape_md(c.id)}", ""]
    lines.append(f"- Duration: {clock(c.duration)} ({c.duration:.1f} s)")
    if c.language:
        lines.append(f"- Language: {escape_md(c.language)}")
    if c.sources:
        lines.append("- Sources: " + ", ".join(escape_md(s) for s in c.sources))
    meta = metadata_of(result)
    if meta.get("clinician_id"):
        lines.append(f"- Clinician: {escape_md(meta['clinician_id'])}")
    if meta.get("date"):
        lines.append(f"- Date: {escape_md(meta['date'])}")
    notice = voices_notice(result)
    if notice:
        lines += ["", f"**Voices:** {escape_md(notice)}"]
    return "\n".join(lines)


def _glance(result: AnalysisResult, cards: Sequence[Card],
            references: Mapping[str, tuple[int, Reference]]) -> str:
    """The headline findings as the HTML report's cards: value, reference and reading."""
    out = ["## At a glance", ""]
    missing = one_role_missing(result)
    if missing:
        out += ["Only one side of the conversation was found (" + (
            f"no speech from the {missing}" if missing != "both"
            else "no clinician or patient speech") + "); measures that compare the two are not "
                "shown.", ""]
    for card in cards:
        status = f" ({KIND_LABELS[card.status].lower()})" if card.status in KIND_LABELS else ""
        detail = card.detail[:1].upper() + card.detail[1:]
        out.append(f"- **{escape_md(card.title)}: {escape_md(card.value)}**{status}. "
                   f"{escape_md(detail)}. {escape_md(card.reading)}")
        if card.references:
            cited = "; ".join(
                (f"{_reference_value(ref)}, " if ref.value is not None else "")
                + f"{escape_md(short_citation(ref))} [{references[ref.key][0]}]"
                for ref in card.references)
            out.append(f"  - Reference: {cited}" + (
                f". {escape_md(card.reference_note)}" if card.reference_note else ""))
        elif card.reference_note:
            out.append(f"  - {escape_md(card.reference_note)}")
    return "\n".join(out)


def _speakers(result: AnalysisResult) -> str:
    rows = [
        (escape_md(s.label), escape_md(s.role), escape_md(s.role_source),
         f"{s.role_confidence:.2f}", escape_md(s.role_evidence) or "-")
        for s in result.consultation.speakers
    ]
    return "## Speakers\n\n" + table(
        ("Speaker", "Role", "How the role was decided", "Confidence", "Evidence"), rows)


def _headline(result: AnalysisResult) -> str:
    r = result
    start = m.OPENING_START_S(r)
    if not m.OPENING_FOUND(r) or start is None:
        opening = "not found"
    elif m.OPENING_COMPLETED(r) is False:
        opening = (f"interrupted after {_secs(m.OPENING_FIRST_INTERRUPTION_S(r))} "
                   f"(started {clock(start)})")
    else:
        opening = f"completed, {_secs(m.OPENING_DURATION_S(r))} (started {clock(start)})"
    first = m.PSYCHOSOCIAL_FIRST_S(r)
    if first is None:
        first_psy = "none found"
    else:
        first_psy = (f"{clock(first)} ({_pct(m.PSYCHOSOCIAL_FIRST_FRACTION(r))} of the way "
                     f"through), by {escape_md(m.PSYCHOSOCIAL_FIRST_BY(r) or 'unknown')}")

    def pair(a: m.Metric[Any], b: m.Metric[Any], show: Callable[[Any], str] = str) -> str:
        return f"{show(a(r))} / {show(b(r))}"

    rows = [
        ("Talk share, clinician / patient", pair(m.CLINICIAN_SHARE, m.PATIENT_SHARE, _pct)),
        ("Silence / overlap (of the recording)", pair(m.SILENCE_SHARE, m.OVERLAP_SHARE, _pct)),
        ("Turns, clinician / patient", pair(m.CLINICIAN_TURNS, m.PATIENT_TURNS)),
        ("Longest monologue, clinician / patient",
         pair(m.LONGEST_MONOLOGUE_CLINICIAN_S, m.LONGEST_MONOLOGUE_PATIENT_S, _secs)),
        ("Speaking rate, clinician / patient (words/min)",
         pair(m.CLINICIAN_WPM, m.PATIENT_WPM, lambda x: _num(x, 0))),
        ("Interruptions by clinician / by patient",
         pair(m.INTERRUPTIONS_BY_CLINICIAN, m.INTERRUPTIONS_BY_PATIENT)),
        ("Interruptions per 10 min (either speaker)", _num(m.INTERRUPTIONS_PER_10_MIN(r))),
        ("Backchannels, clinician / patient",
         pair(m.BACKCHANNELS_BY_CLINICIAN, m.BACKCHANNELS_BY_PATIENT)),
        ("Patient's opening statement", opening),
        ("Clinician questions, open / closed",
         f"{pair(m.QUESTIONS_OPEN, m.QUESTIONS_CLOSED)} (open ratio {_pct(m.OPEN_RATIO(r))})"),
        ("First psychosocial content", first_psy),
        ("Psychosocial share of speech", _pct(m.PSYCHOSOCIAL_SHARE(r))),
        ("Expectations elicited", _yes(m.EXPECTATIONS_ELICITED(r), m.EXPECTATIONS_FIRST_S(r))),
        ("Agenda elicited (\"anything else?\")",
         _yes(m.AGENDA_ELICITED(r), m.AGENDA_FIRST_S(r))),
        ("Empathic statements / missed opportunities", pair(m.EMPATHY, m.MISSED_EMPATHY)),
        ("Shared decision: options / preference asked / steps of 3",
         f"{pair(m.OPTIONS_OFFERED, m.PREFERENCE_ASKED)} / {m.SHARED_DECISION_STEPS(r)}"),
        ("Summary / teach-back", pair(m.SUMMARY, m.TEACH_BACK)),
        ("Words that harm", str(m.HARMFUL_LANGUAGE(r))),
        ("Patient questions", str(m.PATIENT_QUESTIONS(r))),
    ]
    return "## Headline metrics\n\n" + table(("Metric", "Value"), (
        (escape_md(name), value) for name, value in rows))


def _feedback(items: Sequence[FeedbackItem],
              references: Mapping[str, tuple[int, Reference]]) -> str:
    out = ["## Feedback", "", f"*{NOT_CLINICAL}*"]
    for habit, title in HABITS.items():
        mine = [i for i in items if i.habit == habit]
        if not mine:
            continue
        out += ["", f"### {title}", ""]
        out += [_feedback_item(i, references) for i in mine]
    others = [i for i in items if i.habit not in HABITS]
    if others:
        out += ["", "### Other", ""]
        out += [_feedback_item(i, references) for i in others]
    return "\n".join(out)


def _feedback_item(item: FeedbackItem,
                   references: Mapping[str, tuple[int, Reference]]) -> str:
    label = KIND_LABELS.get(item.kind, item.kind.capitalize())
    lines = [f"- **{escape_md(label)}.** {escape_md(item.message)}"]
    if item.suggestion:
        lines.append(f"  - *Try:* {escape_md(item.suggestion)}")
    for e in item.evidence:
        lines.append(f"  - {_at(e)} {escape_md(e.role or e.speaker)}: {escape_md(quote(e.text))}"
                     f"{_unsure(e)}")
    if item.references:
        compared = ", ".join(f"{_reference_value(ref)} [{references[ref.key][0]}]"
                             for ref in item.references)
        lines.append(f"  - Compared with: {compared}")
    return "\n".join(lines)


def _reference_value(ref: Reference) -> str:
    return f"**{escape_md(reference_value(ref))}**" if ref.value is not None else "see"


def _references(numbers: Mapping[str, tuple[int, Reference]]) -> str:
    if not numbers:
        return ""
    lines = ["## References", ""]
    lines += [f"{n}. {_reference_value(ref)}: {escape_md(ref.statement)} {escape_md(ref.citation)}"
              for n, ref in numbers.values()]
    return "\n".join(lines)


def _appendix(result: AnalysisResult) -> str:
    events = result.events

    def of(*kinds: str) -> list[Event]:
        return [e for e in events if e.type in kinds]

    out = ["## Appendix: coded events", "",
           "Every event the rules coded, with the words it rests on. Check them: automatic coding "
           "can miss or mis-code an event."]
    out += ["", f"### Clinician questions ({m.QUESTIONS_OPEN(result)} open, "
                f"{m.QUESTIONS_CLOSED(result)} closed)", ""]
    out.append(_event_table(of("question"), ("Open/closed", "Tags"),
                            lambda e: (escape_md(e.label), escape_md(", ".join(e.tags)) or "-")))
    out += ["", "### Interruptions", ""]
    out.append(_event_table(
        of("interruption"), ("By", "Outcome", "Talking over"),
        lambda e: (escape_md(e.role), escape_md(e.label),
                   escape_md(quote(str(e.evidence.get("overlapped_text", "")))))))
    out += ["", "### Backchannels", ""]
    out.append(_event_table(of("backchannel"), ("By",), lambda e: (escape_md(e.role),)))
    n_other = len(of("overlap"))
    if n_other:
        out += ["", f"Other overlaps (turn changes at a completion point, shared laughter...): "
                    f"{n_other}."]
    out += ["", "### Psychosocial content", ""]
    out.append(_event_table(of("psychosocial"), ("Who", "Category"),
                            lambda e: (escape_md(e.role), escape_md(e.label))))
    out += ["", "### Other communication events", ""]
    out.append(_event_table(of(*_OTHER_EVENTS), ("Event", "Who", "Note"), _other_cells))
    return "\n".join(out)


def _other_cells(e: Event) -> tuple[str, ...]:
    name = _EVENT_NAMES.get(e.type, e.type)
    if e.type == "options" and e.label == "risks_benefits":
        name = "benefits and harms"
    elif e.type == "summary" and e.label == "teach_back":
        name = "teach-back"
    note = ""
    if e.type == "harmful_language":
        note = f"try: {e.evidence.get('alternative', '')}"
    elif e.type == "missed_empathy" and e.evidence.get("clinician_reply"):
        note = f"next clinician turn: {quote(str(e.evidence['clinician_reply']))}"
    return escape_md(name), escape_md(e.role), escape_md(note) or "-"


def _event_table(events: Sequence[Event], header: Sequence[str], cells: Any) -> str:
    if not events:
        return "None found."
    rows = [(f"{clock(e.start_s)}", *cells(e), escape_md(quote(e.text)) + _unsure(e))
            for e in events]
    return table(("Time", *header, "Said"), rows)


def _unsure(e: Event) -> str:
    note = unsure_note(e)
    return " " + escape_md(note) if note else ""


def _methods(result: AnalysisResult) -> str:
    prov = result.provenance
    rules_info = prov.get("rules")
    rules: Mapping[str, Any] = rules_info if isinstance(rules_info, Mapping) else {}
    lines = ["## Methods", ""]
    lines.append(f"- Rules: {escape_md(rules.get('name') or 'unknown')}, version "
                 f"{escape_md(rules.get('version') or 'unknown')} "
                 f"({escape_md(rules.get('source') or 'unknown source')})")
    version = escape_md(prov.get("consult_audio_version", "unknown"))
    analysed = f", analysed {escape_md(prov['analysed_at'])}" if prov.get("analysed_at") else ""
    lines.append(f"- consult-audio version {version}{analysed}")
    for key, value in metadata_of(result).items():
        lines.append(f"- {escape_md(key.replace('_', ' ').capitalize())}: {escape_md(value)}")
    models = [model for model in prov.get("models", []) or [] if isinstance(model, Mapping)]
    for model in models:
        lines.append("- Model: " + escape_md(", ".join(
            f"{k} {str(v)[:12] + '...' if k == 'sha256' else v}" for k, v in model.items())))
    if not models:
        lines.append("- No speech models: the analysis read a timed transcript.")
    if isinstance(prov.get("audio"), Mapping):
        lines.append(f"- Audio: {escape_md(describe(prov['audio']))}")
    for key, value in prov.items():
        if key in _PROVENANCE_SHOWN:
            continue
        shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True,
                                                                default=str)
        lines.append(f"- {escape_md(key)}: {escape_md(shown)}")
    lines.append("- Events are coded automatically from the transcript by the rules above, "
                 "following the project's coding manual (RIAS, Four Habits, OPTION-5, "
                 "Calgary-Cambridge). Talk shares are over speech time; silence and overlap over "
                 "the recording.")
    lines.append("- Reference values come from published studies in other settings; they are "
                 "given for comparison, not as targets.")
    lines += ["", "### Known error of the automatic measures", "", escape_md(KNOWN_ERROR_SCOPE),
              ""]
    if models or isinstance(prov.get("audio"), Mapping):
        lines += ["The transcript and speakers came from speech recognition and diarisation; "
                  "their errors add to these figures.", ""]
    lines.append(table(("Measure", "Agreement with hand coding", "Note"), (
        (escape_md(k.measure), escape_md(k.figure), escape_md(k.note) or "-")
        for k in KNOWN_ERROR)))
    lines.append("")
    lines.append(f"- **{NOT_CLINICAL}**")
    return "\n".join(lines)
