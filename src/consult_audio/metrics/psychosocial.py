"""Psychosocial content: emotions, concerns and beliefs, work, family and social life, impact on
daily life, finances and stressors (coding manual, "Psychosocial content")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from consult_audio.metrics.cues import content_words, is_backchannel_text, normalise
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


def code_utterance(text: str, rules: Rules, *, role: Role = Role.PATIENT) -> tuple[str, Match] | None:
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
    """One event per psychosocial utterance (either speaker). A short patient answer to a
    clinician's psychosocial question counts too, with the question's category."""
    events: list[Event] = []
    last_clinician: tuple[int, str] | None = None  # index, category of a psychosocial question
    max_answer = rules.timing("short_answer_max_words")
    for i, u in enumerate(c.utterances):
        role = c.role_of(u.speaker)
        coded = code_utterance(u.text, rules, role=role)
        if coded:
            category, m = coded
            events.append(_event(c, i, category, m.evidence()))
        elif (role == Role.PATIENT and last_clinician is not None
              and 0 < len(content_words(u.text, rules)) <= max_answer
              and not is_backchannel_text(u.text, rules)):
            q_index, category = last_clinician
            events.append(_event(c, i, category, {
                "rule": "short answer to a psychosocial question", "question_utterance": q_index}))
        if role == Role.CLINICIAN and not is_backchannel_text(u.text, rules):
            last_clinician = (i, coded[0]) if coded and "?" in u.text else None
    return events


def _event(c: Consultation, i: int, category: str, evidence: dict[str, object]) -> Event:
    u = c.utterances[i]
    return Event(
        type="psychosocial",
        start_s=u.start,
        end_s=u.end,
        role=str(c.role_of(u.speaker)),
        text=u.text,
        label=category,
        speaker=u.speaker,
        utterance=i,
        evidence=evidence,
    )


def psychosocial_metrics(c: Consultation, events: Sequence[Event], *, speech_s: float) -> Psychosocial:
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
