"""Is a cue negated? NegEx scope (Chapman et al. 2001) over negspacy's maintained English
clinical termset.

The trigger phrases (preceding and following negations, pseudo-negations that only look like
one, and terminations that end a negation's scope) come from ``negspacy.termsets`` (the
``en_clinical`` set), a pure-Python list that imports no spaCy; only the scope rule is here,
applied to the package's own word tokens so that coding a transcript loads no language model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

PRECEDING_WINDOW = 10  # words: a preceding trigger negates a cue up to this many words after it
FOLLOWING_WINDOW = 3  # words: a following trigger negates a cue this many words before it

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Where a negation's scope ends: a sentence end or a comma (speech runs on), or a new clause
# with its own subject ("I'm not sleeping and I'm worried").
_CLAUSE_END = re.compile(r"[.?!;,]|\b(?:and|so|because|cause|as|then)(?= (?:i|i'm|i've|he|he's|"
                         r"she|she's|it|it's|we|we're|they|they're|you|you're)\b)")


@dataclass(frozen=True, slots=True)
class Termset:
    """NegEx trigger phrases, each a tuple of lower-case words."""

    preceding: frozenset[tuple[str, ...]]
    following: frozenset[tuple[str, ...]]
    pseudo: frozenset[tuple[str, ...]]
    termination: frozenset[tuple[str, ...]]

    @property
    def longest(self) -> int:
        return max(len(p) for s in (self.preceding, self.following, self.pseudo,
                                    self.termination) for p in s)


@cache
def termset() -> Termset:
    """negspacy's ``en_clinical`` termset, as word tuples."""
    from negspacy.termsets import termset as negspacy_termset

    # negspacy is typed (py.typed) but leaves these two untyped
    patterns: dict[str, list[str]] = negspacy_termset(  # type: ignore[no-untyped-call]
        "en_clinical").get_patterns()

    def words(key: str) -> frozenset[tuple[str, ...]]:
        return frozenset(tuple(_WORD.findall(p.lower())) for p in patterns[key]
                         if _WORD.findall(p.lower()))

    return Termset(words("preceding_negations"), words("following_negations"),
                   words("pseudo_negations"), words("termination"))


def _words(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]


def _triggers(words: list[str], ts: Termset) -> list[tuple[int, int, str]]:
    """(first word, end word, kind) of each trigger, longest match first, pseudo-negations
    taking their words out of play."""
    out = []
    i = 0
    while i < len(words):
        for n in range(min(ts.longest, len(words) - i), 0, -1):
            phrase = tuple(words[i:i + n])
            kind = ("pseudo" if phrase in ts.pseudo else "preceding" if phrase in ts.preceding
                    else "following" if phrase in ts.following
                    else "termination" if phrase in ts.termination else "")
            if kind:
                out.append((i, i + n, kind))
                i += n
                break
        else:
            i += 1
    return out


def is_negated(text: str, start: int, end: int) -> bool:
    """True when the cue at characters ``start:end`` of ``text`` (lower-case) lies in the scope
    of a negation in its clause (up to a comma, a sentence end or a new subject): "I'm not
    worried", "no concerns with that"; "stressed? I wasn't" is two clauses and stays. A
    termination ("but", "although", "apart from") ends a scope: "not the pain but I'm worried"
    stays an emotion."""
    clause_start = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    m = _CLAUSE_END.search(text, end)
    clause = text[clause_start:m.start() if m else len(text)]
    spans = _words(clause)
    cue_first = next((k for k, (s, e, _) in enumerate(spans) if e > start - clause_start), None)
    if cue_first is None:
        return False
    cue_last = max(k for k, (s, _, _) in enumerate(spans) if s < end - clause_start)
    ts = termset()
    triggers = _triggers([w for _, _, w in spans], ts)
    terminations = [a for a, _, kind in triggers if kind == "termination"]
    for a, b, kind in triggers:
        before = kind == "preceding" and b <= cue_first and cue_first - b < PRECEDING_WINDOW
        after = kind == "following" and a > cue_last and a - cue_last <= FOLLOWING_WINDOW
        between = range(b, cue_first) if before else range(cue_last + 1, a)
        if (before or after) and not any(t in between for t in terminations):
            return True
    return False
