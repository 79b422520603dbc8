"""The HTML report: one self-contained page that opens offline in any browser.

The page holds cards with the headline findings (value, research reference, plain reading), a
timeline with one lane per speaker and the coded events marked, the transcript with events
highlighted, the feedback grouped by the Four Habits, and how it was made (Methods). CSS and
JavaScript are inline, graphics are HTML and CSS, and a Content-Security-Policy forbids loading
anything from anywhere: the page makes no request to any host. An audio player appears only when
the caller passes a :class:`ReportAudio` (embedded as a ``data:`` URI, or a link to a local file).

The page is rendered by Jinja2 with autoescaping on, from the :class:`AnalysisResult` alone; every
string that came from a transcript is escaped by the template engine.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from consult_audio.errors import InputError
from consult_audio.feedback import HABITS, NOT_CLINICAL, clock, quote, unsure_note
from consult_audio.model import AnalysisResult, Event, Reference, Role
from consult_audio.render.glance import (
    KNOWN_ERROR,
    KNOWN_ERROR_SCOPE,
    Card,
    describe,
    glance_cards,
    metadata_of,
    one_role_missing,
    reference_value,
    short_citation,
)
from consult_audio.render.voices import voices_notice

__all__ = ["AUDIO_TYPES", "ReportAudio", "audio_from_file", "render_html"]

log = logging.getLogger(__name__)

# Audio file suffix -> MIME type for the player. Browsers play WAV, MP3, Ogg/Opus, FLAC and AAC/MP4.
AUDIO_TYPES: Mapping[str, str] = {
    ".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".oga": "audio/ogg",
    ".opus": "audio/ogg", ".flac": "audio/flac", ".m4a": "audio/mp4", ".mp4": "audio/mp4",
    ".aac": "audio/aac", ".webm": "audio/webm",
}
LARGE_EMBED_BYTES = 50 * 1024 * 1024  # bytes; above this, embedding makes a slow page: warn
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

KIND_LABELS = {"strength": "Strength", "suggestion": "Suggestion", "info": "For information"}
ROLE_ORDER = {str(Role.CLINICIAN): 0, str(Role.PATIENT): 1, str(Role.OTHER): 2}
TICK_STEPS = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)  # s, candidate axis steps
MAX_TICKS = 10  # most labelled ticks on the time axis

# Event type (and label) -> how the timeline and transcript mark it: css class, name, marker row.
_MARKS: Mapping[str, tuple[str, str, int]] = {
    "question/open": ("m-open", "Open question", 0),
    "question/closed": ("m-closed", "Closed question", 0),
    "interruption": ("m-interruption", "Interruption", 1),
    "psychosocial": ("m-psychosocial", "Psychosocial", 1),
    "empathy": ("m-empathy", "Empathy", 2),
    "missed_empathy": ("m-missed", "Missed empathy", 2),
}
# Event types shown as labels on transcript lines, with their names.
_TAG_NAMES: Mapping[str, str] = {
    "question/open": "open question", "question/closed": "closed question",
    "interruption": "interruption", "backchannel": "backchannel",
    "psychosocial": "psychosocial", "empathy": "empathy", "missed_empathy": "missed empathy",
    "expectations": "expectations asked", "agenda": "agenda asked", "options": "options",
    "options/risks_benefits": "benefits and harms", "preference": "preference asked",
    "summary": "summary", "summary/teach_back": "teach-back",
    "harmful_language": "words that harm", "patient_question": "patient question",
}


# --- audio ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportAudio:
    """The recording the report's player plays: ``src`` is a ``data:`` URI (embedded) or a
    relative or absolute path (a link to a file beside the report)."""

    src: str
    embedded: bool
    mime: str | None = None

    @classmethod
    def embed(cls, data: bytes, mime: str) -> ReportAudio:
        """The recording inside the page, as a base64 ``data:`` URI."""
        return cls(f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}", True, mime)

    @classmethod
    def link(cls, href: str, mime: str | None = None) -> ReportAudio:
        """A link to a local file; ``href`` is a URL path (percent-encoded), never a URL with a
        scheme, so the page still makes no request to another host."""
        if _URL_SCHEME.match(href) or href.startswith("//"):
            raise ValueError(f"{href!r} is a URL; the report links only to local files")
        return cls(href, False, mime)


def audio_from_file(path: Path, *, embed: bool, report_dir: Path | None = None) -> ReportAudio:
    """A :class:`ReportAudio` for the recording at ``path``.

    ``embed`` puts the bytes in the page (opt-in: the recording is health data); otherwise the
    page links to the file by a path relative to ``report_dir`` (the folder the report is written
    to), so the two can be moved together. Raises :class:`InputError` for a URL, an unknown audio
    type, or (when embedding) a file that cannot be read.
    """
    text = str(path)
    if _URL_SCHEME.match(text) and not re.match(r"^[A-Za-z]:[\\/]", text):
        raise InputError(path, "give the path of a local audio file, not a URL: the report "
                               "makes no requests to other hosts")
    mime = AUDIO_TYPES.get(path.suffix.lower())
    if mime is None:
        raise InputError(path, f"not an audio file the report can play; use one of "
                               f"{', '.join(sorted(AUDIO_TYPES))}")
    if embed:
        try:
            data = path.read_bytes()
        except FileNotFoundError as err:
            raise InputError(path, "file not found; check the path") from err
        except OSError as err:
            raise InputError(path, f"cannot read the file: {err.strerror or err}") from err
        if len(data) > LARGE_EMBED_BYTES:
            log.warning("%s is %.0f MB; the report will be slow to open. A compressed copy "
                        "(Opus, MP3) or --audio-href keeps it small.", path, len(data) / 1e6)
        return ReportAudio.embed(data, mime)
    if not path.exists():
        log.warning("%s does not exist; the report's player will find nothing there", path)
    target = path.resolve() if report_dir is not None else path
    rel = os.path.relpath(target, report_dir.resolve()) if report_dir is not None else str(path)
    return ReportAudio.link(urllib.parse.quote(Path(rel).as_posix()), mime)


# --- view model ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mark:
    """One event on the timeline: ``left`` is its position in % of the consultation."""

    css: str
    name: str
    row: int
    left: float
    start_s: float
    utterance: int | None
    label: str  # what a screen reader says: kind, time, who, quote
    quote: str
    flip: bool  # tooltip opens to the left (mark near the right edge)


@dataclass(frozen=True, slots=True)
class Segment:
    left: float  # % of the consultation
    width: float  # %
    start_s: float
    utterance: int


@dataclass(frozen=True, slots=True)
class Lane:
    speaker: str
    role: str
    segments: tuple[Segment, ...]
    marks: tuple[Mark, ...]
    band: tuple[float, float] | None  # the opening statement (left %, width %), patient lane


@dataclass(frozen=True, slots=True)
class Piece:
    """A stretch of an utterance's text, highlighted (``css``) when an event's words are in it."""

    text: str
    css: str = ""
    title: str = ""


@dataclass(frozen=True, slots=True)
class Line:
    index: int
    start_s: float
    end_s: float
    speaker: str
    role: str
    pieces: tuple[Piece, ...]
    tags: tuple[tuple[str, str], ...]  # (css class, name)
    opening: bool  # part of the patient's opening statement


def _pct(t: float, duration: float) -> float:
    return round(100.0 * min(max(t, 0.0), duration) / duration, 3) if duration > 0 else 0.0


def _event_key(e: Event) -> str:
    return f"{e.type}/{e.label}" if f"{e.type}/{e.label}" in _TAG_NAMES else e.type


def _mark_key(e: Event) -> str:
    return f"{e.type}/{e.label}" if e.type == "question" else e.type


def _lanes(result: AnalysisResult) -> list[Lane]:
    c = result.consultation
    duration = max(c.duration, max((u.end for u in c.utterances), default=0.0))
    speakers = sorted(c.speakers, key=lambda s: (ROLE_ORDER.get(str(s.role), 3), s.label))
    op = result.metrics.opening_statement
    lanes = []
    for s in speakers:
        segments = tuple(
            Segment(_pct(u.start, duration), max(_pct(u.end, duration) - _pct(u.start, duration),
                                                 0.15), u.start, i)
            for i, u in enumerate(c.utterances) if u.speaker == s.label)
        marks = []
        for e in result.events:
            spec = _MARKS.get(_mark_key(e))
            if spec is None or (e.speaker or "") != s.label:
                continue
            css, name, row = spec
            if e.type == "psychosocial" and e.label:
                name = f"Psychosocial ({e.label.replace('_', ' ')})"
            if e.type == "interruption" and e.label:
                name = f"Interruption ({e.label})"
            left = _pct(e.start_s, duration)
            text = " ".join(filter(None, (quote(e.text), unsure_note(e))))
            marks.append(Mark(css, name, row, left, e.start_s, e.utterance,
                              f"{name}, {clock(e.start_s)}, {s.label} ({s.role}): {text}",
                              text, left > 60))
        band = None
        if (op.found and op.start_s is not None and op.end_s is not None
                and str(s.role) == str(Role.PATIENT) and op.first_utterance is not None
                and c.utterances[op.first_utterance].speaker == s.label):
            left = _pct(op.start_s, duration)
            band = (left, max(_pct(op.end_s, duration) - left, 0.3))
        lanes.append(Lane(s.label, str(s.role), segments, tuple(marks), band))
    return lanes


def _ticks(duration: float) -> list[tuple[float, str]]:
    if duration <= 0:
        return [(0.0, clock(0))]
    step = next((s for s in TICK_STEPS if duration / s <= MAX_TICKS), TICK_STEPS[-1])
    n = int(duration // step)
    return [(_pct(k * step, duration), clock(k * step)) for k in range(n + 1)]


def _highlight(text: str, events: Sequence[Event]) -> tuple[Piece, ...]:
    """``text`` split so that the words each event matched (``evidence["matched"]``, found
    case-insensitively) are their own highlighted pieces; overlapping matches keep the first."""
    spans: list[tuple[int, int, str, str]] = []
    lowered = text.lower()
    for e in events:
        matched = str(e.evidence.get("matched", "")).strip().lower()
        if not matched:
            continue
        at = lowered.find(matched)
        if at < 0:
            continue
        end = at + len(matched)
        while end < len(text) and text[end].isalnum():  # to the end of a word ("want|ed")
            end += 1
        if any(at < b and a < end for a, b, _, _ in spans):
            continue
        key = _event_key(e)
        title = " ".join(filter(None, (_TAG_NAMES.get(key, e.type), unsure_note(e))))
        spans.append((at, end, "hl-" + key.replace("/", "-").replace("_", "-"), title))
    pieces, pos = [], 0
    for a, b, css, title in sorted(spans):
        if a > pos:
            pieces.append(Piece(text[pos:a]))
        pieces.append(Piece(text[a:b], css, title))
        pos = b
    if pos < len(text):
        pieces.append(Piece(text[pos:]))
    return tuple(pieces)


def _lines(result: AnalysisResult) -> list[Line]:
    c = result.consultation
    by_utterance: dict[int, list[Event]] = {}
    for e in result.events:
        if e.utterance is not None:
            by_utterance.setdefault(e.utterance, []).append(e)
    op = result.metrics.opening_statement
    first, last = op.first_utterance, op.last_utterance
    lines = []
    for i, u in enumerate(c.utterances):
        events = by_utterance.get(i, [])
        tags = tuple(dict.fromkeys(
            ("tag-" + _event_key(e).replace("/", "-").replace("_", "-"),
             _TAG_NAMES.get(_event_key(e), e.type)) for e in events))
        opening = (op.found and first is not None and last is not None and first <= i <= last
                   and str(c.role_of(u.speaker)) == str(Role.PATIENT))
        lines.append(Line(i, u.start, u.end, u.speaker, str(c.role_of(u.speaker)),
                          _highlight(u.text, events), tags, opening))
    return lines


def _reference_numbers(cards: Iterable[Card], result: AnalysisResult) -> dict[str, int]:
    numbers: dict[str, int] = {}
    for refs in [c.references for c in cards] + [f.references for f in result.feedback]:
        for ref in refs:
            numbers.setdefault(ref.key, len(numbers) + 1)
    return numbers


def _all_references(cards: Iterable[Card], result: AnalysisResult) -> dict[str, Reference]:
    refs: dict[str, Reference] = {}
    for group in [c.references for c in cards] + [f.references for f in result.feedback]:
        for ref in group:
            refs.setdefault(ref.key, ref)
    return refs


def _methods(result: AnalysisResult) -> dict[str, Any]:
    prov = result.provenance
    rules = prov.get("rules") if isinstance(prov.get("rules"), Mapping) else {}
    models = [m for m in prov.get("models", []) or [] if isinstance(m, Mapping)]
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
        "models": [{k: describe(v) for k, v in m.items()} for m in models],
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
    numbers = _reference_numbers(cards, result)
    references = _all_references(cards, result)
    habits = [(key, title, [f for f in result.feedback if f.habit == key])
              for key, title in HABITS.items()]
    others = [f for f in result.feedback if f.habit not in HABITS]
    if others:
        habits.append(("other", "Other", others))
    duration = max(c.duration, max((u.end for u in c.utterances), default=0.0))
    present = {_mark_key(e) for e in result.events}
    legend = [(css, name, key in present) for key, (css, name, _) in _MARKS.items()]
    q = result.metrics.questions
    notes = []
    missing = one_role_missing(result)
    if missing:
        notes.append("Only one side of the conversation was found: "
                     + ("there is no speech from the " + missing if missing != "both"
                        else "there is no clinician or patient speech")
                     + ". Measures that compare the two are not shown.")
    if not q.total:
        notes.append("No clinician questions were found, so no questions are marked.")
    if result.metrics.psychosocial.first_s is None:
        notes.append("No psychosocial content was found, so none is marked.")
    return {
        "id": c.id,
        "duration": clock(duration),
        "duration_s": duration,
        "language": c.language or "",
        "metadata": metadata_of(result),
        "cards": cards,
        "numbers": numbers,
        "references": sorted(((numbers[k], ref) for k, ref in references.items()),
                             key=lambda pair: pair[0]),
        "lanes": _lanes(result),
        "ticks": _ticks(duration),
        "legend": legend,
        "timeline_notes": notes,
        "lines": _lines(result),
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


# --- rendering -----------------------------------------------------------------------------------


@cache
def _environment() -> Any:
    # Imported here so that the Markdown and CSV renderers do not pay for Jinja2.
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("consult_audio.render", "templates"),
        autoescape=True,  # every {{ value }} is HTML-escaped; assets go in as Markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["clock"] = clock
    env.filters["cite"] = short_citation
    env.filters["refvalue"] = reference_value
    env.filters["sha"] = lambda s: str(s)[:12]
    return env


def asset(name: str) -> str:
    """A CSS or JavaScript file of the templates folder, as text."""
    return resources.files("consult_audio.render").joinpath("templates", name).read_text(
        encoding="utf-8")


def csp(script: str, *, media: str = "'none'") -> str:
    """A Content-Security-Policy that loads nothing from anywhere: only the page's own inline
    script (pinned by its SHA-256), inline styles, ``data:`` images and the given media source."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    scripts = f"'sha256-{digest}'" if script else "'none'"
    return (f"default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; "
            f"img-src data:; media-src {media}; base-uri 'none'; form-action 'none'")


def render_template(name: str, context: Mapping[str, Any], *, css: Sequence[str],
                    script: str = "", media: str = "'none'") -> str:
    """Render ``templates/<name>`` with the CSS files and script inlined under a strict CSP."""
    from markupsafe import Markup

    env = _environment()
    style = "\n".join(asset(c) for c in css)
    return str(env.get_template(name).render(
        **context, css=Markup(style), script=Markup(script),
        csp=Markup(csp(script, media=media))))  # built here, no outside text


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
