"""Plain-text pieces that the Markdown, HTML and cohort renderers share: the names of the kinds
of feedback, the consultation's metadata, a provenance value in one line, and how a research
reference is cited ("Beckman & Frankel 1984") and quoted ("18 s"). Nothing here renders markup:
the renderers escape every string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from consult_audio.model import AnalysisResult, Reference

__all__ = ["KIND_LABELS", "describe", "metadata_of", "reference_value", "short_citation"]

# FeedbackItem.kind -> how a report names it.
KIND_LABELS: Mapping[str, str] = {"strength": "Strength", "suggestion": "Suggestion",
                                  "info": "For information"}

_YEAR = re.compile(r"\b((?:19|20)\d\d)\s*;")
_ANY_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")


def metadata_of(result: AnalysisResult) -> dict[str, str]:
    """``provenance["metadata"]`` as strings (clinician_id, date...), empty when absent."""
    meta = result.provenance.get("metadata")
    if not isinstance(meta, Mapping):
        return {}
    return {str(k): str(v) for k, v in meta.items() if v is not None and str(v) != ""}


def describe(value: Any) -> str:
    """A provenance value as one short line of text."""
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {describe(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(describe(v) for v in value)
    if value is None:
        return "none"
    return str(value)


def short_citation(ref: Reference) -> str:
    """"Beckman & Frankel 1984", "Marvel et al. 1999" from a Vancouver-style citation
    ("Beckman HB, Frankel RM. Title. Journal 1984;101:692-6.")."""
    authors_part = ref.citation.split(". ", 1)[0]
    names = []
    for author in authors_part.split(","):
        words = author.split()
        # Drop the initials ("HB"); keep multi-word surnames ("Singh Ospina").
        if len(words) > 1 and words[-1].isupper():
            words = words[:-1]
        if words:
            names.append(" ".join(words))
    if not names:
        return ref.citation
    who = (names[0] if len(names) == 1 else f"{names[0]} & {names[1]}" if len(names) == 2
           else f"{names[0]} et al.")
    year = _YEAR.search(ref.citation) or _ANY_YEAR.search(ref.citation)
    return f"{who} {year.group(1)}" if year else who


def reference_value(ref: Reference) -> str:
    """"18 s", "36%", or "" for a reference stated in words only."""
    if ref.value is None:
        return ""
    unit = ref.unit if ref.unit in ("%", "") else f" {ref.unit}"
    return f"{ref.value:g}{unit}"
