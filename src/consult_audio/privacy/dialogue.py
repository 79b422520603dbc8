"""Identifiers that only the conversation shows, found from a question and its answer.

"Could you confirm your date of birth?" makes the answer a date however it is said ("six,
twelve, uh, eighty"): :func:`ask_kinds` reads what a question asks for and :func:`find_in_reply`
finds it in the answer. A date of birth may also be given in parts over two utterances, or its
year said again in short ("nineteen ninety two" ... "ninety two"): :func:`date_has_year`,
:func:`year_fragment` and :func:`short_years` serve the consultation layer
(:mod:`consult_audio.privacy.consultation`) that joins them up. Pure functions of strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from consult_audio.privacy.findings import (
    COMMON_STARTS,
    NOT_NAMES,
    WORD_RE,
    Finding,
    age_kind,
    merge,
)
from consult_audio.privacy.patterns import (
    AGE_NUMBER,
    AGE_NUMBER_RE,
    AGE_UNITS,
    CAP,
    CARD,
    DIGIT_WORD,
    FILL,
    FILL_RE,
    FLAGS,
    MONTH,
    MONTHS,
    ORD,
    STREET,
    TEEN,
    TEENS,
    TEN,
    TENS,
    UNIT,
    UNITS,
    VALUES,
    YEAR,
    J,
    any_of,
    number_value,
    word_set,
)

__all__ = ["ask_kinds", "date_has_year", "find_in_reply", "is_calendar_date", "short_years",
           "year_fragment", "years_in"]

# --- dates said in parts or again -----------------------------------------------------------------

_YEAR_RE = re.compile(rf"\b{YEAR}\b", FLAGS)
_CENTURY_RE = re.compile(rf"^(?:nineteen|twenty|two{J}thousand(?:{J}and)?){J}", FLAGS)
_DATE_PART_RE = re.compile(rf"\b(?:{ORD}|{MONTH}|{TEN}(?:{J}{UNIT})?|{TEEN}|{DIGIT_WORD}|"
                           r"\d+)\b", FLAGS)
_WRITTEN_DATE_RE = re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b(?:19|20)\d\d\b")
_MONTH_RE = re.compile(rf"\b{MONTH}", FLAGS)
# a year or the end of one said on its own: "ninety, three", "eighty-six", "'92", "1992"
_YEAR_FRAGMENT_RE = re.compile(
    rf"(?<![\w'])(?:{YEAR}|'?\d\d(?:\d\d)?|{TEN}(?:[\s,-]+(?:{FILL}[\s,]+)*{UNIT})?|"
    rf"(?:oh|o){J}{UNIT})(?![\w'])(?!\s*,?\s*{AGE_UNITS}\b)", FLAGS)


def is_calendar_date(text: str) -> bool:
    """``text`` names a day of the calendar or a year ("the 3rd of May", "1974", "May
    nineteen eighty"), not a month or a holiday alone ("in October", "since Christmas")."""
    if _WRITTEN_DATE_RE.search(text) or _YEAR_RE.search(text):
        return True
    return bool(_MONTH_RE.search(text)) and len(_DATE_PART_RE.findall(text)) >= 2


def date_has_year(text: str) -> bool:
    """A spoken date holds a year: a full one, or three parts ("six, twelve, uh, eighty")."""
    return bool(_YEAR_RE.search(text) or _WRITTEN_DATE_RE.search(text)
                or len(_DATE_PART_RE.findall(text)) >= 3)


def years_in(text: str) -> list[str]:
    """The years in ``text`` as said ("nineteen ninety two", "1992")."""
    return [m.group(0) for m in _YEAR_RE.finditer(text)]


def short_years(date: str) -> list[str]:
    """Each year of a date as it is said again in short: "nineteen ninety two" -> "ninety two"
    and "92"; "1974" -> "74" and "seventy four"."""
    years = years_in(date)
    parts = _DATE_PART_RE.findall(date)
    if not years and len(parts) >= 3:
        years = [parts[-1]]  # "twenty-one twelve and nineteen uh eighty-six"
    out = []
    for year in years:
        value = int(year) % 100 if year.isdigit() else number_value(_CENTURY_RE.sub("", year))
        if value is not None and value >= 10:
            tens, units = divmod(value, 10)
            words = TENS[tens - 2] if value >= 20 else TEENS[value - 10]
            if value >= 20 and units:
                words += f" {UNITS[units]}"
            out += [words, f"{value:02d}"]
    return out


def year_fragment(text: str) -> Finding | None:
    """The first thing in ``text`` that can be a year or the end of one, said apart from the rest
    of a date ("ninety, three something" after "October, seventh")."""
    m = _YEAR_FRAGMENT_RE.search(text)
    return Finding(m.start(), m.end(), "date", "reply-date-continued") if m else None


# --- the conversation: what a question asks for ---------------------------------------------------

_ASK_RES = {
    "date": re.compile(r"\b(?:date\s+of\s+birth|d\.?o\.?b\b|birthday|when\s+were\s+you\s+born)",
                       FLAGS),
    # the age now: not "how old was he when...", "what age were you when...", "your age group"
    "age": re.compile(r"\bhow\s+old\s+(?:are|r|is|'s|will)\b|\bhow\s+old\s+(?:you|he|she)\s+"
                      r"(?:are|is)\b|\bwhat\s+age\s+(?:are|is)\b|\byour\s+(?:\w+\s+(?:and|&)\s+)?"
                      r"age\b(?!\s+group)|\bage\s+please|\bage\s*\?|\byears\s+old\s*\?", FLAGS),
    "address": re.compile(r"\b(?:address|postcode|post\s+code|zip\s+code|where\s+do\s+you\s+live|"
                          r"first\s+line)", FLAGS),
    "email": re.compile(r"\be-?mail", FLAGS),
    "phone": re.compile(r"\b(?:phone|mobile|contact)\s+number", FLAGS),
    "id": re.compile(r"\bnhs\s+number|\bhospital\s+number|\bpatient\s+number", FLAGS),
    "name": re.compile(r"\b(?:your|you|full|first|last|sur)\s*name\b|\bwho\s+am\s+i\s+speaking",
                       FLAGS),
}
# Answers start with these before the identifier itself.
_LEAD_RE = re.compile(
    rf"^(?:\s*(?:{FILL}|yes|yeah|yep|sure|ok|okay|right|so|well|and|it's|it\s+is|that's|that\s+is|"
    r"is|my|name|name's|names|date|of|birth|address|e-?mail|email|postcode|number|phone|mobile|"
    r"i\s+live|i\s+live\s+at|i\s+live\s+on|i'm|i\s+am|at|on|in|the|sorry|um+|uh+|oh|ohh)"
    r"\b[\s,.:]*)+", FLAGS)
_TAIL_RE = re.compile(
    rf"(?:[\s,.]*\b(?:{FILL}|ok|okay|yeah|please|thanks|thank\s+you)\b)*[\s,.?!]*$", FLAGS)
_NUMBER_WORD = rf"(?:{TEEN}|{TEN}|{ORD}|{MONTH}|{DIGIT_WORD}|\d+)\b"
_NUMBERISH_RE = re.compile(rf"\b{_NUMBER_WORD}(?:[\s,/.-]+(?:(?:and|of|the|{FILL})[\s,/.-]+)*"
                           rf"{_NUMBER_WORD})*", FLAGS)


_ASKING_RE = re.compile(r"\?|\byour\b|\bplease\b|\b(?:could|can|would)\s+(?:i|you)\b|"
                        r"\b(?:tell|remind)\s+me\b|\bconfirm\b|\bhow\s+old\b|\bwhat\s+age\b",
                        FLAGS)


def ask_kinds(question: str) -> frozenset[str]:
    """What identifiers an utterance asks for (``{"name", "date"}`` for "could you confirm your full
    name and date of birth?"). A statement ("my date of birth is ...") asks for nothing."""
    if not _ASKING_RE.search(question):
        return frozenset()
    return frozenset(kind for kind, regex in _ASK_RES.items() if regex.search(question))


def find_in_reply(text: str, asked: Iterable[str]) -> list[Finding]:
    """Identifiers in ``text``, the answer to a question that asked for the kinds ``asked``.

    A date of birth or a phone number in answer to a question is any run of numbers, however
    read; an address or e-mail is the whole answer after its lead-in ("Yes, it's ..."); a name is
    the capitalised words; an age is the first number and any later one of two digits.
    """
    asked = set(asked)
    found: list[Finding] = []
    for kind in ("date", "phone", "id"):
        if kind in asked:
            for m in _NUMBERISH_RE.finditer(text):
                words = re.findall(r"[\w']+", m.group(0).lower())
                if any(w in VALUES or w.isdigit() or w in MONTHS for w in words):
                    found.append(Finding(m.start(), m.end(), kind, f"reply-{kind}"))
    if "age" in asked and "date" not in asked:
        # the first number, and every later one that can be an age ("Fifty four. I suppose I'd
        # be fifty three now."); none followed by a unit ("for three days")
        ages = [m for m in re.finditer(rf"\b{AGE_NUMBER}|\b{CARD}(?=\s*(?:[.,!?]|$))", text,
                                       FLAGS)
                if not re.match(rf"\s*,?\s*{AGE_UNITS}\b", text[m.end():], FLAGS)]
        found += [Finding(m.start(), m.end(), age_kind(m.group(0)), "reply-age")
                  for i, m in enumerate(ages) if i == 0 or AGE_NUMBER_RE.fullmatch(m.group(0))]
    if asked & {"address", "email"}:
        lead = _LEAD_RE.match(text)
        start = lead.end() if lead else 0
        tail = _TAIL_RE.search(text, start)
        end = tail.start() if tail else len(text)
        if "email" in asked and end > start:
            found.append(Finding(start, end, "email", "reply-whole"))
        elif end > start:
            found += _address_part(text, start, end)
    if "name" in asked:
        for m in re.finditer(CAP, text):
            if m.group(0).lower() in NOT_NAMES | COMMON_STARTS:
                continue
            last = found[-1] if found else None
            if last and last.kind == "name" and not text[last.end:m.start()].strip():
                found[-1] = Finding(last.start, m.end(), "name", "reply-name")  # "Priya Raman"
            else:
                found.append(Finding(m.start(), m.end(), "name", "reply-name"))
    return merge(found, text)


_STREET_WORDS = frozenset(w.lower() for w in STREET[3:-1].split("|"))
_UNIT_WORDS = word_set("flat apartment apt unit number no suite block house")
_NUMBER_NEXT_RE = re.compile(rf"\s+(?:\d|{any_of(VALUES)}\b)", FLAGS)
_TIME_UNIT_RE = re.compile(r"\s*(?:minutes?|hours?|days?|weeks?|months?|years?|times?)\b", FLAGS)


def _address_part(text: str, start: int, end: int) -> list[Finding]:
    """The address in an answer to "where do you live?": from its first word that can be part of
    one (a number, a name, a street word, a postcode) to its last, sentence by sentence. "I live
    in a house with my parents" holds none; "Uh, sixty two Lewin Road Streatham SW sixteen six JT"
    is all address."""
    parts: list[re.Match[str]] = []
    found = []
    for m in WORD_RE.finditer(text, start, end):
        if parts and re.search(r"[.?!]\s", text[parts[-1].end():m.start()]):
            found.append(Finding(parts[0].start(), parts[-1].end(), "address", "reply-whole"))
            parts = []
        word = m.group(0)
        low = word.lower()
        if low in _UNIT_WORDS and _NUMBER_NEXT_RE.match(text, m.end()):
            parts.append(m)  # "flat two", "number one"
        elif low.isdigit() or low in VALUES:
            if not _TIME_UNIT_RE.match(text, m.end()):
                parts.append(m)
        elif low in _STREET_WORDS or (word[0].isupper() and low not in COMMON_STARTS
                                      and low not in NOT_NAMES and not FILL_RE.fullmatch(low)):
            parts.append(m)
    if parts:
        found.append(Finding(parts[0].start(), parts[-1].end(), "address", "reply-whole"))
    return found
