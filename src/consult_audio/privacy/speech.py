"""Recognisers for identifiers as they are *spoken*, which text-trained tools miss.

Transcripts spell numbers out ("the seventh of June nineteen seventy four", "oh seven seven zero
zero ..."), read postcodes and e-mail addresses aloud ("SW nineteen one EZ", "mary dot smith at
gmail dot com") and introduce names in set phrases ("my name's ...", "Doctor ...", "Mrs ...").
Each recogniser here is a pure function of a string that returns :class:`Finding` spans; no
model, no Presidio. :func:`find_in_reply` adds what only the conversation shows: the answer to
"could you confirm your date of birth?" is a date however it is said.

Kinds (see :data:`PLACEHOLDERS`): ``name``, ``date``, ``phone``, ``email``, ``address``, ``id``,
``age`` and ``age_over_89``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["PLACEHOLDERS", "Finding", "ask_kinds", "date_has_year", "find_in_reply", "find_spoken",
           "has_substance", "is_calendar_date", "is_common_word", "merge", "number_value",
           "short_years", "source_rank", "spoken_findings", "strip_span", "year_fragment",
           "years_in"]

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


# --- number words ---------------------------------------------------------------------------------

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORD_UNITS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"]
_ORD_TEENS = ["tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
              "sixteenth", "seventeenth", "eighteenth", "nineteenth"]
_ORD_TENS = ["twentieth", "thirtieth"]
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december"]
_MONTH_ABBR = ["jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"]

_VALUES = {w: i for i, w in enumerate(_UNITS)} | {"oh": 0, "o": 0, "nought": 0}
_VALUES |= {w: 10 + i for i, w in enumerate(_TEENS)}
_VALUES |= {w: 20 + 10 * i for i, w in enumerate(_TENS)}


def _words(text: str) -> frozenset[str]:
    """A set of words written as one string (long word lists stay readable)."""
    return frozenset(text.split())


def _alt(words: Iterable[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_UNIT = rf"(?:{_alt(_UNITS[1:])})"
_DIGIT_WORD = rf"(?:{_alt(_UNITS)}|oh|nought|double|triple)"
_TEEN = rf"(?:{_alt(_TEENS)})"
_TEN = rf"(?:{_alt(_TENS)})"
_J = r"(?:[\s-]+)"  # words of one number: "twenty-one", "twenty one"
# a cardinal 1-99 as words, or 1-3 digits
_CARD = rf"(?:{_TEN}(?:{_J}{_UNIT})?|{_TEEN}|{_UNIT}|\d{{1,3}})"
_ORD = (rf"(?:(?:{_TEN}{_J})?(?:{_alt(_ORD_UNITS)})|{_alt(_ORD_TEENS)}|{_alt(_ORD_TENS)}"
        r"|\d{1,2}(?:st|nd|rd|th))")
_MONTH = rf"(?:{_alt(_MONTHS + _MONTH_ABBR)})\.?"
# a year: 1900-2099 in digits; "nineteen seventy four", "nineteen oh five", "two thousand and
# three", "twenty twelve"; a bare decade "eighty" or "'99" only where a date is certain (_YY)
_YEAR = (rf"(?:(?:19|20)\d\d|nineteen{_J}(?:hundred|{_TEN}(?:{_J}{_UNIT})?|(?:oh|o){_J}{_UNIT}"
         rf"|{_TEEN})|two{_J}thousand(?:{_J}and)?(?:{_J}(?:{_TEN}(?:{_J}{_UNIT})?|{_TEEN}|{_UNIT}))?"
         rf"|twenty{_J}(?:{_TEEN}|{_TEN}(?:{_J}{_UNIT})?))")
_YY = rf"(?:'?\d\d|{_TEN}(?:{_J}{_UNIT})?|(?:oh|o){_J}{_UNIT})"
# fillers and joiners allowed between the parts of a spoken date
_FILL = r"(?:uh+|um+|erm|er|ah|hmm)"
_SEP = rf"(?:\s*,?\s*(?:(?:{_FILL}|on|the|of|and|in)\s*,?\s*)*)"

_FLAGS = re.IGNORECASE


def number_value(phrase: str) -> int | None:
    """The value of a cardinal number phrase (``"forty five"`` -> 45, ``"92"`` -> 92); ``None`` when
    it is not one."""
    phrase = phrase.strip().lower()
    if phrase.isdigit():
        return int(phrase)
    total = 0
    for word in re.split(r"[\s-]+", phrase):
        if word not in _VALUES:
            return None
        total += _VALUES[word]
    return total


# --- recognisers ----------------------------------------------------------------------------------

_DATE_PATTERNS = [
    # (nineteen fifty eight uh on) the eighth of August (, nineteen fifty eight)
    rf"(?:{_YEAR}{_SEP})?\b(?:the\s+)?(?:{_ORD}|{_CARD})\s*,?\s*(?:of\s+)?{_MONTH}(?:{_SEP}"
    rf"(?:{_YEAR}|{_YY}))?\b",
    # August (the) sixteen(th), nineteen seventy six / October nineteen ninety
    rf"\b{_MONTH}{_SEP}(?:(?:{_ORD}|{_CARD}){_SEP})?(?:{_YEAR}|{_YY})\b",
    rf"\b{_MONTH}{_SEP}{_ORD}\b",
    # written dates: 07/06/1974, 7.6.74, 1974-06-07
    r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b",
    r"\b(?:19|20)\d\d-\d\d-\d\d\b",
    # born in nineteen seventy four / born 1974
    rf"(?<=\bborn\s)(?:\s*(?:in|on|the)\s+)*(?:{_YEAR})\b",
    rf"(?<=\bborn\s)(?:\s*(?:in|on|the)\s+)*(?:{_ORD}|{_CARD}){_SEP}{_MONTH}(?:{_SEP}{_YEAR})?\b",
]
_DATE_RES = [re.compile(p, _FLAGS) for p in _DATE_PATTERNS]

_AGE_UNITS = (r"(?:years?|yrs?|year[\s-]olds?|days?|weeks?|months?|hours?|minutes?|mins?|"
              r"seconds?|times?|percent|per|pounds?|kilos?|kg|stone|o'clock|pm|am|a\.m|p\.m|"
              r"milligrams?|mg|grams?|ml|units?|tablets?|pills?|cigarettes?|pints?|of|or|to)")
_AGE_NUMBER = rf"(?:{_TEN}(?:{_J}{_UNIT})?|{_TEEN}|\d{{2,3}}|hundred(?:{_J}and)?(?:{_J}{_CARD})?)"
_AGE_HEDGE = r"(?:(?:about|roughly|around|nearly|almost|like|just|only|over|now|uh|um)[\s,]+)*"
# an age ends the clause: no unit after it ("I'd be ten minutes"), then punctuation or a joiner
_AGE_END = (rf"(?!\s*,?\s*{_AGE_UNITS}\b)(?=\s*(?:[.,;!?]|$|and\b|or\b|now\b|next\b|this\b|"
            r"in\b|then\b|soon\b|last\b|on\b|at\b|already\b|yesterday\b|today\b|i\b))")
_AGE_PATTERNS = [
    # forty five years old / 45-year-old / aged 92 / age 92
    rf"\b(?P<n>{_CARD}|{_AGE_NUMBER})(?:\s+and\s+a\s+half)?[\s-]+(?:years?|yrs?)[\s-]+old\b",
    rf"\b(?P<n>{_CARD}|{_AGE_NUMBER})[\s-]+year[\s-]+old\b",
    rf"\baged?\s+(?:of\s+)?(?P<n>{_CARD}|{_AGE_NUMBER})\b",
    # I'm fifty. / I am seven, twenty seven / you're forty five, OK / she's ninety-two
    rf"\b(?:i'?m|i\s+am|you'?re|you\s+are|he'?s|she'?s|he\s+is|she\s+is)\s+(?:(?:uh|um|only|"
    rf"just|now|nearly|almost|about|around|turning|going\s+to\s+be)[\s,]+)*(?P<n>{_AGE_NUMBER}"
    rf"(?:\s*,\s*{_AGE_NUMBER})*)(?!\s*,?\s*{_AGE_UNITS}\b)(?=\s*(?:[.,;!?]|$|and\b|now\b|"
    rf"next\b|this\b|in\b))",
    rf"\b(?:i'?m|i\s+am)\s+(?P<n>{_CARD}\s*,\s*{_AGE_NUMBER})\b",
    # an age worked out or corrected: "so that makes you twenty six?", "I suppose I'd be fifty
    # three", "I'll be forty next month", "she turned ninety"
    rf"\b(?:makes?|making|made)\s+(?:you|me|him|her|them)\s+{_AGE_HEDGE}(?P<n>{_AGE_NUMBER}"
    rf"(?:\s*,\s*{_AGE_NUMBER})*){_AGE_END}",
    rf"\b(?:(?:i|you|he|she|they)(?:'?d|'?ll|\s+would|\s+will)|i\s+should)\s+be\s+"
    rf"{_AGE_HEDGE}(?P<n>{_AGE_NUMBER}){_AGE_END}",
    rf"\b(?:just\s+)?(?:turned|turning|turns)\s+{_AGE_HEDGE}(?P<n>{_AGE_NUMBER}){_AGE_END}",
    rf"\b(?P<n>{_CARD}|{_AGE_NUMBER})\s+years?\s+of\s+age\b",
    # a child's age: "he's 2 1/2", "she's two", "six months old"
    rf"\b(?:he'?s|she'?s|he\s+is|she\s+is)\s+{_AGE_HEDGE}(?P<n>{_CARD}(?:\s+(?:and\s+a\s+half|"
    rf"1/2|½))?){_AGE_END}",
    rf"\b(?P<n>{_CARD}|{_AGE_NUMBER})(?:\s+and\s+a\s+half)?[\s-]+(?:months?|weeks?)[\s-]+old\b",
]
_AGE_RES = [re.compile(p, _FLAGS) for p in _AGE_PATTERNS]
_AGE_NUMBER_RE = re.compile(_AGE_NUMBER, _FLAGS)

# A name: one to three capitalised words (O'Neil, Smith-Jones, McDonald).
_CAP = r"(?:[A-Z](?:[a-z]+|'[A-Z][a-z]+)(?:-[A-Z]?[a-z]+)*)"
_NAME = rf"{_CAP}(?:\s+{_CAP}){{0,2}}"
# Capitalised words that follow "I'm" or "it's" without being names.
_NOT_NAMES = _words("""
ok okay fine good great well sorry not so just still very really quite a an the fairly pretty yeah
yes no here there back home afraid alright all right sure glad happy sick ill unwell worried fed
english british scottish welsh irish doctor dr nurse mister mr mrs ms miss professor sir madam
monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays thursdays
fridays saturdays sundays weekend weekends christmas easter god gp nhs grade year class school
""") | frozenset(_MONTHS) - {"april", "may", "june", "august"}
# "Dr." is a title; "I'm Doctor. Nice to see you" ends a sentence.
_TITLE = r"(?:(?:Dr|Mr|Mrs|Ms|Prof)\.?|Doctor|Miss|Mister|Nurse|Sister|Professor)"
_NAME_PATTERNS = [
    # my name is / my name's / name is / I'm called / call me
    rf"\b(?i:my\s+name\s+is|my\s+name's|name's|names\s+is|name\s+is|i'?m\s+called|call\s+me)"
    rf"(?:\s*,?\s*(?i:{_FILL}|just|actually|doctor|dr\.?)\s*,?)*\s+(?P<n>{_NAME})",
    rf"\b{_TITLE}\s+(?P<n>{_NAME})",
    # this is Jack / I'm Peter / it's Sarah Smith (only a capitalised, non-common word)
    rf"\b(?i:this\s+is|i'?m|i\s+am|it's|it\s+is|that's)(?:\s*,?\s*(?i:{_FILL})\s*,?)*"
    rf"\s+(?P<n>{_NAME})",
]
_NAME_PATTERNS += [
    # someone spoken to or of: "I talked to Charlotte", "ask Jack", "told Mary"
    rf"\b(?i:(?:talk(?:ed|ing|s)?|spoke|speak(?:ing|s)?|chat(?:ted|ting)?)\s+(?:to|with)|told|"
    rf"tell|asked|texted|phoned|rang)\s+(?P<n>{_NAME})",
]
_NAME_RES = [re.compile(p) for p in _NAME_PATTERNS]
# The third and fourth patterns guess from a capital letter alone ("I'm Salbutamol"): a clinical
# word overrules them (see consult_audio.privacy.redact); the first two are cues no medicine
# follows.
_NAME_SOURCES = ("spoken-name", "spoken-name", "spoken-name-guess", "spoken-name-guess")
# A name said to someone: after a greeting or thanks ("Hi Faiha,", "Alright Ann.", "Take care,
# Ben"), or last in a question ("how old are you, Jen?", "do you smoke Jessica?"). Weaker than a
# model's place ("Have you been in Leeds?"): see guess_rank.
_VOCATIVE_RE = re.compile(
    rf"\b(?i:hi|hello|hey|hiya|thanks|thank\s+you|bye|goodbye|cheers|morning|afternoon|evening|"
    rf"alright|all\s+right|ok|okay|right|sorry|dear|take\s+care|welcome)\s*,?\s+"
    rf"(?P<n>{_CAP}(?:\s+{_CAP})?)(?=\s*(?:[,.!?;]|$))")
# ... or after "and", "so", "um"... before a comma: "and Kim, have to ask", "um, Adriana, do you"
_CLAUSE_START_RE = re.compile(
    rf"\b(?i:and|so|but|um|uh|er|erm|now|right|ok|okay|well|then)\s*,?\s+(?P<n>{_CAP}),\s+"
    rf"(?P<next>[\w']+)")
_SENTENCE_ADVERBS = _words("""however otherwise anyway anyways also basically obviously
unfortunately fortunately luckily hopefully generally normally usually typically honestly
seriously actually apparently clearly certainly definitely absolutely exactly perfect great lovely
brilliant excellent fantastic fine sure first firstly secondly thirdly finally lastly next overall
sometimes occasionally initially originally recently currently yesterday today tonight tomorrow
afterwards meanwhile plus wait look listen see again anyhow personally unless otherwise sadly
thankfully interestingly ideally realistically essentially literally especially mainly mostly
probably possibly maybe perhaps surely cool nice awesome wonderful true fair correct""")
_QUESTION_END_RE = re.compile(rf"(?P<before>[\w']+),?\s+(?P<n>{_CAP})\s*\?")
_NOT_BEFORE_NAME = _words("""in to at on of for from near into onto by with about like than as the a
an some any your my his her their our its this that called named take taking took tried try use
using used had have has got get see seen heard""")
# A place where someone lives, works, studies or went: "I live just outside of London", "the
# other boy works in Fort Mac", "we went down to Toronto".
_PLACE_RE = re.compile(
    rf"\b(?i:liv(?:e|es|ed|ing)|home\s+is|moved|grew\s+up|based|raised|work(?:s|ed|ing)?|"
    rf"stud(?:y|ies|ied|ying)|stay(?:s|ed|ing)?|went|go(?:es|ing)?|travel(?:l?ed|l?ing)?|trip|"
    rf"visit(?:s|ed|ing)?|born|(?:come|comes|am|i'm|originally)\s+from)\b[^.?!]{{0,40}}?"
    rf"\b(?i:in|at|near|outside(?:\s+of)?|around|to|from)\s+(?P<n>{_CAP}(?:\s+{_CAP})?)")
_FILL_RE = re.compile(_FILL, _FLAGS)
_NAME_INTRO_RE = re.compile(r"\b(?:my\s+name\s+is|my\s+name's|name\s+is)\b", _FLAGS)

_STREET = (r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Place|Pl|Court|Ct|"
           r"Crescent|Terrace|Gardens|Square|Hill|Grove|Park|Row|Walk|Mews|Steps|Parade|Rise|"
           r"Green|Gate|View|Boulevard|Blvd)")
_POSTCODE_NUM = rf"(?:{_TEEN}|{_TEN}(?:{_J}{_UNIT})?|{_UNIT}|zero|oh|\d{{1,2}})"
_ADDRESS_PATTERNS = [
    # (number / flat) sixty two Lewin Road, 4 Park Avenue
    rf"\b(?:(?:number|no\.?|flat|apartment|unit)\s+)?(?:{_CARD}(?:[\s,-]+{_CARD}){{0,3}}|"
    rf"\d{{1,4}}[a-z]?),?\s+(?:[A-Z][a-z]+\s+){{1,3}}{_STREET}\b",
    # UK postcodes written (SW19 1EZ) and spoken (SW nineteen one EZ, AB one CB two)
    r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b",
    rf"\b[A-Z]{{1,2}}\s+{_POSTCODE_NUM}(?:\s+{_POSTCODE_NUM})?[\s,]+(?:{_POSTCODE_NUM}\s*)?"
    rf"[A-Z]\s*[A-Z]\b",
    rf"\b[A-Z]{{1,2}}\s+{_POSTCODE_NUM}\s+[A-Z]{{1,2}}\s+{_POSTCODE_NUM}\b",
    # US ZIP codes with a state: "CA 90210"
    r"\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b",
]
_ADDRESS_RES = [re.compile(p) for p in _ADDRESS_PATTERNS]

# e-mail read aloud: "mary dot smith at gmail dot com", "M Traba at Gmail dot com": the domain
# part is found first, then up to three words of the user part before "at".
_EMAIL_DOMAIN_RE = re.compile(
    r"\s*,?\s+at\s*,?\s+(?:[\w'-]+\s*,?\s+){0,3}?dot\s+(?:com|co|org|net|ac|gov|nhs|edu|uk|io|"
    r"me|info|biz|[a-z]{2})\b(?:\s+dot\s+\w+)*", _FLAGS)
_EMAIL_JOIN = frozenset({"dot", "underscore", "dash", "hyphen"})
_EMAIL_LEAD = _words("""is it's its that's email e-mail address yes yeah my uh um er sure and
so well it that""")

# numbers read out digit by digit: "oh seven seven double oh nine ...", "485 777 3456"
_DIGIT_RUN_RE = re.compile(
    rf"\b(?:{_DIGIT_WORD}|\d+)(?:[\s,.-]+(?:{_DIGIT_WORD}|\d+)){{5,}}\b", _FLAGS)
_PHONE_CONTEXT_RE = re.compile(r"\b(?:phone|mobile|number|call|ring|contact|landline|cell|tel)\b",
                               _FLAGS)
_ID_CONTEXT_RE = re.compile(
    r"\b(?:nhs|hospital|patient|social\s+security|ssn|insurance|passport|licen[cs]e|reference|"
    r"account|chi|mrn|medical\s+record)\b", _FLAGS)


def _digits(run: str) -> int:
    """How many digits a run of spoken or written digits stands for."""
    count = 0
    repeat = 1
    for token in re.split(r"[\s,.-]+", run.lower()):
        if token == "double":
            repeat = 2
        elif token == "triple":
            repeat = 3
        elif token.isdigit():
            count += len(token) * repeat
            repeat = 1
        elif token:
            count += repeat
            repeat = 1
    return count


def _find_dates(text: str) -> Iterator[Finding]:
    for regex in _DATE_RES:
        for m in regex.finditer(text):
            yield Finding(m.start(), m.end(), "date", "spoken-date")


def _age_kind(phrase: str) -> str:
    values = [number_value(part) for part in re.split(r"\s*,\s*", phrase)]
    return "age_over_89" if any(v is not None and v > AGE_LIMIT for v in values) else "age"


def _find_ages(text: str) -> Iterator[Finding]:
    for regex in _AGE_RES:
        for m in regex.finditer(text):
            yield Finding(m.start("n"), m.end("n"), _age_kind(m.group("n")), "spoken-age")


def _find_names(text: str) -> Iterator[Finding]:
    for regex, source in zip(_NAME_RES, _NAME_SOURCES, strict=True):
        for m in regex.finditer(text):
            words = m.group("n").split()
            # drop trailing common words: "I'm Peter Just" -> "Peter"
            while words and is_common_word(words[-1]):
                words.pop()
            if not words or is_common_word(words[0]):
                continue
            start = m.start("n")
            end = start + len(" ".join(words))
            yield Finding(start, end, "name", source)
    for m in _VOCATIVE_RE.finditer(text):
        if not is_common_word(m.group("n").split()[0]):
            yield Finding(m.start("n"), m.end("n"), "name", "guess-vocative")
    for m in _CLAUSE_START_RE.finditer(text):
        word = m.group("n").lower()
        if (not is_common_word(word) and word not in _SENTENCE_ADVERBS and word not in _VALUES
                and m.group("next").lower() != word):  # "Nothing, nothing": no name
            yield Finding(m.start("n"), m.end("n"), "name", "guess-vocative")
    for m in _QUESTION_END_RE.finditer(text):
        if m.group("before").lower() not in _NOT_BEFORE_NAME and not is_common_word(m.group("n")):
            yield Finding(m.start("n"), m.end("n"), "name", "guess-vocative")
    # "my name is john smith" with no capitals (some ASR output): the next one or two words
    for m in _NAME_INTRO_RE.finditer(text):
        rest = re.match(rf"(?:\s*,?\s*(?:{_FILL})\s*,?)*\s*([a-z]+(?:\s+[a-z]+)?)\b",
                        text[m.end():])
        if rest and text[m.end():][rest.start(1)].islower():
            words = rest.group(1).split()
            if words and all(w not in _NOT_NAMES and not _FILL_RE.fullmatch(w) for w in words):
                start = m.end() + rest.start(1)
                yield Finding(start, start + len(words[0]) + (len(words[1]) + 1 if len(words) > 1
                                                               else 0), "name", "spoken-name")


def _find_addresses(text: str) -> Iterator[Finding]:
    for regex in _ADDRESS_RES:
        for m in regex.finditer(text):
            yield Finding(m.start(), m.end(), "address", "spoken-address")
    for m in _PLACE_RE.finditer(text):
        words = m.group("n").split()
        while words and is_common_word(words[-1]):
            words.pop()
        if words and not is_common_word(words[0]):
            start = m.start("n")
            yield Finding(start, start + len(" ".join(words)), "address", "spoken-place")


def _find_emails(text: str) -> Iterator[Finding]:
    for m in _EMAIL_DOMAIN_RE.finditer(text):
        words = list(re.finditer(r"[\w'-]+", text[:m.start()]))
        start = None
        taken = 0
        for i in range(len(words) - 1, -1, -1):
            word = words[i].group(0).lower()
            joined = i > 0 and words[i - 1].group(0).lower() in _EMAIL_JOIN
            if word in _EMAIL_JOIN or joined:
                start = words[i].start()
                continue
            if word in _EMAIL_LEAD or taken >= 2:
                break
            start = words[i].start()
            taken += 1
        if start is not None:
            yield Finding(start, m.end(), "email", "spoken-email")


def _find_digit_runs(text: str) -> Iterator[Finding]:
    for m in _DIGIT_RUN_RE.finditer(text):
        run = m.group(0)
        n = _digits(run)
        if n < 6:
            continue
        before = text[max(0, m.start() - 80):m.start()]
        if _ID_CONTEXT_RE.search(before):
            kind = "id"
        elif _PHONE_CONTEXT_RE.search(before) or (run.lower().startswith(("oh", "0", "zero"))
                                                  and n >= 10):
            kind = "phone"
        else:
            kind = "id"
        yield Finding(m.start(), m.end(), kind, "spoken-digits")


def spoken_findings(text: str) -> list[Finding]:
    """Every identifier the speech recognisers see in ``text``, overlaps not yet resolved."""
    return [*_find_dates(text), *_find_ages(text), *_find_names(text), *_find_addresses(text),
            *_find_emails(text), *_find_digit_runs(text)]


def find_spoken(text: str) -> list[Finding]:
    """Every identifier the speech recognisers see in ``text`` (overlaps merged)."""
    return merge(spoken_findings(text), text)


# --- dates said in parts or again -----------------------------------------------------------------

_YEAR_RE = re.compile(rf"\b{_YEAR}\b", _FLAGS)
_CENTURY_RE = re.compile(rf"^(?:nineteen|twenty|two{_J}thousand(?:{_J}and)?){_J}", _FLAGS)
_DATE_PART_RE = re.compile(rf"\b(?:{_ORD}|{_MONTH}|{_TEN}(?:{_J}{_UNIT})?|{_TEEN}|{_DIGIT_WORD}|"
                           r"\d+)\b", _FLAGS)
_WRITTEN_DATE_RE = re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b(?:19|20)\d\d\b")
_MONTH_RE = re.compile(rf"\b{_MONTH}", _FLAGS)
# a year or the end of one said on its own: "ninety, three", "eighty-six", "'92", "1992"
_YEAR_FRAGMENT_RE = re.compile(
    rf"(?<![\w'])(?:{_YEAR}|'?\d\d(?:\d\d)?|{_TEN}(?:[\s,-]+(?:{_FILL}[\s,]+)*{_UNIT})?|"
    rf"(?:oh|o){_J}{_UNIT})(?![\w'])(?!\s*,?\s*{_AGE_UNITS}\b)", _FLAGS)


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
            words = _TENS[tens - 2] if value >= 20 else _TEENS[value - 10]
            if value >= 20 and units:
                words += f" {_UNITS[units]}"
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
                       _FLAGS),
    # the age now: not "how old was he when...", "what age were you when...", "your age group"
    "age": re.compile(r"\bhow\s+old\s+(?:are|r|is|'s|will)\b|\bhow\s+old\s+(?:you|he|she)\s+"
                      r"(?:are|is)\b|\bwhat\s+age\s+(?:are|is)\b|\byour\s+(?:\w+\s+(?:and|&)\s+)?"
                      r"age\b(?!\s+group)|\bage\s+please|\bage\s*\?|\byears\s+old\s*\?", _FLAGS),
    "address": re.compile(r"\b(?:address|postcode|post\s+code|zip\s+code|where\s+do\s+you\s+live|"
                          r"first\s+line)", _FLAGS),
    "email": re.compile(r"\be-?mail", _FLAGS),
    "phone": re.compile(r"\b(?:phone|mobile|contact)\s+number", _FLAGS),
    "id": re.compile(r"\bnhs\s+number|\bhospital\s+number|\bpatient\s+number", _FLAGS),
    "name": re.compile(r"\b(?:your|you|full|first|last|sur)\s*name\b|\bwho\s+am\s+i\s+speaking",
                       _FLAGS),
}
# Answers start with these before the identifier itself.
_LEAD_RE = re.compile(
    rf"^(?:\s*(?:{_FILL}|yes|yeah|yep|sure|ok|okay|right|so|well|and|it's|it\s+is|that's|that\s+is|"
    r"is|my|name|name's|names|date|of|birth|address|e-?mail|email|postcode|number|phone|mobile|"
    r"i\s+live|i\s+live\s+at|i\s+live\s+on|i'm|i\s+am|at|on|in|the|sorry|um+|uh+|oh|ohh)"
    r"\b[\s,.:]*)+", _FLAGS)
_TAIL_RE = re.compile(
    rf"(?:[\s,.]*\b(?:{_FILL}|ok|okay|yeah|please|thanks|thank\s+you)\b)*[\s,.?!]*$", _FLAGS)
_NUMBER_WORD = rf"(?:{_TEEN}|{_TEN}|{_ORD}|{_MONTH}|{_DIGIT_WORD}|\d+)\b"
_NUMBERISH_RE = re.compile(rf"\b{_NUMBER_WORD}(?:[\s,/.-]+(?:(?:and|of|the|{_FILL})[\s,/.-]+)*"
                           rf"{_NUMBER_WORD})*", _FLAGS)


_ASKING_RE = re.compile(r"\?|\byour\b|\bplease\b|\b(?:could|can|would)\s+(?:i|you)\b|"
                        r"\b(?:tell|remind)\s+me\b|\bconfirm\b|\bhow\s+old\b|\bwhat\s+age\b",
                        _FLAGS)


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
                if any(w in _VALUES or w.isdigit() or w in _MONTHS for w in words):
                    found.append(Finding(m.start(), m.end(), kind, f"reply-{kind}"))
    if "age" in asked and "date" not in asked:
        # the first number, and every later one that can be an age ("Fifty four. I suppose I'd
        # be fifty three now."); none followed by a unit ("for three days")
        ages = [m for m in re.finditer(rf"\b{_AGE_NUMBER}|\b{_CARD}(?=\s*(?:[.,!?]|$))", text,
                                       _FLAGS)
                if not re.match(rf"\s*,?\s*{_AGE_UNITS}\b", text[m.end():], _FLAGS)]
        found += [Finding(m.start(), m.end(), _age_kind(m.group(0)), "reply-age")
                  for i, m in enumerate(ages) if i == 0 or _AGE_NUMBER_RE.fullmatch(m.group(0))]
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
        for m in re.finditer(_CAP, text):
            if m.group(0).lower() in _NOT_NAMES | _COMMON_STARTS:
                continue
            last = found[-1] if found else None
            if last and last.kind == "name" and not text[last.end:m.start()].strip():
                found[-1] = Finding(last.start, m.end(), "name", "reply-name")  # "Priya Raman"
            else:
                found.append(Finding(m.start(), m.end(), "name", "reply-name"))
    return merge(found, text)


_STREET_WORDS = frozenset(w.lower() for w in _STREET[3:-1].split("|"))
_UNIT_WORDS = _words("flat apartment apt unit number no suite block house")
_NUMBER_NEXT_RE = re.compile(rf"\s+(?:\d|{_alt(_VALUES)}\b)", _FLAGS)
_TIME_UNIT_RE = re.compile(r"\s*(?:minutes?|hours?|days?|weeks?|months?|years?|times?)\b", _FLAGS)


def _address_part(text: str, start: int, end: int) -> list[Finding]:
    """The address in an answer to "where do you live?": from its first word that can be part of
    one (a number, a name, a street word, a postcode) to its last, sentence by sentence. "I live
    in a house with my parents" holds none; "Uh, sixty two Lewin Road Streatham SW sixteen six JT"
    is all address."""
    parts: list[re.Match[str]] = []
    found = []
    for m in _WORD_RE.finditer(text, start, end):
        if parts and re.search(r"[.?!]\s", text[parts[-1].end():m.start()]):
            found.append(Finding(parts[0].start(), parts[-1].end(), "address", "reply-whole"))
            parts = []
        word = m.group(0)
        low = word.lower()
        if low in _UNIT_WORDS and _NUMBER_NEXT_RE.match(text, m.end()):
            parts.append(m)  # "flat two", "number one"
        elif low.isdigit() or low in _VALUES:
            if not _TIME_UNIT_RE.match(text, m.end()):
                parts.append(m)
        elif low in _STREET_WORDS or (word[0].isupper() and low not in _COMMON_STARTS
                                      and low not in _NOT_NAMES and not _FILL_RE.fullmatch(low)):
            parts.append(m)
    if parts:
        found.append(Finding(parts[0].start(), parts[-1].end(), "address", "reply-whole"))
    return found


# Words that start answers with a capital without being names.
_COMMON_STARTS = _words("""
yes yeah yep sure uh um uhh umm ok okay that that's it it's is my and so well hello hi hey sorry
right of course absolutely no nope not can could do does did have has had is are was were will
would shall should what when where why how who which the this these those there here it i me we
our you your he she they them his her but or oh ohh thanks thank please just also then now
because if as at in on for to with from by about like maybe actually basically really a an
""")


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


_WORD_RE = re.compile(r"[\w'-]+")
_NUMBER_OR_MONTH_RE = re.compile(rf"\d|\b(?:{_alt([*_VALUES, *_MONTHS, *_MONTH_ABBR])}|"
                                 rf"{_ORD}|hundred|thousand)\b", _FLAGS)


def is_common_word(word: str) -> bool:
    """``word`` is said by everyone, capitalised or not ("It's", "The", "Sorry", "Monday")."""
    low = word.lower()
    return low in _COMMON_STARTS or low in _NOT_NAMES or bool(_FILL_RE.fullmatch(low))


def has_substance(kind: str, piece: str) -> bool:
    """What is left of a finding after a finding of another kind took part of it can still be an
    identifier of its kind: a number in a date or age, a word not said by everyone in a name."""
    if kind in ("date", "age", "age_over_89", "phone", "id"):
        return bool(_NUMBER_OR_MONTH_RE.search(piece))
    words = [w.lower() for w in _WORD_RE.findall(piece)]
    return any(w not in _COMMON_STARTS and w not in _NOT_NAMES and not _FILL_RE.fullmatch(w)
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
