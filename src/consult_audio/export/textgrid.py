"""Praat TextGrid (long text format): one interval tier per speaker with the utterances, then one
point tier per event type (``question``, ``interruption``...), a point at the start of each event
labelled with its label and role. consult-audio's reader reads the speaker tiers back and skips
the point tiers."""

from __future__ import annotations

from collections.abc import Sequence

from consult_audio.export.common import (
    Labelled,
    event_value,
    events_by_type,
    merge_overlapping,
    speaker_spans,
)
from consult_audio.model import AnalysisResult

SUFFIX = ".TextGrid"


def _quote(text: str) -> str:
    return '"' + " ".join(text.split()).replace('"', '""') + '"'


def _interval_tier(name: str, spans: Sequence[Labelled], xmax: float) -> list[str]:
    intervals: list[Labelled] = []
    t = 0.0
    for span in merge_overlapping(spans):
        if span.start > t:
            intervals.append(Labelled(t, span.start, ""))
        intervals.append(span)
        t = span.end
    if t < xmax:
        intervals.append(Labelled(t, xmax, ""))
    lines = ['        class = "IntervalTier"', f"        name = {_quote(name)}",
             "        xmin = 0", f"        xmax = {xmax}",
             f"        intervals: size = {len(intervals)}"]
    for i, span in enumerate(intervals, 1):
        lines += [f"        intervals [{i}]:", f"            xmin = {span.start}",
                  f"            xmax = {span.end}", f"            text = {_quote(span.text)}"]
    return lines


def _point_tier(name: str, points: Sequence[Labelled], xmax: float) -> list[str]:
    merged: dict[float, list[str]] = {}
    for point in sorted(points, key=lambda p: p.start):
        merged.setdefault(point.start, []).append(point.text)  # one mark per time in a tier
    lines = ['        class = "TextTier"', f"        name = {_quote(name)}", "        xmin = 0",
             f"        xmax = {xmax}", f"        points: size = {len(merged)}"]
    for i, (time, marks) in enumerate(merged.items(), 1):
        lines += [f"        points [{i}]:", f"            number = {time}",
                  f"            mark = {_quote(' | '.join(marks))}"]
    return lines


def render(result: AnalysisResult) -> str:
    c = result.consultation
    speakers = speaker_spans(result)
    events = events_by_type(result.events)
    ends = [c.duration, *(s.end for spans in speakers.values() for s in spans),
            *(e.end_s for e in result.events)]
    xmax = max(ends) + 0.001  # the last interval must end inside the grid
    tiers = [_interval_tier(name, spans, xmax) for name, spans in speakers.items()]
    tiers += [_point_tier(kind, [Labelled(e.start_s, e.end_s, event_value(e)) for e in found],
                          xmax) for kind, found in events.items()]
    lines = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "xmin = 0",
             f"xmax = {xmax}", "tiers? <exists>", f"size = {len(tiers)}", "item []:"]
    for n, tier in enumerate(tiers, 1):
        lines += [f"    item [{n}]:", *tier]
    return "\n".join(lines) + "\n"
