"""Clinician questions (open or closed, with tags) and patient questions."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from consult_audio.metrics.cues import normalise, strip_leading_markers
from consult_audio.metrics.overlaps import char_time
from consult_audio.model import Consultation, Event, Role, Utterance
from consult_audio.rules import Match, Rules
from consult_audio.text import sentences, tokens

_AUX_SUBJECT = re.compile(
    r"^(do|does|did|is|are|was|were|have|has|had|can|could|will|would|any) "
    r"(you|your|it|that|this|there|the|they|he|she|anyone|anything|anybody|other|problems|pain|"
    r"blood)\b(?!,)")

# Questions a recogniser often writes without "?" (speech recognisers punctuate by guesswork):
# a statement with a confirming tag ("so no cough or cold, yeah."), a checklist item that starts
# with "any" ("any muscle weakness at all."), and a declarative that asks with "any" ("you didn't
# notice any white spots."). Advice with a modal ("you can take any painkiller") is not one.
_TAG_QUESTION = re.compile(
    r"\w+[ ,]+\w[^?]*,\s*(yeah|right|is that right|is that correct|correct|isn't it|is it|"
    r"aren't you|don't you|didn't you|haven't you|have you|do you|did you|are you)\.$")
_ELLIPTICAL_ANY = re.compile(r"^any (?!(time|way|case|rate|how|more|longer|point)\b)\w+")
_DECLARATIVE_ANY = re.compile(
    r"^you('re|'ve| are| have)? (?!(can|could|should|must|will|might|may|need|needs|have to|"
    r"would|just need|might want)\b)[^.?!]*\bany\b")

_GREETING_WINDOW_S = 30.0  # s from the first word: "How are you?" here is a greeting

# Tags whose questions are open by the coding manual's conventions.
_OPEN_TAGS = ("agenda", "expectations", "ideas")


@dataclass(frozen=True, slots=True)
class QuestionCoding:
    is_question: bool
    kind: str  # "open" | "closed" | ""
    tags: tuple[str, ...]
    why: Match | None


def code_sentence(sentence: str, rules: Rules, *, greeting_allowed: bool) -> QuestionCoding:
    """Decide whether one sentence is a question, and if so open or closed, with tags."""
    core = strip_leading_markers(sentence, rules)
    if not tokens(core):
        return QuestionCoding(False, "", (), None)
    asked = normalise(sentence).endswith("?")
    if rules.patterns("questions", "not_question").search(core.rstrip("?")):
        return QuestionCoding(False, "", (), None)
    if greeting_allowed and rules.patterns("questions", "greeting").search(core.rstrip("?")):
        return QuestionCoding(False, "", (), None)
    if rules.patterns("questions", "request_not_question").search(core):
        return QuestionCoding(False, "", (), None)
    request = rules.patterns("questions", "request").search(core)
    starts_like_question = rules.patterns("questions", "question_start").search(core)
    if not (asked or request or (starts_like_question and _aux_question(core))
            or _unmarked_question(core)):
        return QuestionCoding(False, "", (), None)
    tag_rules = rules.categories("questions", "tags")
    tags = tuple(tag for tag, ps in tag_rules.items() if ps.search(core))
    kind, why = _open_or_closed(core, tags, request, rules)
    return QuestionCoding(True, kind, tags, why)


def _aux_question(core: str) -> bool:
    """An auxiliary verb then a subject, e.g. ``are you aware of any triggers.`` written without a
    question mark: a complete sentence of four or more words. Wh-words alone do not count here
    (``what I'll do is...`` is a statement), nor do fragments (``are you, four days ago``)."""
    words = tokens(core)
    return (len(words) >= 4 and core.rstrip().endswith(".")
            and _AUX_SUBJECT.match(core) is not None)


def _unmarked_question(core: str) -> bool:
    """A question in a form that needs no "?" to be read as one (see ``_TAG_QUESTION``)."""
    text = core.rstrip()
    if not text.endswith("."):
        return False
    return bool(_TAG_QUESTION.search(text) or _ELLIPTICAL_ANY.match(text)
                or _DECLARATIVE_ANY.match(text))


def _open_or_closed(
    core: str, tags: Sequence[str], request: Match | None, rules: Rules
) -> tuple[str, Match]:
    """Open or closed by the question's form (coding manual, "Questions"), in this order:

    1. a tag that the manual codes open (agenda, expectations, ideas); then a confirmation
       ("..., is that right?") or a choice ("is it sharp or dull?"), closed; then an opening
       question ("what brings you in?"), open;
    2. a request ("could you tell me a little bit about...", "describe the pain"): open when it
       asks for an account, closed when it asks for one fact ("tell me your date of birth");
    3. an auxiliary-inverted yes/no question ("do you know what type it is?", "is it sharp or
       dull?"), closed whatever it embeds;
    4. an open form anywhere ("how does it affect you", "what's it like?");
    5. a follow-up ("how about any rashes?", "what about alcohol?"): closed, one item screened;
    6. a wh-word that asks one fact ("how long", "when", "which", "what medication"): closed;
    7. any other wh-question ("what happened?", "why?"): open; anything else is closed.
    """
    for tag in _OPEN_TAGS:
        if tag in tags:
            m = rules.patterns("questions", "tags", tag).search(core)
            assert m is not None
            return "open", m
    m = rules.patterns("questions", "confirmation").search(core)
    if m:
        return "closed", m
    m = rules.patterns("questions", "opening_question").search(core)
    if m:
        return "open", m
    if request:
        m = rules.patterns("questions", "request_open").search(core)
        return ("open", m) if m else ("closed", request)
    for section, kind in (("yes_no", "closed"), ("open", "open"), ("follow_up", "closed"),
                          ("closed_wh", "closed"), ("open_wh", "open")):
        m = rules.patterns("questions", section).search(core)
        if m:
            return kind, m
    return "closed", Match("questions.default_closed", " ".join(tokens(core)[:2]))


def opening_question_index(c: Consultation, rules: Rules) -> int | None:
    """Index of the clinician's opening question ("How can I help?"), if there is one in the
    first third of the consultation."""
    ps = rules.patterns("questions", "opening_question")
    admin = rules.patterns("questions", "administrative")
    origin = c.utterances[0].start if c.utterances else 0.0
    for i, u in enumerate(c.utterances):
        if u.start - origin > (c.duration - origin) / 3:
            break
        if c.role_of(u.speaker) != Role.CLINICIAN:
            continue
        text = normalise(u.text)
        for _, _, sentence in sentences(text):
            if ps.search(sentence) and not admin.search(sentence):
                return i
    return None


def _sentences_of(c: Consultation, role: Role) -> Iterator[tuple[int, Utterance, int, int, str]]:
    for i, u in enumerate(c.utterances):
        if c.role_of(u.speaker) == role:
            for start, end, sentence in sentences(u.text):
                yield i, u, start, end, sentence


def _question_event(
    event_type: str, role: Role, index: int, u: Utterance, sentence: str, coding: QuestionCoding,
    *, start_s: float, end_s: float, tags: tuple[str, ...] = (), evidence: Mapping[str, Any],
) -> Event:
    """The event for one question ``sentence`` of utterance ``u`` (``c.utterances[index]``),
    from ``start_s`` to ``end_s`` (s)."""
    return Event(type=event_type, start_s=start_s, end_s=end_s, role=str(role), text=sentence,
                 label=coding.kind, speaker=u.speaker, utterance=index, tags=tags,
                 evidence=evidence)


def find_questions(c: Consultation, rules: Rules) -> list[Event]:
    """Clinician question events, one per question sentence, in order."""
    opening = opening_question_index(c, rules)
    origin = c.utterances[0].start if c.utterances else 0.0
    greeting_until = (c.utterances[opening].end if opening is not None
                      else origin + _GREETING_WINDOW_S)
    events = []
    for i, u, start, end, sentence in _sentences_of(c, Role.CLINICIAN):
        said_at = char_time(u, start)
        coding = code_sentence(sentence, rules, greeting_allowed=said_at < greeting_until)
        if not coding.is_question:
            continue
        events.append(_question_event(
            "question", Role.CLINICIAN, i, u, sentence, coding,
            start_s=said_at, end_s=char_time(u, end), tags=coding.tags,
            evidence=coding.why.evidence() if coding.why else {},
        ))
    return events


def find_patient_questions(c: Consultation, rules: Rules) -> list[Event]:
    """Questions the patient asks (sentences ending in ``?`` that are not backchannels,
    greetings or requests to repeat)."""
    events = []
    for i, u, start, end, sentence in _sentences_of(c, Role.PATIENT):
        if not sentence.endswith("?"):
            continue
        coding = code_sentence(sentence, rules, greeting_allowed=True)
        if not coding.is_question:
            continue
        events.append(_question_event(
            "patient_question", Role.PATIENT, i, u, sentence, coding,
            start_s=char_time(u, start) if start else u.start, end_s=char_time(u, end),
            evidence={"rule": "ends with '?'"},
        ))
    return events
