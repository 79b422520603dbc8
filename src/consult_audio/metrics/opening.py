"""The patient's opening statement (coding manual, "The patient's opening statement")."""

from __future__ import annotations

from collections.abc import Sequence

from consult_audio.metrics.cues import (
    content_words,
    is_backchannel_text,
    is_encourager,
    is_tag_only,
    normalise,
    strip_leading_markers,
)
from consult_audio.metrics.questions import opening_question_index
from consult_audio.model import Consultation, Event, OpeningStatement, Role
from consult_audio.rules import Rules
from consult_audio.text import sentences

_NOT_FOUND = OpeningStatement(False, None, None, None, None, None, None)


def opening_statement(c: Consultation, overlaps: Sequence[Event], rules: Rules) -> OpeningStatement:
    """Find the opening statement and whether the clinician let it finish.

    It starts at the patient's first substantive utterance after the clinician's opening question
    (or, with none found, the first patient utterance of ``timing.opening_min_words`` words or
    more) and ends at the first clinician utterance that takes the floor; backchannels and
    encouragers do not end it. It was interrupted when that utterance's overlap with the patient
    was coded an interruption.
    """
    utts = c.utterances
    opening = opening_question_index(c, rules)
    min_words = 1 if opening is not None else int(rules.timing("opening_min_words"))
    start_from = opening if opening is not None else 0
    greeting = rules.words("questions", "greeting_words")
    greeting_pattern = rules.patterns("questions", "greeting")
    first = None
    for j in range(start_from, len(utts)):
        u = utts[j]
        words = content_words(u.text, rules)
        if opening is None or greeting_pattern.search(normalise(u.text)):
            words = [w for w in words if w not in greeting]
        if (c.role_of(u.speaker) == Role.PATIENT and not is_tag_only(u)
                and not is_backchannel_text(u.text, rules) and len(words) >= min_words
                and not _only_channel_talk(u.text, rules)
                and not _answers_admin(c, j, rules)):
            first = j
            break
    if first is None:
        return _NOT_FOUND
    ender = None
    for k in range(first + 1, len(utts)):
        u = utts[k]
        if c.role_of(u.speaker) == Role.CLINICIAN and not is_tag_only(u) \
                and not is_encourager(u.text, rules):
            ender = k
            break
    patient_part = [j for j in range(first, ender if ender is not None else len(utts))
                    if c.role_of(utts[j].speaker) == Role.PATIENT]
    last = patient_part[-1]
    start = utts[first].start
    end = max(utts[j].end for j in patient_part)
    interrupted = ender is not None and any(
        e.type == "interruption" and e.evidence.get("pair") == [p, ender] for e in overlaps
        for p in patient_part)
    if ender is not None and interrupted:
        end = min(end, utts[ender].start + rules.timing("interruption_successful_within_s"))
    return OpeningStatement(
        found=True,
        start_s=start,
        end_s=end,
        duration_s=end - start,
        completed=not interrupted,
        first_interruption_s=(utts[ender].start - start) if interrupted and ender else None,
        ended_by=utts[ender].text if ender is not None else None,
        first_utterance=first,
        last_utterance=last,
        ended_by_utterance=ender,
    )


def _only_channel_talk(text: str, rules: Rules) -> bool:
    """Every sentence is a channel check, a request to repeat or identity admin ("I can hear
    you. Can you hear me?", "Sorry, say that again?"): not yet why the patient came."""
    skip = [rules.patterns("questions", name)
            for name in ("not_question", "administrative", "channel")]
    parts = [strip_leading_markers(sentence, rules).rstrip("?.! ")
             for _, _, sentence in sentences(text)]
    return bool(parts) and all(any(p.search(part) for p in skip) or not part for part in parts)


def _answers_admin(c: Consultation, j: int, rules: Rules) -> bool:
    """The utterance answers an identity or set-up question (name, date of birth, location)."""
    admin = rules.patterns("questions", "administrative")
    for k in range(j - 1, -1, -1):
        u = c.utterances[k]
        if c.role_of(u.speaker) == Role.CLINICIAN and not is_tag_only(u):
            return admin.search(normalise(u.text)) is not None
    return False
