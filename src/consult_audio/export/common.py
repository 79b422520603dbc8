"""What the per-consultation exporters share: the speakers and events of a result as
non-overlapping labelled spans, and a clock format."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from consult_audio.model import AnalysisResult, Event

MIN_SPAN_S = 0.001  # s: formats with intervals need end > start


@dataclass(frozen=True, slots=True)
class Labelled:
    """A span (s) with its text."""

    start: float
    end: float
    text: str


def merge_overlapping(spans: Iterable[Labelled], *, joiner: str = " | ") -> list[Labelled]:
    """Sorted spans where overlapping ones are merged (texts joined), each at least
    :data:`MIN_SPAN_S` long: tiers of ELAN and Praat hold one annotation at a time."""
    out: list[Labelled] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        end = max(span.end, span.start + MIN_SPAN_S)
        if out and span.start < out[-1].end:
            last = out[-1]
            out[-1] = Labelled(last.start, max(last.end, end), joiner.join(
                t for t in (last.text, span.text) if t))
        else:
            out.append(Labelled(span.start, end, span.text))
    return out


def speaker_spans(result: AnalysisResult) -> dict[str, list[Labelled]]:
    """Speaker label -> that speaker's utterances, in speaker order of the consultation."""
    c = result.consultation
    spans: dict[str, list[Labelled]] = {s.label: [] for s in c.speakers}
    for u in c.utterances:
        spans.setdefault(u.speaker, []).append(Labelled(u.start, u.end, u.text))
    return spans


def event_value(event: Event) -> str:
    """The text an annotation of ``event`` shows: its label (``open``, ``emotion``...) or its
    type, and the role of whoever said it."""
    return f"{event.label or event.type} ({event.role})" if event.role else (
        event.label or event.type)


def events_by_type(events: Sequence[Event]) -> dict[str, list[Event]]:
    """Event type -> its events, types in first-seen order."""
    out: dict[str, list[Event]] = {}
    for event in events:
        out.setdefault(event.type, []).append(event)
    return out


def clock(seconds: float, *, decimal: str = ".") -> str:
    """``HH:MM:SS.mmm`` (WebVTT; SubRip uses ``,``)."""
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{decimal}{ms:03d}"
