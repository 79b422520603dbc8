#!/usr/bin/env python3
"""Evaluate overlapped-speech detection on the rendered PriMock57 consultations.

For each mono ``DATA_DIR/*.ogg`` (stereo renderings, ``*.stereo.ogg``, are skipped: their
channels give overlaps exactly) with ``<stem>.ref.json`` beside it, the reference overlaps are
the intersections of every pair of different-speaker segments of the ref.json (times of the
rendering, so they are real overlaps of the mixed audio). :class:`OverlapDetector` finds regions
in the audio; the script prints, per file and in total:

- time: precision, recall and F1 of overlapped seconds;
- events: recall (a reference overlap of at least ``--min-event`` seconds counts as found when a
  detected region intersects it),
  precision (a detected region counts as right when it intersects a reference overlap) and F1;
  recall is also split by kind: ``inside`` (one segment within the other's: a backchannel or
  aside) and ``edge`` (at a change of speaker: an interruption or early start);
- speed: seconds of audio per second of detection (x real time), model loading excluded.

Example::

    scripts/evaluate_overlap.py /work/shared/data/primock57/audio
    scripts/evaluate_overlap.py /work/shared/data/primock57/audio --step 2.5 --json out.json
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click

Span = tuple[float, float]

log = logging.getLogger("evaluate_overlap")

# Reference overlaps shorter than this are not events to find: the detector reports nothing
# under its MIN_OVERLAP_S (0.116 s), and most are segment ends touching in the rendering.
MIN_EVENT_S = 0.12  # s


@dataclass(frozen=True)
class RefOverlap:
    """A reference overlap in seconds; ``kind`` is ``inside`` or ``edge``."""

    start: float
    end: float
    kind: str


@dataclass(frozen=True)
class Score:
    """Overlap detection scores of one file or of all files pooled (times in seconds)."""

    duration: float
    seconds: float  # s spent detecting
    ref_time: float
    detected_time: float
    hit_time: float
    ref_events: int
    found_events: int
    detected_regions: int
    right_regions: int
    inside_events: int
    inside_found: int

    @property
    def time_precision(self) -> float:
        return _ratio(self.hit_time, self.detected_time)

    @property
    def time_recall(self) -> float:
        return _ratio(self.hit_time, self.ref_time)

    @property
    def event_precision(self) -> float:
        return _ratio(self.right_regions, self.detected_regions)

    @property
    def event_recall(self) -> float:
        return _ratio(self.found_events, self.ref_events)

    @property
    def inside_recall(self) -> float:
        return _ratio(self.inside_found, self.inside_events)

    @property
    def edge_recall(self) -> float:
        return _ratio(self.found_events - self.inside_found, self.ref_events - self.inside_events)

    @property
    def x_real_time(self) -> float:
        return _ratio(self.duration, self.seconds)

    def summary(self) -> dict[str, float]:
        return {"time_precision": self.time_precision, "time_recall": self.time_recall,
                "time_f1": f1(self.time_precision, self.time_recall),
                "event_precision": self.event_precision, "event_recall": self.event_recall,
                "event_f1": f1(self.event_precision, self.event_recall),
                "inside_recall": self.inside_recall, "edge_recall": self.edge_recall,
                "x_real_time": self.x_real_time}


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


def f1(precision: float, recall: float) -> float:
    """Harmonic mean; nan when either is nan, 0 when both are 0."""
    if precision != precision or recall != recall:
        return float("nan")
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def reference_overlaps(segments: Sequence[dict[str, Any]]) -> list[RefOverlap]:
    """Intersections of different-speaker segments (``start``, ``end``, ``speaker``), sorted.

    ``inside`` when one segment lies within the other, else ``edge``. Zero-length contacts are
    not overlaps.
    """
    found = []
    for i, a in enumerate(segments):
        for b in segments[i + 1:]:
            if a["speaker"] == b["speaker"]:
                continue
            start, end = max(a["start"], b["start"]), min(a["end"], b["end"])
            if end > start:
                inside = ((a["start"] <= b["start"] and b["end"] <= a["end"])
                          or (b["start"] <= a["start"] and a["end"] <= b["end"]))
                found.append(RefOverlap(float(start), float(end), "inside" if inside else "edge"))
    return sorted(found, key=lambda o: (o.start, o.end))


def union(spans: Iterable[Span]) -> list[Span]:
    """Sorted, merged spans."""
    from consult_audio.audio.align import merge_spans

    return merge_spans(spans)


def intersection_time(a: Iterable[Span], b: Iterable[Span]) -> float:
    """Seconds covered by both span sets (each merged first)."""
    left, right = union(a), union(b)
    total, j = 0.0, 0
    for start, end in left:
        while j < len(right) and right[j][1] <= start:
            j += 1
        k = j
        while k < len(right) and right[k][0] < end:
            total += max(0.0, min(end, right[k][1]) - max(start, right[k][0]))
            k += 1
    return total


def _meets(span: Span, others: Iterable[Span]) -> bool:
    return any(s < span[1] and e > span[0] for s, e in others)


def score(reference: Sequence[RefOverlap], detected: Sequence[Span], *, duration: float,
          seconds: float, min_event: float = 0.0) -> Score:
    """Scores of ``detected`` regions against ``reference`` overlaps of one recording.

    Reference overlaps shorter than ``min_event`` seconds count for time, and a detected region
    meeting one is right, but they are not events to find (segment ends that touch for a few
    milliseconds in the rendering).
    """
    ref_spans = [(o.start, o.end) for o in reference]
    reference = [o for o in reference if o.end - o.start >= min_event]
    found = [_meets((o.start, o.end), detected) for o in reference]
    return Score(
        duration=duration, seconds=seconds,
        ref_time=sum(e - s for s, e in union(ref_spans)),
        detected_time=sum(e - s for s, e in union(detected)),
        hit_time=intersection_time(ref_spans, detected),
        ref_events=len(reference), found_events=sum(found),
        detected_regions=len(detected),
        right_regions=sum(_meets(d, ref_spans) for d in detected),
        inside_events=sum(o.kind == "inside" for o in reference),
        inside_found=sum(f for f, o in zip(found, reference, strict=True) if o.kind == "inside"))


def pooled(scores: Sequence[Score]) -> Score:
    """All files as one (sums of times and counts)."""
    return Score(**{k: sum(getattr(s, k) for s in scores) for k in Score.__dataclass_fields__})


def _table(rows: Sequence[tuple[str, Score]]) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.SIMPLE, title="Overlapped-speech detection (PriMock57, mono)")
    for column in ("file", "ref ev", "det", "time P", "time R", "time F1", "ev P", "ev R",
                   "ev F1", "inside R", "edge R", "x RT"):
        table.add_column(column, justify="left" if column == "file" else "right")
    for name, s in rows:
        m = s.summary()
        table.add_row(name, str(s.ref_events), str(s.detected_regions),
                      *(f"{m[k]:.2f}" for k in ("time_precision", "time_recall", "time_f1",
                                                "event_precision", "event_recall", "event_f1",
                                                "inside_recall", "edge_recall")),
                      f"{m['x_real_time']:.0f}")
    Console(width=140).print(table)


@click.command(epilog="Example: scripts/evaluate_overlap.py /work/shared/data/primock57/audio "
                      "--step 2.5")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--step", type=float, default=None, help="Window step in seconds (default: the "
              "detector's STEP_S).")
@click.option("--onset", type=float, default=None, help="Overlap onset threshold (0-1).")
@click.option("--offset", type=float, default=None, help="Overlap offset threshold (0-1).")
@click.option("--min-event", type=float, default=MIN_EVENT_S, show_default=True,
              help="Shortest reference overlap (s) counted as an event to find.")
@click.option("--device", default="cpu", show_default=True)
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write per-file and pooled scores and the detected regions here.")
def main(data_dir: Path, step: float | None, onset: float | None, offset: float | None,
         min_event: float, device: str, json_out: Path | None) -> None:
    """Score overlap detection on every mono DATA_DIR/*.ogg with a <stem>.ref.json beside it."""
    from consult_audio.audio.decode import load_audio
    from consult_audio.audio.overlap import OverlapDetector, OverlapOptions
    from consult_audio.errors import ConsultAudioError

    files = sorted(p for p in data_dir.glob("*.ogg") if not p.name.endswith(".stereo.ogg"))
    files = [p for p in files if p.with_suffix(".ref.json").is_file()]
    if not files:
        raise click.UsageError(f"no mono *.ogg with a .ref.json beside it in {data_dir}")
    defaults = OverlapOptions()
    options = OverlapOptions(
        onset=defaults.onset if onset is None else onset,
        offset=defaults.offset if offset is None else offset,
        step=defaults.step if step is None else step,
        min_duration=defaults.min_duration, min_gap=defaults.min_gap)
    detector = OverlapDetector(device=device, options=options)
    rows: list[tuple[str, Score]] = []
    out: dict[str, Any] = {"settings": {**asdict(options), "min_event_s": min_event},
                           "files": {}}
    failed = 0
    try:
        detector.load()  # outside the timings
    except ConsultAudioError as err:
        raise click.ClickException(str(err)) from err
    for path in files:
        try:
            reference = reference_overlaps(
                json.loads(path.with_suffix(".ref.json").read_text(encoding="utf-8"))["segments"])
            audio = load_audio(path)
            began = time.perf_counter()
            regions = detector.regions(audio)
            took = time.perf_counter() - began
        except (ConsultAudioError, OSError, ValueError, KeyError) as err:
            click.echo(f"{path.name}: {err}", err=True)
            failed += 1
            continue
        result = score(reference, regions, duration=audio.duration, seconds=took,
                       min_event=min_event)
        rows.append((path.stem, result))
        out["files"][path.stem] = {**result.summary(), "ref_events": result.ref_events,
                                   "detected": [list(r) for r in regions]}
        click.echo(f"  {path.stem}: {len(regions)} regions, {took:.1f} s", err=True)
    if rows:
        total = pooled([s for _, s in rows])
        _table([*rows, ("all (pooled)", total)])
        out["pooled"] = total.summary()
        out["provenance"] = detector.provenance()
    if json_out is not None:
        json_out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
