"""Identifiers in one text: Presidio's findings, the speech recognisers' and, given the
question before it, the conversation's (:class:`Redactor`); the clinical words that overrule a
guess (:func:`protect`); placeholders put in (:func:`apply`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from consult_audio.privacy.clinical import BLOCKS, ClinicalLexicon, clinical_lexicon
from consult_audio.privacy.dialogue import find_in_reply, is_calendar_date
from consult_audio.privacy.findings import (
    PLACEHOLDERS,
    Finding,
    has_substance,
    is_common_word,
    merge,
    strip_span,
)
from consult_audio.privacy.network import block_network
from consult_audio.privacy.presidio import (
    PRESIDIO_KINDS,
    SCORE_THRESHOLD,
    URL_RE,
    load_analyzer,
)
from consult_audio.privacy.speech import spoken_findings

__all__ = ["Redactor", "apply", "name_tokens", "protect", "redact_text"]

# Sources whose findings a clinical word overrules: models and propagation guess, and so do "I'm
# X" and the capitalised words of an answer; the spoken patterns and answers to a question do not.
_GUESSES = ("presidio-", "term:", "guess-", "spoken-name-guess", "spoken-place", "reply-name")
_NAME_TOKEN_RE = re.compile(r"[A-Z][a-z]+(?:['-][A-Za-z]+)*")
# Capitalised words that may be caught in a name span but are never worth redacting everywhere.
_NOT_NAME_TOKENS = frozenset(re.findall(r"\S+", (
    "Doctor Dr Mr Mrs Ms Miss Mister Nurse Professor Sir Madam The And Hello Hi Yes Yeah OK Okay "
    "Um Uh Mm So Well Right Sorry Thank Thanks Good Great Fine")))


@dataclass
class Redactor:
    """Finds identifiers in text. ``use_presidio=False``: the speech recognisers alone."""

    use_presidio: bool = True
    score_threshold: float = SCORE_THRESHOLD
    lexicon: ClinicalLexicon | None = None  # None: the packaged one (clinical_lexicon())
    _cache: dict[str, list[Finding]] = field(default_factory=dict, repr=False)

    def protect(self, text: str, findings: Iterable[Finding]) -> list[Finding]:
        """``findings`` less the clinical words a guess took (see :data:`_GUESSES`)."""
        return protect(text, findings, self.lexicon or clinical_lexicon())

    def analyze(self, text: str) -> list[tuple[str, int, int]]:
        """Presidio's entities in ``text`` as ``(entity type, start, end)``, above the score
        threshold (tests replace this method with a stand-in for the model)."""
        analyzer = load_analyzer()
        with block_network(offline_env=False):
            results = analyzer.analyze(text=text, language="en",
                                       score_threshold=self.score_threshold)
        return [(r.entity_type, r.start, r.end) for r in results]

    def presidio(self, text: str) -> list[Finding]:
        """Presidio's findings in ``text``, mapped to placeholder kinds."""
        if not self.use_presidio or not text.strip():
            return []
        if text not in self._cache:
            found = []
            for entity, start, end in self.analyze(text):
                kind = PRESIDIO_KINDS.get(entity)
                span = text[start:end]
                if kind is None or (kind == "date" and not is_calendar_date(span)):
                    continue  # "three days ago", "in October", "since Christmas": history
                if entity == "URL" and (".." in span or not URL_RE.search(span)):
                    continue
                if kind == "name" and not name_tokens(span):
                    continue  # "Mm", "Hello": spaCy's guesses without a capitalised name
                found.append(Finding(start, end, kind, f"presidio-{entity}"))
            self._cache[text] = found
        return list(self._cache[text])

    def find(self, text: str, *, asked: Iterable[str] = (), full: bool = True) -> list[Finding]:
        """Every identifier in ``text``; ``asked``: what the question before it asked for;
        ``full=False``: the speech recognisers alone, without Presidio."""
        found = [*(self.presidio(text) if full else []), *spoken_findings(text),
                 *(find_in_reply(text, asked) if asked else [])]
        return merge(self.protect(text, found), text)


def apply(text: str, findings: Sequence[Finding]) -> str:
    """``text`` with each finding (merged, non-overlapping) replaced by its placeholder."""
    out = []
    at = 0
    for f in merge(findings, text):
        out.append(text[at:f.start])
        out.append(PLACEHOLDERS[f.kind])
        at = f.end
    out.append(text[at:])
    return "".join(out)


def redact_text(text: str, *, redactor: Redactor | None = None) -> str:
    """``text`` with its identifiers replaced by placeholders (no conversation context)."""
    redactor = redactor or Redactor()
    return apply(text, redactor.find(text))


def name_tokens(span: str) -> list[str]:
    return [t for t in _NAME_TOKEN_RE.findall(span)
            if t not in _NOT_NAME_TOKENS and not is_common_word(t)]


_WORD_RE = re.compile(r"[A-Za-z][\w'\u2019-]*")


def protect(text: str, findings: Iterable[Finding], lexicon: ClinicalLexicon) -> list[Finding]:
    """``findings`` in ``text`` less the clinical words that a guess (:data:`_GUESSES`) took:
    medicines (also misspelt, and a capitalised word joined to one: "Flanel Bactroban"),
    devices, conditions, symptoms, anatomy and care words; fillers and family words from names
    and addresses; countries and states from addresses. What is left of a finding stays when it
    still holds an identifier ("Hello Mary" -> "Mary")."""
    found = list(findings)
    guesses = [f for f in found if f.source.startswith(_GUESSES)]
    if not guesses:
        return found
    protected = lexicon.protected(text)
    medicines = [p for p in protected if p.medicine]
    out = [f for f in found if not f.source.startswith(_GUESSES)]
    for f in guesses:
        blocked = [(p.start, p.end) for p in protected
                   if p.start < f.end and f.start < p.end and f.kind in BLOCKS[p.category]]
        if f.kind in ("name", "address"):
            for w in _WORD_RE.finditer(text, f.start, f.end):
                joined = w.group(0)[0].isupper() and any(
                    not (text[w.end():p.start] if w.end() <= p.start else
                         text[p.end:w.start()] if p.end <= w.start() else "x").strip()
                    for p in medicines)
                if joined or lexicon.medicine_like(w.group(0)):
                    blocked.append((w.start(), w.end()))
        if not blocked:
            out.append(f)
            continue
        at = f.start
        for a, b in [*sorted(blocked), (f.end, f.end)]:
            start, end = strip_span(text, at, max(at, min(a, f.end)))
            if end > start and has_substance(f.kind, text[start:end]):
                out.append(Finding(start, end, f.kind, f.source))
            at = max(at, b)
    return out
