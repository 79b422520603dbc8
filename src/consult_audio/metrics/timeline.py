"""Interval arithmetic on (start, end) pairs in seconds."""

from __future__ import annotations

from collections.abc import Iterable


def union(spans: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Merge overlapping or touching intervals; result sorted and disjoint."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def total(spans: Iterable[tuple[float, float]]) -> float:
    """Seconds covered by the union of ``spans``."""
    return sum(end - start for start, end in union(spans))


Spans = list[tuple[float, float]]


def intersect(a: Spans, b: Spans) -> Spans:
    """Intersection of two disjoint sorted interval lists (as :func:`union` returns)."""
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if end > start:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out
