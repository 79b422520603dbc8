"""Agreement statistics shared by the package and the evaluation scripts: Cohen's kappa and
precision, recall and F1 from counts.

One definition each, so that a figure in a report, in ``consult-audio agreement`` and in
``docs/validation.md`` means the same thing.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

__all__ = ["cohen_kappa", "prf"]


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Cohen's kappa of two equally long label sequences (``a[i]`` and ``b[i]`` label item
    ``i``).

    ``None`` where kappa is undefined: no items, or chance agreement 1 (both codings used one and
    the same label throughout, 0/0). Raises :class:`ValueError` when the lengths differ.
    """
    if len(a) != len(b):
        raise ValueError(f"label sequences differ in length ({len(a)} and {len(b)})")
    n = len(a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    first, second = Counter(a), Counter(b)
    expected = sum(first[k] * second.get(k, 0) for k in first) / (n * n)
    if math.isclose(expected, 1.0):
        return None
    return (observed - expected) / (1.0 - expected)


def prf(tp: int, fp: int, fn: int) -> tuple[float | None, float | None, float | None]:
    """Precision, recall and F1 from true positives, false positives and false negatives;
    each ``None`` where its denominator is 0."""
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
    return precision, recall, f1
