"""The HTML report's timeline and transcript as plain values for its template: one lane per
speaker with the coded events marked (:func:`lanes`, :func:`ticks`, :func:`legend`), and the
transcript's lines with the words each event rests on highlighted (:func:`lines`). Positions are
in % of the consultation; strings are not yet escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from consult_audio.feedback import clock, quote, unsure_note
from consult_audio.model import AnalysisResult, Event, Role

__all__ = ["Lane", "Line", "Mark", "Piece", "SpeechBar", "duration_of", "lanes", "legend", "lines",
           "ticks"]

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
class SpeechBar:
    """One utterance drawn on a speaker's lane (a layout box, not a transcript segment)."""

    left: float  # % of the consultation
    width: float  # %
    start_s: float
    utterance: int


@dataclass(frozen=True, slots=True)
class Lane:
    speaker: str
    role: str
    segments: tuple[SpeechBar, ...]
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


def duration_of(result: AnalysisResult) -> float:
    """The length the timeline spans (s): the recording, or the last utterance if it ends later."""
    c = result.consultation
    return max(c.duration, max((u.end for u in c.utterances), default=0.0))


def legend(result: AnalysisResult) -> list[tuple[str, str, bool]]:
    """(css class, name, whether the consultation has one) of every kind of mark."""
    present = {_mark_key(e) for e in result.events}
    return [(css, name, key in present) for key, (css, name, _) in _MARKS.items()]


def lanes(result: AnalysisResult) -> list[Lane]:
    c = result.consultation
    duration = duration_of(result)
    speakers = sorted(c.speakers, key=lambda s: (ROLE_ORDER.get(str(s.role), 3), s.label))
    op = result.metrics.opening_statement
    out = []
    for s in speakers:
        segments = tuple(
            SpeechBar(_pct(u.start, duration), max(_pct(u.end, duration) - _pct(u.start, duration),
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
        out.append(Lane(s.label, str(s.role), segments, tuple(marks), band))
    return out


def ticks(duration: float) -> list[tuple[float, str]]:
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


def lines(result: AnalysisResult) -> list[Line]:
    c = result.consultation
    by_utterance: dict[int, list[Event]] = {}
    for e in result.events:
        if e.utterance is not None:
            by_utterance.setdefault(e.utterance, []).append(e)
    op = result.metrics.opening_statement
    first, last = op.first_utterance, op.last_utterance
    out = []
    for i, u in enumerate(c.utterances):
        events = by_utterance.get(i, [])
        tags = tuple(dict.fromkeys(
            ("tag-" + _event_key(e).replace("/", "-").replace("_", "-"),
             _TAG_NAMES.get(_event_key(e), e.type)) for e in events))
        opening = (op.found and first is not None and last is not None and first <= i <= last
                   and str(c.role_of(u.speaker)) == str(Role.PATIENT))
        out.append(Line(i, u.start, u.end, u.speaker, str(c.role_of(u.speaker)),
                        _highlight(u.text, events), tags, opening))
    return out
