"""Psychosocial content: emotions, concerns and beliefs, work, family and social life, impact on
daily life, finances and stressors (coding manual, "Psychosocial content")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from consult_audio.metrics.cues import content_words, is_backchannel_text, normalise
from consult_audio.metrics.events import utterance_event
from consult_audio.metrics.timeline import total
from consult_audio.model import Consultation, Event, Psychosocial, Role
from consult_audio.rules import Match, PatternSet, Rules


def without_excluded(text: str, patterns: PatternSet) -> str:
    """The text with biomedical uses of psychosocial words blanked out (family history, "the
    tablets will work"...), so the rest of the utterance can still count. All patterns are
    matched on the original text, so one exclusion cannot hide another's context."""
    spans = [m.span() for p in patterns.patterns for m in p.finditer(text)]
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def code_utterance(
    text: str, rules: Rules, *, role: Role = Role.PATIENT
) -> tuple[str, Match] | None:
    """The first psychosocial category whose cues appear in ``text``, with the match.

    The clinician's own clinical reasoning ("I'm not worried it's...") is not the patient's
    emotion: ``psychosocial.exclude_clinician`` removes it from clinician utterances."""
    cleaned = without_excluded(normalise(text), rules.patterns("psychosocial", "exclude"))
    if role == Role.CLINICIAN:
        cleaned = without_excluded(cleaned, rules.patterns("psychosocial", "exclude_clinician"))
    for category, ps in rules.categories("psychosocial", "categories").items():
        m = ps.search(cleaned)
        if m:
            return category, m
    return None


def find_psychosocial(c: Consultation, rules: Rules) -> list[Event]:
    """One event per psychosocial utterance (either speaker).

    Context carries into a short patient answer (up to ``timing.short_answer_max_words``): the
    answer to a clinician's psychosocial question counts, with the question's category; the
    answer to a biomedical use of the same words (a job asked about as a physical exposure,
    family history) does not count for that category.
    """
    events: list[Event] = []
    asked: tuple[int, str] | None = None  # a psychosocial question: index, category
    excluded: str | None = None  # category whose cue the last question used biomedically
    max_answer = rules.timing("short_answer_max_words")
    for i, u in enumerate(c.utterances):
        role = c.role_of(u.speaker)
        coded = code_utterance(u.text, rules, role=role)
        short = 0 < len(content_words(u.text, rules)) <= max_answer
        answering = role == Role.PATIENT and short and not is_backchannel_text(u.text, rules)
        if coded and not (answering and coded[0] == excluded):
            category, m = coded
            events.append(utterance_event(c, i, "psychosocial", m, label=category))
        elif not coded and answering and asked is not None:
            q_index, category = asked
            events.append(utterance_event(c, i, "psychosocial", label=category, evidence={
                "rule": "short answer to a psychosocial question", "question_utterance": q_index}))
        if role == Role.CLINICIAN and not is_backchannel_text(u.text, rules):
            question = "?" in u.text
            asked = (i, coded[0]) if coded and question else None
            excluded = _excluded_category(u.text, rules) if question and not coded else None
    return events


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
