"""Words that de-identification never turns into a placeholder: medicines, devices, conditions,
symptoms, anatomy, care words, fillers, family words, and places larger than a state.

Two sources, both offline:

- the drug dictionary of the ``drug-named-entity-recognition`` package (about 107,000 generic and
  brand names and their variants, from DrugBank, MeSH, Wikipedia and the NHS), shipped inside its
  wheel and loaded with the network blocked (:func:`drug_variants`);
- ``data/clinical_terms.json``: the UK brands and devices it lacks (Clenil, Implanon, Dioralyte...),
  conditions, symptoms, anatomy and care words, fillers, and regions; with the fillers, discourse
  markers and backchannels of the packaged rules (``data/rules.json``).

A recogniser that only guesses (spaCy's people and places, a word propagated from elsewhere in the
consultation, "I'm X") is overruled by these words; a cue that cannot mean a medicine ("my name is
...", "Doctor ...", the answer to "your date of birth?") is not (see :mod:`.redact`).
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

from consult_audio.privacy.network import block_network

__all__ = ["CLINICAL", "NOT_NAME", "REGION", "ClinicalLexicon", "Protected", "clinical_lexicon",
           "drug_variants"]

log = logging.getLogger(__name__)

DRUG_PACKAGE = "drug_named_entity_recognition"
TERMS_FILE = "clinical_terms.json"
MAX_PHRASE_WORDS = 4  # longer dictionary entries ("ibuprofen, aluminum salt ...") are skipped
# Single dictionary words shorter than this are skipped: codes and short brands that are also
# names or words ("hana", "tums"); the packaged list holds the few short medicines that matter.
MIN_DRUG_LETTERS = 5
# A word this long that is one edit from a medicine as long, or holds its letters in another order
# between the same first and last letter, is that medicine misspelt ("Lisonopril", "Ventilin",
# "Diarolyte"). Shorter words are never matched approximately: Madison is one edit from maldison.
FUZZY_MIN_LETTERS = 8

# What a protected span stops: CLINICAL any placeholder a guess would put there; NOT_NAME and
# REGION a [NAME] or [ADDRESS] (a country, state or province is no identifier under Safe Harbor;
# those that are also given names, such as Georgia, are not in the list).
CLINICAL = "clinical"
NOT_NAME = "not_name"
REGION = "region"
_CATEGORIES: Mapping[str, str] = {
    "medicines": CLINICAL, "devices_and_treatments": CLINICAL, "conditions": CLINICAL,
    "symptoms": CLINICAL, "anatomy": CLINICAL, "care": CLINICAL, "exposures": CLINICAL,
    "kin": NOT_NAME,
    "fillers": NOT_NAME, "regions": REGION,
}
BLOCKS: Mapping[str, frozenset[str]] = {
    CLINICAL: frozenset({"name", "address", "date", "age", "age_over_89", "id", "phone"}),
    NOT_NAME: frozenset({"name", "address"}),
    REGION: frozenset({"name", "address"}),
}
_STRENGTH = {CLINICAL: 2, NOT_NAME: 1, REGION: 0}  # where one word is in two lists

# hesitations however they are spelt: "Mmmm", "Mhmm", "Uhmm", "Hmmm", "Ahh", "Ohhh", "Errr"
_FILLER_RE = re.compile(r"(?:m+h*m*|h+m+|u+h*m*|a+h+|o+h+|e+r+m*|u+m+h*)", re.IGNORECASE)
_TOKEN_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9&]|['\u2019-](?=[A-Za-z0-9]))*")


@dataclass(frozen=True, slots=True)
class Protected:
    """Characters ``[start, end)`` of a text are a clinical word or phrase of ``category``;
    ``medicine``: it is a medicine (a word next to it may be part of its name)."""

    start: int
    end: int
    category: str
    medicine: bool = False


def _tokens(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0).lower().replace("\u2019", "'"))
            for m in _TOKEN_RE.finditer(text)]


def _key(phrase: str) -> tuple[str, ...]:
    return tuple(t for _, _, t in _tokens(phrase))


def _variants(word: str) -> Iterable[str]:
    """A word without a possessive or plural ending."""
    for end in ("'s", "s'", "'", "es", "s"):
        if word.endswith(end) and len(word) - len(end) >= 3:
            yield word[: -len(end)]


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment edit distance of ``a`` and ``b``, or ``limit + 1`` past it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


@dataclass(frozen=True)
class ClinicalLexicon:
    """Lower-case phrases (tuples of words) and what they stop; medicines also matched within
    an edit or two (:meth:`medicine_like`)."""

    phrases: Mapping[tuple[str, ...], str]
    medicines: frozenset[tuple[str, ...]]
    _fuzzy: Mapping[tuple[str, int], tuple[str, ...]]

    @classmethod
    def build(cls, groups: Mapping[str, Iterable[str]],
              drugs: Iterable[str] = ()) -> ClinicalLexicon:
        """``groups``: category -> phrases; ``drugs``: the drug dictionary's variants."""
        phrases: dict[tuple[str, ...], str] = {}
        medicines: set[tuple[str, ...]] = set()

        def add(phrase: str, category: str, *, medicine: bool) -> None:
            key = _key(phrase)
            if not key or len(key) > MAX_PHRASE_WORDS:
                return
            if key not in phrases or _STRENGTH[category] > _STRENGTH[phrases[key]]:
                phrases[key] = category
            if medicine:
                medicines.add(key)

        for variant in drugs:
            key = _key(variant)
            if len(key) == 1 and (len(key[0]) < MIN_DRUG_LETTERS or not key[0].isalpha()):
                continue
            add(variant, CLINICAL, medicine=True)
        for group, words in groups.items():
            for phrase in words:
                add(phrase, _CATEGORIES[group], medicine=group == "medicines")
        fuzzy: dict[tuple[str, int], list[str]] = {}
        for key in medicines:
            if len(key) == 1 and len(key[0]) >= FUZZY_MIN_LETTERS:
                fuzzy.setdefault((key[0][:2], len(key[0])), []).append(key[0])
        return cls(phrases, frozenset(medicines), {k: tuple(v) for k, v in fuzzy.items()})

    def protected(self, text: str) -> list[Protected]:
        """The clinical words and phrases of ``text``, longest first where they overlap."""
        tokens = _tokens(text)
        found = []
        i = 0
        while i < len(tokens):
            for n in range(min(MAX_PHRASE_WORDS, len(tokens) - i), 0, -1):
                words = tuple(t for _, _, t in tokens[i:i + n])
                key = next((k for k in self._forms(words) if k in self.phrases), None)
                if key is not None:
                    found.append(Protected(tokens[i][0], tokens[i + n - 1][1], self.phrases[key],
                                           key in self.medicines))
                    i += n
                    break
                if n == 1 and _FILLER_RE.fullmatch(words[0]):
                    found.append(Protected(tokens[i][0], tokens[i][1], NOT_NAME))
                    i += 1
                    break
            else:
                i += 1
        return found

    def _forms(self, words: tuple[str, ...]) -> Iterable[tuple[str, ...]]:
        """``words``, then without a possessive ending ("Dad's"), then without a plural ending
        where that gives a clinical phrase ("inhalers"; not "Wells" -> "well")."""
        yield words
        for last in _variants(words[-1]):
            key = (*words[:-1], last)
            if words[-1].endswith(("'s", "s'")) or self.phrases.get(key) == CLINICAL:
                yield key

    def medicine_like(self, word: str) -> bool:
        """``word`` is a medicine's name misspelt (see :data:`FUZZY_MIN_LETTERS`)."""
        word = word.lower()
        if len(word) < FUZZY_MIN_LETTERS or not word.isalpha():
            return False
        letters = sorted(word)
        for length in (len(word) - 1, len(word), len(word) + 1):
            for candidate in self._fuzzy.get((word[:2], length), ()):
                if _distance(word, candidate, 1) <= 1 or (
                        candidate[-1] == word[-1] and sorted(candidate) == letters):
                    return True
        return False


@functools.cache
def drug_variants() -> frozenset[str]:
    """Every name in the drug dictionary of ``drug-named-entity-recognition`` (lower case), read
    with the network blocked; empty, with a warning, when the package is not installed."""
    try:
        with block_network(offline_env=False):
            finder = importlib.import_module(f"{DRUG_PACKAGE}.drugs_finder")
    except ImportError:
        log.warning("%s is not installed: drug names are protected only by the packaged list "
                    "(pip install 'consult-audio[redact]')", DRUG_PACKAGE.replace("_", "-"))
        return frozenset()
    return frozenset(str(v) for v in finder.drug_variant_to_canonical)


def packaged_terms() -> dict[str, list[str]]:
    """``data/clinical_terms.json`` by category, with the rules' fillers and backchannels."""
    raw = json.loads(resources.files("consult_audio").joinpath("data", TERMS_FILE)
                     .read_text(encoding="utf-8"))
    groups = {k: list(v) for k, v in raw.items() if k in _CATEGORIES}
    from consult_audio.rules import default_rules

    rules = default_rules()
    groups["fillers"] += sorted(rules.words("fillers") | rules.words("backchannel", "tokens")
                                | frozenset(rules.phrases("discourse_markers")))
    return groups


@functools.cache
def clinical_lexicon() -> ClinicalLexicon:
    """The lexicon of the packaged terms and the drug dictionary, built once per process."""
    return ClinicalLexicon.build(packaged_terms(), drug_variants())
