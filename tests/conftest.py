"""Fixtures shared by the test modules: small transcript files built from literal intervals."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pytest

Interval = tuple[float, float, str]  # start (s), end (s), text
TextGridBuilder = Callable[[Mapping[str, Sequence[Interval]], float], str]


def long_textgrid(tiers: Mapping[str, Sequence[Interval]], xmax: float) -> str:
    """A long-format Praat TextGrid, one interval tier per entry of ``tiers``; the gaps between the
    given (sorted, non-overlapping) intervals become empty intervals, as Praat writes them."""
    lines = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "xmin = 0",
             f"xmax = {xmax}", "tiers? <exists>", f"size = {len(tiers)}", "item []:"]
    for n, (name, spans) in enumerate(tiers.items(), 1):
        intervals: list[Interval] = []
        t = 0.0
        for start, end, text in spans:
            if start > t:
                intervals.append((t, start, ""))
            intervals.append((start, end, text))
            t = end
        if t < xmax:
            intervals.append((t, xmax, ""))
        lines += [f"    item [{n}]:", '        class = "IntervalTier"', f'        name = "{name}"',
                  "        xmin = 0", f"        xmax = {xmax}",
                  f"        intervals: size = {len(intervals)}"]
        for i, (start, end, text) in enumerate(intervals, 1):
            quoted = text.replace('"', '""')
            lines += [f"        intervals [{i}]:", f"            xmin = {start}",
                      f"            xmax = {end}", f'            text = "{quoted}"']
    return "\n".join(lines) + "\n"


@pytest.fixture
def textgrid_text() -> TextGridBuilder:
    """:func:`long_textgrid`: ``textgrid_text({"Speaker": [(0.0, 1.5, "Hello")]}, 20.0)``."""
    return long_textgrid
