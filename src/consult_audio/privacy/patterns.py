"""The pieces the spoken-identifier recognisers are built from: number words ("twenty-one",
"nineteen oh five", "the seventh"), months and years as regular expressions, the units that
show a number is no age, capitalised words and street words; and :func:`number_value`.

Every pattern here is a string to be joined into a larger regular expression (compiled with
:data:`FLAGS` unless it says otherwise); the lists are lower case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["AGE_NUMBER", "AGE_NUMBER_RE", "AGE_UNITS", "CAP", "CARD", "DIGIT_WORD", "FILL",
           "FILL_RE", "FLAGS", "J", "MONTH", "MONTHS", "MONTH_ABBR", "ORD", "SEP", "STREET", "TEEN",
           "TEENS", "TEN", "TENS", "UNIT", "UNITS", "VALUES", "YEAR", "YY", "any_of",
           "number_value", "word_set"]

UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen"]
TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORD_UNITS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"]
_ORD_TEENS = ["tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
              "sixteenth", "seventeenth", "eighteenth", "nineteenth"]
_ORD_TENS = ["twentieth", "thirtieth"]
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
MONTH_ABBR = ["jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"]

VALUES = {w: i for i, w in enumerate(UNITS)} | {"oh": 0, "o": 0, "nought": 0}
VALUES |= {w: 10 + i for i, w in enumerate(TEENS)}
VALUES |= {w: 20 + 10 * i for i, w in enumerate(TENS)}


def word_set(text: str) -> frozenset[str]:
    """A set of words written as one string (long word lists stay readable)."""
    return frozenset(text.split())


def any_of(words: Iterable[str]) -> str:
    """A regular-expression any_of of ``words``, longest first (so "nineteen" is tried
    before "nine")."""
    return "|".join(sorted(words, key=len, reverse=True))


UNIT = rf"(?:{any_of(UNITS[1:])})"
DIGIT_WORD = rf"(?:{any_of(UNITS)}|oh|nought|double|triple)"
TEEN = rf"(?:{any_of(TEENS)})"
TEN = rf"(?:{any_of(TENS)})"
J = r"(?:[\s-]+)"  # joins the words of one number: "twenty-one", "twenty one"
# a cardinal 1-99 as words, or 1-3 digits
CARD = rf"(?:{TEN}(?:{J}{UNIT})?|{TEEN}|{UNIT}|\d{{1,3}})"
ORD = (rf"(?:(?:{TEN}{J})?(?:{any_of(_ORD_UNITS)})|{any_of(_ORD_TEENS)}|{any_of(_ORD_TENS)}"
       r"|\d{1,2}(?:st|nd|rd|th))")
MONTH = rf"(?:{any_of(MONTHS + MONTH_ABBR)})\.?"
# a year: 1900-2099 in digits; "nineteen seventy four", "nineteen oh five", "two thousand and
# three", "twenty twelve"; a bare decade "eighty" or "'99" only where a date is certain (YY)
YEAR = (rf"(?:(?:19|20)\d\d|nineteen{J}(?:hundred|{TEN}(?:{J}{UNIT})?|(?:oh|o){J}{UNIT}"
        rf"|{TEEN})|two{J}thousand(?:{J}and)?(?:{J}(?:{TEN}(?:{J}{UNIT})?|{TEEN}|{UNIT}))?"
        rf"|twenty{J}(?:{TEEN}|{TEN}(?:{J}{UNIT})?))")
YY = rf"(?:'?\d\d|{TEN}(?:{J}{UNIT})?|(?:oh|o){J}{UNIT})"
# fillers and joiners allowed between the parts of a spoken date
FILL = r"(?:uh+|um+|erm|er|ah|hmm)"
SEP = rf"(?:\s*,?\s*(?:(?:{FILL}|on|the|of|and|in)\s*,?\s*)*)"

FLAGS = re.IGNORECASE

# Units after a number that make it no age ("ten minutes", "two tablets", "ninety percent").
AGE_UNITS = (r"(?:years?|yrs?|year[\s-]olds?|days?|weeks?|months?|hours?|minutes?|mins?|"
             r"seconds?|times?|percent|per|pounds?|kilos?|kg|stone|o'clock|pm|am|a\.m|p\.m|"
             r"milligrams?|mg|grams?|ml|units?|tablets?|pills?|cigarettes?|pints?|of|or|to)")
# A number that can be an adult's age: 10-99 as words, 2-3 digits, "a hundred and two".
AGE_NUMBER = rf"(?:{TEN}(?:{J}{UNIT})?|{TEEN}|\d{{2,3}}|hundred(?:{J}and)?(?:{J}{CARD})?)"
AGE_NUMBER_RE = re.compile(AGE_NUMBER, FLAGS)

# A capitalised word that can be a name (O'Neil, Smith-Jones, McDonald); compiled without FLAGS.
CAP = r"(?:[A-Z](?:[a-z]+|'[A-Z][a-z]+)(?:-[A-Z]?[a-z]+)*)"

# Street words of an address ("Lewin Road", "Mill Lane"); capitalised, so compiled without FLAGS.
STREET = (r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Place|Pl|Court|Ct|"
          r"Crescent|Terrace|Gardens|Square|Hill|Grove|Park|Row|Walk|Mews|Steps|Parade|Rise|"
          r"Green|Gate|View|Boulevard|Blvd)")
FILL_RE = re.compile(FILL, FLAGS)  # a filler word on its own


def number_value(phrase: str) -> int | None:
    """The value of a cardinal number phrase (``"forty five"`` -> 45, ``"92"`` -> 92); ``None`` when
    it is not one."""
    phrase = phrase.strip().lower()
    if phrase.isdigit():
        return int(phrase)
    total = 0
    for word in re.split(r"[\s-]+", phrase):
        if word not in VALUES:
            return None
        total += VALUES[word]
    return total
