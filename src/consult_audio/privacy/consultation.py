"""Identifiers that only the whole consultation shows: an answer read with the question before
it, a string found in one utterance redacted wherever else it is said (:class:`Terms`), an age
or the year of a date of birth said again soon after, and a date of birth given over two
utterances (:func:`find_in_consultation`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from consult_audio.model import Consultation, Utterance
from consult_audio.privacy.dialogue import (
    ask_kinds,
    date_has_year,
    short_years,
    year_fragment,
    years_in,
)
from consult_audio.privacy.findings import Finding, merge, source_rank
from consult_audio.privacy.redactor import Redactor, name_tokens

__all__ = ["AGE_ECHO_S", "CONTEXT_S", "CONTEXT_UTTERANCES", "Terms", "find_in_consultation",
           "is_role_label"]

CONTEXT_S = 20.0  # s: a question this long before an answer still gives the answer its meaning
CONTEXT_UTTERANCES = 4  # ...and at most this many utterances before it
AGE_ECHO_S = 60.0  # s: an age, or the year of a date, said again this soon after is redacted too
# Labels that say a role, not who someone is: doctor, Patient 2, SPEAKER_01, Dr, GP, tier names.
_GENERIC_LABEL_RE = re.compile(
    r"^(?:doctor|dr|clinician|physician|physio(?:therapist)?|gp|nurse|midwife|pharmacist|"
    r"therapist|consultant|patient|client|carer|caregiver|parent|relative|interpreter|"
    r"interviewer|other|unknown|speaker|spk|spkr|tier|voice|person|participant)"
    r"(?:[\s_-]*(?:\d+|[a-z]))?$", re.IGNORECASE)


def is_role_label(label: str) -> bool:
    """A speaker label says a role, not who someone is ("doctor", "Patient 2", "SPEAKER_01")."""
    return bool(_GENERIC_LABEL_RE.match(label.strip()))


@dataclass
class Terms:
    """Strings found in a consultation, redacted wherever else they occur in it. Each keeps its
    kind and the source that found it (the most trusted where two found it)."""

    phrases: dict[str, tuple[str, str]] = field(default_factory=dict)  # lower case -> kind, source
    names: dict[str, str] = field(default_factory=dict)  # capitalised name token -> source
    _regex: re.Pattern[str] | None = None

    def add(self, text: str, kind: str, source: str = "") -> None:
        source = source.removeprefix("term:")
        if kind == "name":
            for token in name_tokens(text):
                if token not in self.names or _more_trusted(source, self.names[token]):
                    self.names[token] = source
        elif kind not in ("age", "age_over_89"):
            parts = [text]
            if kind == "date":  # the year of a date of birth said again on its own
                parts += years_in(text)
            for part in parts:
                phrase = _phrase(part)
                old = self.phrases.get(phrase)
                if len(phrase) >= 3 and (old is None or _more_trusted(source, old[1])):
                    self.phrases[phrase] = (kind, source)
        self._regex = None

    def find(self, text: str) -> list[Finding]:
        if self._regex is None:
            alternatives = [re.escape(p).replace(r"\ ", r"\s+") for p in
                            sorted(self.phrases, key=len, reverse=True)]
            names = [re.escape(n) for n in sorted(self.names, key=len, reverse=True)]
            parts = []
            if alternatives:
                parts.append(rf"(?i:(?P<p>{'|'.join(alternatives)}))")
            if names:
                parts.append(rf"(?P<n>{'|'.join(names)})")
            if not parts:
                return []
            self._regex = re.compile(rf"(?<!\w)(?:{'|'.join(parts)})(?!\w)")
        found = []
        for m in self._regex.finditer(text):
            options = []
            if m.group(0) in self.names:
                options.append(("name", self.names[m.group(0)]))
            if _phrase(m.group(0)) in self.phrases:
                options.append(self.phrases[_phrase(m.group(0))])
            kind, source = max(options or [("name", "")], key=lambda o: source_rank(o[1]))
            found.append(Finding(m.start(), m.end(), kind, f"term:{source}"))
        return found


def _phrase(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip(" ,.;:!?")).lower()


def _more_trusted(source: str, than: str) -> bool:
    return source_rank(source) > source_rank(than)


def _asked_before(utterances: Sequence[Utterance], i: int,
                  found: Sequence[Sequence[Finding]] = ()) -> frozenset[str]:
    """What the other speakers' recent utterances asked for, as context for utterance ``i``;
    ``found``: the findings of the utterances before it, where a question that says an age or a
    date asks to confirm it ("that would make you about fifty one. Is that correct?")."""
    u = utterances[i]
    for j in range(i - 1, max(-1, i - 1 - CONTEXT_UTTERANCES), -1):
        prev = utterances[j]
        if prev.speaker == u.speaker:
            continue
        if u.start - prev.end > CONTEXT_S:
            break
        if len(prev.text.split()) <= 2 and not ask_kinds(prev.text):
            continue  # "OK", "Mm-hmm": a backchannel, not the question being answered
        kinds = ask_kinds(prev.text)  # the latest question is the one being answered
        if "?" in prev.text and j < len(found):
            kinds |= {"age" if f.kind == "age_over_89" else f.kind for f in found[j]
                      if f.kind in ("age", "age_over_89", "date")}
        return kinds
    return frozenset()


def _echo(text: str, phrase: str, kind: str) -> list[Finding]:
    """``phrase`` (an age or a short year) said again in ``text``, however it is joined ("fifty
    one", "fifty-one", "fifty, one"), and not followed by a unit ("ninety two percent")."""
    words = [re.escape(w) for w in re.split(r"[\s,-]+", phrase.strip()) if w]
    if not words:
        return []
    pattern = r"[\s,-]+".join(words)
    return [Finding(m.start(), m.end(), kind, f"{kind}-echo") for m in re.finditer(
        rf"(?<![\w'-]){pattern}(?![\w'-])(?!\s*,?\s*(?:percent|per\s+cent|%|kilos?|kg|pounds?|"
        r"mg|milligrams?|minutes?|mins?|seconds?|hours?|days?|weeks?|months?|over)\b)",
        text, re.IGNORECASE)]


def find_in_consultation(c: Consultation, redactor: Redactor) -> tuple[list[list[Finding]], Terms]:
    """The findings of every utterance (with conversation context and strings propagated from the
    rest of the consultation), and the consultation's terms for redacting other fields."""
    utts = c.utterances
    terms = Terms()
    for s in c.speakers:
        if not is_role_label(s.label):
            terms.add(s.label, "name", "spoken-name")
    asked: list[frozenset[str]] = []
    first: list[list[Finding]] = []
    for i, u in enumerate(utts):
        asked.append(_asked_before(utts, i, first))
        first.append(redactor.find(u.text, asked=asked[i]))
    _continue_dates(utts, first, asked)
    # (time said, phrase, kind): ages and short years that are redacted when said again soon
    echoes: list[tuple[float, str, str]] = []
    for u, findings in zip(utts, first, strict=True):
        for f in findings:
            said = u.text[f.start:f.end]
            if not f.source.startswith("guess-"):  # a capital alone is no name to spread
                terms.add(said, f.kind, f.source)
            if f.kind in ("age", "age_over_89"):
                # "seven, twenty seven": each number is echoed on its own ("Twenty seven, OK")
                echoes += [(u.start, part, "age") for part in re.split(r"\s*,\s*", said)]
            elif f.kind == "date" and not f.source.startswith("presidio-"):
                echoes += [(u.start, short, "date") for short in short_years(said)]
    out = []
    for u, findings in zip(utts, first, strict=True):
        extra = terms.find(u.text)
        for when, phrase, kind in echoes:
            if 0 <= u.start - when <= AGE_ECHO_S:
                extra += _echo(u.text, phrase, kind)
        out.append(merge([*findings, *redactor.protect(u.text, extra)], u.text))
    return out, terms


def _continue_dates(utts: Sequence[Utterance], found: list[list[Finding]],
                    asked: Sequence[frozenset[str]]) -> None:
    """A date of birth given in parts ("October, seventh" ... "ninety, three"): after a date with
    no year in answer to "your date of birth?", the next year said within the context window is
    part of it. ``found`` is extended in place."""
    for i, u in enumerate(utts):
        dob = "date" in asked[i] or re.search(r"\b(?:born|birth)", u.text, re.IGNORECASE)
        dates = [f for f in found[i] if f.kind == "date" and not f.source.startswith("presidio-")]
        if not dob or not dates or any(date_has_year(u.text[f.start:f.end]) for f in dates):
            continue
        for j in range(i + 1, min(len(utts), i + 1 + CONTEXT_UTTERANCES)):
            if utts[j].start - u.end > CONTEXT_S:
                break
            year = year_fragment(utts[j].text)
            if year is not None:
                found[j] = merge([*found[j], year], utts[j].text)
                break
