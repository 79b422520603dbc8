"""A finding (a span of text that holds an identifier, and its kind), the placeholders, and how
findings that overlap are merged so that each identifier keeps its own placeholder
(:func:`merge`); with the everyday words that are never a name on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from consult_audio.privacy.patterns import (
    FILL_RE,
    FLAGS,
    MONTH_ABBR,
    MONTHS,
    ORD,
    VALUES,
    any_of,
    number_value,
    word_set,
)

__all__ = ["AGE_LIMIT", "COMMON_STARTS", "NOT_NAMES", "PLACEHOLDERS", "WORD_RE", "Finding",
           "age_kind", "has_substance", "is_common_word", "merge", "source_rank", "strip_span"]

PLACEHOLDERS = {
    "name": "[NAME]",
    "date": "[DATE]",
    "phone": "[PHONE]",
    "email": "[EMAIL]",
    "address": "[ADDRESS]",
    "id": "[ID]",
    "age": "[AGE]",
    "age_over_89": "[AGE>89]",
}
# Where two findings of one rank (see :func:`source_rank`) overlap, the kind listed first wins.
_PRIORITY = ("email", "id", "phone", "date", "address", "age_over_89", "age", "name")

AGE_LIMIT = 89  # ages above this are identifiers under HIPAA Safe Harbor: [AGE>89]


@dataclass(frozen=True, slots=True)
class Finding:
    """Characters ``[start, end)`` of a text hold an identifier of ``kind``; ``source`` names the
    recogniser (for debugging and the evaluation, never written to outputs)."""

    start: int
    end: int
    kind: str
    source: str = ""


# Capitalised words that follow "I'm" or "it's" without being names.
NOT_NAMES = word_set("""
ok okay fine good great well sorry not so just still very really quite a an the fairly pretty yeah
yes no here there back home afraid alright all right sure glad happy sick ill unwell worried fed
english british scottish welsh irish doctor dr nurse mister mr mrs ms miss professor sir madam
monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays thursdays
fridays saturdays sundays weekend weekends christmas easter god gp nhs grade year class school
""") | frozenset(MONTHS) - {"april", "may", "june", "august"}
# Words that start answers with a capital without being names.
COMMON_STARTS = word_set("""
yes yeah yep sure uh um uhh umm ok okay that that's it it's is my and so well hello hi hey sorry
right of course absolutely no nope not can could do does did have has had is are was were will
would shall should what when where why how who which the this these those there here it i me we
our you your he she they them his her but or oh ohh thanks thank please just also then now
because if as at in on for to with from by about like maybe actually basically really a an
""")


def age_kind(phrase: str) -> str:
    """``age_over_89`` when a number of ``phrase`` ("seven, ninety one") is over
    :data:`AGE_LIMIT`, else ``age``."""
    values = [number_value(part) for part in re.split(r"\s*,\s*", phrase)]
    return "age_over_89" if any(v is not None and v > AGE_LIMIT for v in values) else "age"


def source_rank(source: str) -> int:
    """How far a recogniser is trusted where findings of different kinds overlap: 3 the words
    themselves (``spoken-*``), 2 the conversation (``reply-*``, an age or date said again), 1
    Presidio's models (``presidio-*``), 0 a capital letter where a name is often said
    (``guess-*``); a string found elsewhere in the consultation (``term:<source>``) keeps the
    rank of the recogniser that found it."""
    source = source.removeprefix("term:")
    if source.startswith("spoken-"):
        return 3
    if source.startswith("reply-") or source.endswith("-echo"):
        return 2
    return 1 if source.startswith("presidio-") else 0


WORD_RE = re.compile(r"[\w'-]+")
_NUMBER_OR_MONTH_RE = re.compile(rf"\d|\b(?:{any_of([*VALUES, *MONTHS, *MONTH_ABBR])}|"
                                 rf"{ORD}|hundred|thousand)\b", FLAGS)


def is_common_word(word: str) -> bool:
    """``word`` is said by everyone, capitalised or not ("It's", "The", "Sorry", "Monday")."""
    low = word.lower()
    return low in COMMON_STARTS or low in NOT_NAMES or bool(FILL_RE.fullmatch(low))


def has_substance(kind: str, piece: str) -> bool:
    """What is left of a finding after a finding of another kind took part of it can still be an
    identifier of its kind: a number in a date or age, a word not said by everyone in a name."""
    if kind in ("date", "age", "age_over_89", "phone", "id"):
        return bool(_NUMBER_OR_MONTH_RE.search(piece))
    words = [w.lower() for w in WORD_RE.findall(piece)]
    return any(w not in COMMON_STARTS and w not in NOT_NAMES and not FILL_RE.fullmatch(w)
               for w in words)


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` without the spaces and punctuation at its ends."""
    piece = text[start:end]
    return start + len(piece) - len(piece.lstrip(" ,.;:!?")), start + len(piece.rstrip(" ,.;:!?"))


def merge(findings: Iterable[Finding], text: str, *, join_spaced: bool = True) -> list[Finding]:
    """Findings in ``text`` made non-overlapping, each identifier under its own placeholder.

    The most trusted finding (:func:`source_rank`, then :data:`_PRIORITY`) keeps all its
    characters; one of another kind keeps those left, where they still hold an identifier of its
    kind ("Jessica Smith" stays a name beside a date; "years old" is no date once "nineteen" is an
    age). Findings of one kind that overlap, touch or are apart by spaces alone become one span
    ("Priya" and "Raman" one name); ``join_spaced=False``: only those that overlap or touch.
    """
    spans = [f for f in findings if f.end > f.start]
    if not spans:
        return []
    low = min(f.start for f in spans)
    owner: list[Finding | None] = [None] * (max(f.end for f in spans) - low)
    for f in sorted(spans, key=lambda f: (-source_rank(f.source), _PRIORITY.index(f.kind),
                                          f.start, f.start - f.end)):
        taken = owner[f.start - low:f.end - low]
        if all(o is None or o.kind == f.kind for o in taken):
            pieces = [(f.start, f.end)]
        else:
            pieces = [(f.start + m.start(), f.start + m.end()) for m in re.finditer(
                r"1+", "".join("1" if o is None else "0" for o in taken))]
            pieces = [strip_span(text, a, b) for a, b in pieces]
            pieces = [(a, b) for a, b in pieces if b > a and has_substance(f.kind, text[a:b])]
        for a, b in pieces:
            for i in range(a - low, b - low):
                if owner[i] is None:
                    owner[i] = f
    merged: list[Finding] = []
    for i, o in enumerate(owner):
        if o is None:
            continue
        last = merged[-1] if merged else None
        gap = text[last.end:low + i] if last is not None else "x"
        if last is not None and last.kind == o.kind and not (gap.strip() if join_spaced else gap):
            best = last if source_rank(last.source) >= source_rank(o.source) else o
            merged[-1] = Finding(last.start, low + i + 1, o.kind, best.source)
        else:
            merged.append(Finding(low + i, low + i + 1, o.kind, o.source))
    return merged
