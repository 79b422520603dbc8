"""Psychosocial content: emotions, concerns and beliefs, work, family and social life, impact on
daily life, finances and stressors (coding manual, "Psychosocial content")."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from consult_audio.metrics.cues import content_words, is_backchannel_text, normalise
from consult_audio.metrics.events import utterance_event
from consult_audio.metrics.negation import is_negated
from consult_audio.metrics.timeline import total
from consult_audio.model import Consultation, Event, Psychosocial, Role
from consult_audio.rules import Match, PatternSet, Rules
from consult_audio.text import sentences


def without_excluded(text: str, patterns: PatternSet) -> str:
    """The text with biomedical uses of psychosocial words blanked out (family history, "the
    tablets will work"...), so the rest of the utterance can still count. All patterns are
    matched on the original text, so one exclusion cannot hide another's context."""
    spans = [m.span() for p in patterns.patterns for m in p.finditer(text)]
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


# Categories whose cues a negation cancels ("I'm not worried", "no concerns"). Impact is not
# among them: "I can't work" is the impact itself.
NEGATABLE = ("emotion", "concern_belief")
# Words by which a clinician's sentence is about the patient (or a child patient) rather than
# about the clinician ("I'm one of the doctors that works here").
_ABOUT_SOMEONE_ELSE = re.compile(
    r"\b(you|your|yours|yourself|you're|you've|you'd|you'll|he|she|his|her|him|he's|she's|they|"
    r"their|them|they're)\b")
# A request to repeat ("Sorry?", "Again?") answers nothing.
_REPAIR = re.compile(r"^\W*(sorry|pardon|again|what|come again|say (that )?again|excuse me)"
                     r"( again)?\W*$")
_FIRST_PERSON = re.compile(r"\b(i|i'm|i've|i'd|i'll|we|we're|we've|we'd|we'll|my|our|me|us)\b")


def _without_own_talk(text: str) -> str:
    """A clinician's text with the sentences about the clinician blanked: first person and no
    word for the patient."""
    chars = list(text)
    for start, end, sentence in sentences(text):
        if _FIRST_PERSON.search(sentence) and not _ABOUT_SOMEONE_ELSE.search(sentence):
            chars[start:end] = " " * (end - start)
    return "".join(chars)


def _first_cue(text: str, category: str, ps: PatternSet) -> Match | None:
    """The first cue of ``category`` in ``text`` that no negation cancels (statements only: a
    question such as "no worries at all?" still raises the subject)."""
    if category not in NEGATABLE:
        return ps.search(text)
    for i, pattern in enumerate(ps.patterns):
        for m in pattern.finditer(text):
            if _in_question(text, m.start()) or not is_negated(text, m.start(), m.end()):
                return Match(f"{ps.name}[{i}]", m.group(0))
    return None


def _in_question(text: str, at: int) -> bool:
    for start, end, sentence in sentences(text):
        if start <= at < end:
            return sentence.rstrip().endswith("?")
    return False


def code_utterance(
    text: str, rules: Rules, *, role: Role = Role.PATIENT, skip: Sequence[str] = ()
) -> tuple[str, Match] | None:
    """The first psychosocial category whose cues appear in ``text``, with the match.

    Psychosocial content is about the patient's life. The clinician's own clinical reasoning
    ("I'm not worried it's...", ``psychosocial.exclude_clinician``) and the clinician's talk
    about themselves ("I'm one of the doctors that works here") are not. Negated emotions and
    concerns ("I'm not worried", "no concerns with that") are not either (NegEx scope over
    negspacy's termset, :mod:`consult_audio.metrics.negation`). Categories in ``skip`` are not
    coded (the context made their cues biomedical)."""
    cleaned = without_excluded(normalise(text), rules.patterns("psychosocial", "exclude"))
    if role == Role.CLINICIAN:
        cleaned = without_excluded(cleaned, rules.patterns("psychosocial", "exclude_clinician"))
        cleaned = _without_own_talk(cleaned)
    for category, ps in rules.categories("psychosocial", "categories").items():
        if category in skip:
            continue
        m = _first_cue(cleaned, category, ps)
        if m:
            return category, m
    return None


def find_psychosocial(c: Consultation, rules: Rules) -> list[Event]:
    """One event per psychosocial utterance (either speaker).

    Context carries into a short patient answer (up to ``timing.short_answer_max_words``): the
    answer to a clinician's psychosocial question counts, with the question's category; the
    answer to a biomedical use of the same words (a job asked about as a physical exposure,
    family history) does not count for that category. Work named in the answer to a question
    about what caused or triggered the problem (``psychosocial.exposure_question``) is an
    exposure, not the patient's working life.
    """
    events: list[Event] = []
    asked: tuple[int, str] | None = None  # a psychosocial question: index, category
    excluded: str | None = None  # category whose cue the last question used biomedically
    exposure = False  # the last question asked what caused or triggered the problem
    max_answer = rules.timing("short_answer_max_words")
    for i, u in enumerate(c.utterances):
        role = c.role_of(u.speaker)
        # Work named in answer to "did anything trigger it?" is a physical exposure (manual).
        skip = ("work",) if exposure and role == Role.PATIENT else ()
        coded = code_utterance(u.text, rules, role=role, skip=skip)
        if coded is None and role == Role.CLINICIAN:
            coded = _clinician_exploring(u.text, rules)
        short = 0 < len(content_words(u.text, rules)) <= max_answer
        answering = (role == Role.PATIENT and short and not is_backchannel_text(u.text, rules)
                     and not _REPAIR.match(normalise(u.text)))
        if coded and not (answering and coded[0] == excluded):
            category, m = coded
            events.append(utterance_event(c, i, "psychosocial", m, label=category))
        elif not coded and answering and asked is not None:
            q_index, category = asked
            events.append(utterance_event(c, i, "psychosocial", label=category, evidence={
                "rule": "short answer to a psychosocial question", "question_utterance": q_index}))
        if role == Role.CLINICIAN and not is_backchannel_text(u.text, rules):
            # Only a psychosocial question gives an answer its context, not a psychosocial
            # word in an explanation that ends "does that make sense?".
            asked_text = " ".join(q for _, _, q in sentences(u.text) if q.rstrip().endswith("?"))
            question = bool(asked_text)
            in_question = (code_utterance(asked_text, rules, role=role)
                           if question and coded else None)
            asked = (i, in_question[0]) if coded and in_question else None
            excluded = _excluded_category(asked_text, rules) if question and not coded else None
            exposure = question and bool(
                rules.patterns("psychosocial", "exposure_question").search(normalise(asked_text)))
    return events


def _clinician_exploring(text: str, rules: Rules) -> tuple[str, Match] | None:
    """A clinician question about the patient's own ideas of the problem ("any ideas what
    could be causing it?"): a ``concern_belief`` without a cue word."""
    norm = normalise(text)
    for _, _, sentence in sentences(norm):
        if sentence.rstrip().endswith("?"):
            m = rules.patterns("questions", "tags", "ideas").search(sentence)
            if m:
                return "concern_belief", m
    return None


def _excluded_category(text: str, rules: Rules) -> str | None:
    """The category whose cues appear in ``text`` only in excluded, biomedical uses."""
    norm = normalise(text)
    for category, ps in rules.categories("psychosocial", "categories").items():
        if ps.search(norm):
            return category
    return None


def psychosocial_metrics(
    c: Consultation, events: Sequence[Event], *, speech_s: float
) -> Psychosocial:
    """When psychosocial talk first appears (s and fraction of the consultation), who raised it,
    and its share of speech time."""
    first = min(events, key=lambda e: e.start_s, default=None)
    covered = total((e.start_s, e.end_s) for e in events)
    return Psychosocial(
        first_s=first.start_s if first else None,
        first_by=first.role if first else None,
        first_fraction=first.start_s / c.duration if first and c.duration else None,
        share=covered / speech_s if speech_s else 0.0,
        utterances=len(events),
        by_category=dict(Counter(e.label for e in events)),
    )
