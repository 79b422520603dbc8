"""Recognisers for identifiers as they are *spoken*, which text-trained tools miss.

Transcripts spell numbers out ("the seventh of June nineteen seventy four", "oh seven seven zero
zero ..."), read postcodes and e-mail addresses aloud ("SW nineteen one EZ", "mary dot smith at
gmail dot com") and introduce names in set phrases ("my name's ...", "Doctor ...", "Mrs ...").
Each recogniser here is a pure function of a string that returns :class:`Finding` spans; no
model, no Presidio. :func:`find_in_reply` adds what only the conversation shows: the answer to
"could you confirm your date of birth?" is a date however it is said.

Kinds (see :data:`PLACEHOLDERS`): ``name``, ``date``, ``phone``, ``email``, ``address``, ``id``,
``age`` and ``age_over_89``.

The recognisers are here; the pieces they are built from are in :mod:`.patterns`, findings and
their merging in :mod:`.findings`, and what the conversation shows in :mod:`.dialogue` (all
re-exported here).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from consult_audio.privacy.dialogue import (
    ask_kinds,
    date_has_year,
    find_in_reply,
    is_calendar_date,
    short_years,
    year_fragment,
    years_in,
)
from consult_audio.privacy.findings import (
    AGE_LIMIT,
    NOT_NAMES,
    PLACEHOLDERS,
    Finding,
    age_kind,
    has_substance,
    is_common_word,
    merge,
    source_rank,
    strip_span,
)
from consult_audio.privacy.patterns import (
    AGE_NUMBER,
    AGE_UNITS,
    CAP,
    CARD,
    DIGIT_WORD,
    FILL,
    FILL_RE,
    FLAGS,
    MONTH,
    ORD,
    SEP,
    STREET,
    TEEN,
    TEN,
    UNIT,
    VALUES,
    YEAR,
    YY,
    J,
    number_value,
    word_set,
)

__all__ = ["AGE_LIMIT", "PLACEHOLDERS", "Finding", "ask_kinds", "date_has_year", "find_in_reply",
           "find_spoken", "has_substance", "is_calendar_date", "is_common_word", "merge",
           "number_value", "short_years", "source_rank", "spoken_findings", "strip_span",
           "year_fragment", "years_in"]

# --- recognisers ----------------------------------------------------------------------------------

_DATE_PATTERNS = [
    # (nineteen fifty eight uh on) the eighth of August (, nineteen fifty eight)
    rf"(?:{YEAR}{SEP})?\b(?:the\s+)?(?:{ORD}|{CARD})\s*,?\s*(?:of\s+)?{MONTH}(?:{SEP}"
    rf"(?:{YEAR}|{YY}))?\b",
    # August (the) sixteen(th), nineteen seventy six / October nineteen ninety
    rf"\b{MONTH}{SEP}(?:(?:{ORD}|{CARD}){SEP})?(?:{YEAR}|{YY})\b",
    rf"\b{MONTH}{SEP}{ORD}\b",
    # written dates: 07/06/1974, 7.6.74, 1974-06-07
    r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b",
    r"\b(?:19|20)\d\d-\d\d-\d\d\b",
    # born in nineteen seventy four / born 1974
    rf"(?<=\bborn\s)(?:\s*(?:in|on|the)\s+)*(?:{YEAR})\b",
    rf"(?<=\bborn\s)(?:\s*(?:in|on|the)\s+)*(?:{ORD}|{CARD}){SEP}{MONTH}(?:{SEP}{YEAR})?\b",
]
_DATE_RES = [re.compile(p, FLAGS) for p in _DATE_PATTERNS]

_AGE_HEDGE = r"(?:(?:about|roughly|around|nearly|almost|like|just|only|over|now|uh|um)[\s,]+)*"
# an age ends the clause: no unit after it ("I'd be ten minutes"), then punctuation or a joiner
_AGE_END = (rf"(?!\s*,?\s*{AGE_UNITS}\b)(?=\s*(?:[.,;!?]|$|and\b|or\b|now\b|next\b|this\b|"
            r"in\b|then\b|soon\b|last\b|on\b|at\b|already\b|yesterday\b|today\b|i\b))")
_AGE_PATTERNS = [
    # forty five years old / 45-year-old / aged 92 / age 92
    rf"\b(?P<n>{CARD}|{AGE_NUMBER})(?:\s+and\s+a\s+half)?[\s-]+(?:years?|yrs?)[\s-]+old\b",
    rf"\b(?P<n>{CARD}|{AGE_NUMBER})[\s-]+year[\s-]+old\b",
    rf"\baged?\s+(?:of\s+)?(?P<n>{CARD}|{AGE_NUMBER})\b",
    # I'm fifty. / I am seven, twenty seven / you're forty five, OK / she's ninety-two
    rf"\b(?:i'?m|i\s+am|you'?re|you\s+are|he'?s|she'?s|he\s+is|she\s+is)\s+(?:(?:uh|um|only|"
    rf"just|now|nearly|almost|about|around|turning|going\s+to\s+be)[\s,]+)*(?P<n>{AGE_NUMBER}"
    rf"(?:\s*,\s*{AGE_NUMBER})*)(?!\s*,?\s*{AGE_UNITS}\b)(?=\s*(?:[.,;!?]|$|and\b|now\b|"
    rf"next\b|this\b|in\b))",
    rf"\b(?:i'?m|i\s+am)\s+(?P<n>{CARD}\s*,\s*{AGE_NUMBER})\b",
    # an age worked out or corrected: "so that makes you twenty six?", "I suppose I'd be fifty
    # three", "I'll be forty next month", "she turned ninety"
    rf"\b(?:makes?|making|made)\s+(?:you|me|him|her|them)\s+{_AGE_HEDGE}(?P<n>{AGE_NUMBER}"
    rf"(?:\s*,\s*{AGE_NUMBER})*){_AGE_END}",
    rf"\b(?:(?:i|you|he|she|they)(?:'?d|'?ll|\s+would|\s+will)|i\s+should)\s+be\s+"
    rf"{_AGE_HEDGE}(?P<n>{AGE_NUMBER}){_AGE_END}",
    rf"\b(?:just\s+)?(?:turned|turning|turns)\s+{_AGE_HEDGE}(?P<n>{AGE_NUMBER}){_AGE_END}",
    rf"\b(?P<n>{CARD}|{AGE_NUMBER})\s+years?\s+of\s+age\b",
    # a child's age: "he's 2 1/2", "she's two", "six months old"
    rf"\b(?:he'?s|she'?s|he\s+is|she\s+is)\s+{_AGE_HEDGE}(?P<n>{CARD}(?:\s+(?:and\s+a\s+half|"
    rf"1/2|½))?){_AGE_END}",
    rf"\b(?P<n>{CARD}|{AGE_NUMBER})(?:\s+and\s+a\s+half)?[\s-]+(?:months?|weeks?)[\s-]+old\b",
]
_AGE_RES = [re.compile(p, FLAGS) for p in _AGE_PATTERNS]

_NAME = rf"{CAP}(?:\s+{CAP}){{0,2}}"
# "Dr." is a title; "I'm Doctor. Nice to see you" ends a sentence.
_TITLE = r"(?:(?:Dr|Mr|Mrs|Ms|Prof)\.?|Doctor|Miss|Mister|Nurse|Sister|Professor)"
_NAME_PATTERNS = [
    # my name is / my name's / name is / I'm called / call me
    rf"\b(?i:my\s+name\s+is|my\s+name's|name's|names\s+is|name\s+is|i'?m\s+called|call\s+me)"
    rf"(?:\s*,?\s*(?i:{FILL}|just|actually|doctor|dr\.?)\s*,?)*\s+(?P<n>{_NAME})",
    rf"\b{_TITLE}\s+(?P<n>{_NAME})",
    # this is Jack / I'm Peter / it's Sarah Smith (only a capitalised, non-common word)
    rf"\b(?i:this\s+is|i'?m|i\s+am|it's|it\s+is|that's)(?:\s*,?\s*(?i:{FILL})\s*,?)*"
    rf"\s+(?P<n>{_NAME})",
]
_NAME_PATTERNS += [
    # someone spoken to or of: "I talked to Charlotte", "ask Jack", "told Mary"
    rf"\b(?i:(?:talk(?:ed|ing|s)?|spoke|speak(?:ing|s)?|chat(?:ted|ting)?)\s+(?:to|with)|told|"
    rf"tell|asked|texted|phoned|rang)\s+(?P<n>{_NAME})",
]
_NAME_RES = [re.compile(p) for p in _NAME_PATTERNS]
# The third and fourth patterns guess from a capital letter alone ("I'm Salbutamol"): a clinical
# word overrules them (see consult_audio.privacy.redactor); the first two are cues no medicine
# follows.
_NAME_SOURCES = ("spoken-name", "spoken-name", "spoken-name-guess", "spoken-name-guess")
# A name said to someone: after a greeting or thanks ("Hi Faiha,", "Alright Ann.", "Take care,
# Ben"), or last in a question ("how old are you, Jen?", "do you smoke Jessica?"). Weaker than a
# model's place ("Have you been in Leeds?"): see source_rank.
_VOCATIVE_RE = re.compile(
    rf"\b(?i:hi|hello|hey|hiya|thanks|thank\s+you|bye|goodbye|cheers|morning|afternoon|evening|"
    rf"alright|all\s+right|ok|okay|right|sorry|dear|take\s+care|welcome)\s*,?\s+"
    rf"(?P<n>{CAP}(?:\s+{CAP})?)(?=\s*(?:[,.!?;]|$))")
# ... or after "and", "so", "um"... before a comma: "and Kim, have to ask", "um, Adriana, do you"
_CLAUSE_START_RE = re.compile(
    rf"\b(?i:and|so|but|um|uh|er|erm|now|right|ok|okay|well|then)\s*,?\s+(?P<n>{CAP}),\s+"
    rf"(?P<next>[\w']+)")
# ... or the subject of a clause inside a sentence, before its verb: "Last time I talked to
# Charlotte, Hank seems to be doing well", "and Maya says it hurts"
_SUBJECT_VERBS = ("is|was|has|had|does|did|doesn't|didn't|isn't|wasn't|seems|seemed|says|said|"
                  "goes|went|gets|got|lives|lived|works|worked|thinks|thought|tells|told|wants|"
                  "wanted|comes|came|calls|called|looks|looked|feels|felt|keeps|kept|takes|took|"
                  "knows|knew|will|would|can|could|should|might|must")
_SUBJECT_RE = re.compile(
    rf"(?:,|\b(?i:and|but|because|cause|so|when|while|since|if|that|then))\s+(?P<n>{CAP})\s+"
    rf"(?=(?i:{_SUBJECT_VERBS})\b)")
_SENTENCE_ADVERBS = word_set("""however otherwise anyway anyways also basically obviously
unfortunately fortunately luckily hopefully generally normally usually typically honestly
seriously actually apparently clearly certainly definitely absolutely exactly perfect great lovely
brilliant excellent fantastic fine sure first firstly secondly thirdly finally lastly next overall
sometimes occasionally initially originally recently currently yesterday today tonight tomorrow
afterwards meanwhile plus wait look listen see again anyhow personally unless otherwise sadly
thankfully interestingly ideally realistically essentially literally especially mainly mostly
probably possibly maybe perhaps surely cool nice awesome wonderful true fair correct""")
_QUESTION_END_RE = re.compile(rf"(?P<before>[\w']+),?\s+(?P<n>{CAP})\s*\?")
_NOT_BEFORE_NAME = word_set("""in to at on of for from near into onto by with about like than as
the a an some any your my his her their our its this that called named take taking took tried
try use using used had have has got get see seen heard""")
# A place where someone lives, works, studies or went: "I live just outside of London", "the
# other boy works in Fort Mac", "we went down to Toronto".
_PLACE_RE = re.compile(
    rf"\b(?i:liv(?:e|es|ed|ing)|home\s+is|moved|grew\s+up|based|raised|work(?:s|ed|ing)?|"
    rf"stud(?:y|ies|ied|ying)|stay(?:s|ed|ing)?|went|go(?:es|ing)?|travel(?:l?ed|l?ing)?|trip|"
    rf"visit(?:s|ed|ing)?|born|(?:come|comes|am|i'm|originally)\s+from)\b[^.?!]{{0,40}}?"
    rf"\b(?i:in|at|near|outside(?:\s+of)?|around|to|from)\s+(?P<n>{CAP}(?:\s+{CAP})?)")
_NAME_INTRO_RE = re.compile(r"\b(?:my\s+name\s+is|my\s+name's|name\s+is)\b", FLAGS)

_POSTCODE_NUM = rf"(?:{TEEN}|{TEN}(?:{J}{UNIT})?|{UNIT}|zero|oh|\d{{1,2}})"
_ADDRESS_PATTERNS = [
    # (number / flat) sixty two Lewin Road, 4 Park Avenue
    rf"\b(?:(?:number|no\.?|flat|apartment|unit)\s+)?(?:{CARD}(?:[\s,-]+{CARD}){{0,3}}|"
    rf"\d{{1,4}}[a-z]?),?\s+(?:[A-Z][a-z]+\s+){{1,3}}{STREET}\b",
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
    r"me|info|biz|[a-z]{2})\b(?:\s+dot\s+\w+)*", FLAGS)
_EMAIL_JOIN = frozenset({"dot", "underscore", "dash", "hyphen"})
_EMAIL_LEAD = word_set("""is it's its that's email e-mail address yes yeah my uh um er sure and
so well it that""")

# numbers read out digit by digit: "oh seven seven double oh nine ...", "485 777 3456"
_DIGIT_RUN_RE = re.compile(
    rf"\b(?:{DIGIT_WORD}|\d+)(?:[\s,.-]+(?:{DIGIT_WORD}|\d+)){{5,}}\b", FLAGS)
_PHONE_CONTEXT_RE = re.compile(r"\b(?:phone|mobile|number|call|ring|contact|landline|cell|tel)\b",
                               FLAGS)
_ID_CONTEXT_RE = re.compile(
    r"\b(?:nhs|hospital|patient|social\s+security|ssn|insurance|passport|licen[cs]e|reference|"
    r"account|chi|mrn|medical\s+record)\b", FLAGS)


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


def _find_ages(text: str) -> Iterator[Finding]:
    for regex in _AGE_RES:
        for m in regex.finditer(text):
            yield Finding(m.start("n"), m.end("n"), age_kind(m.group("n")), "spoken-age")


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
    for m in _SUBJECT_RE.finditer(text):
        if not is_common_word(m.group("n")):
            yield Finding(m.start("n"), m.end("n"), "name", "guess-subject")
    for m in _CLAUSE_START_RE.finditer(text):
        word = m.group("n").lower()
        if (not is_common_word(word) and word not in _SENTENCE_ADVERBS and word not in VALUES
                and m.group("next").lower() != word):  # "Nothing, nothing": no name
            yield Finding(m.start("n"), m.end("n"), "name", "guess-vocative")
    for m in _QUESTION_END_RE.finditer(text):
        if m.group("before").lower() not in _NOT_BEFORE_NAME and not is_common_word(m.group("n")):
            yield Finding(m.start("n"), m.end("n"), "name", "guess-vocative")
    # "my name is john smith" with no capitals (some ASR output): the next one or two words
    for m in _NAME_INTRO_RE.finditer(text):
        rest = re.match(rf"(?:\s*,?\s*(?:{FILL})\s*,?)*\s*([a-z]+(?:\s+[a-z]+)?)\b",
                        text[m.end():])
        if rest and text[m.end():][rest.start(1)].islower():
            words = rest.group(1).split()
            if words and all(w not in NOT_NAMES and not FILL_RE.fullmatch(w) for w in words):
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
