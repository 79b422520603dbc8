"""Talk time, silence, overlap, turns, monologues and speaking rate."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from itertools import combinations

from consult_audio.metrics.timeline import intersect, total, union
from consult_audio.model import Consultation, Role, RoleTurns, TalkTime, Turns
from consult_audio.text import tokens


def talk_time(c: Consultation) -> TalkTime:
    """Talk time per role as the union of its speech intervals (s).

    Role shares are over clinician + patient speech time; silence and overlap over the recording.
    """
    by_role: dict[Role, list[tuple[float, float]]] = {r: [] for r in Role}
    by_speaker: dict[str, list[tuple[float, float]]] = {}
    for u in c.utterances:
        by_role[c.role_of(u.speaker)].append((u.start, u.end))
        by_speaker.setdefault(u.speaker, []).append((u.start, u.end))
    clinician = total(by_role[Role.CLINICIAN])
    patient = total(by_role[Role.PATIENT])
    other = total(by_role[Role.OTHER])
    speech = total(span for spans in by_speaker.values() for span in spans)
    merged = {s: union(spans) for s, spans in by_speaker.items()}
    overlap = total(
        span for a, b in combinations(merged.values(), 2) for span in intersect(a, b)
    )
    duration = max(c.duration, max((u.end for u in c.utterances), default=0.0))
    silence = max(0.0, duration - speech)
    pair = clinician + patient
    return TalkTime(
        duration_s=duration,
        clinician_s=clinician,
        patient_s=patient,
        other_s=other,
        speech_s=speech,
        silence_s=silence,
        overlap_s=overlap,
        clinician_share=clinician / pair if pair else None,
        patient_share=patient / pair if pair else None,
        silence_share=silence / duration if duration else 0.0,
        overlap_share=overlap / duration if duration else 0.0,
    )


def turns(c: Consultation, *, listener_tokens: Collection[int]) -> Turns:
    """Turns per role. A turn is a run of one speaker's utterances that no other speaker takes
    over; ``listener_tokens`` are utterance indices that do not take the floor (backchannels,
    encouragers, tag-only noise) and so never end a turn."""
    runs: list[tuple[str, float, float]] = []  # speaker, start, end
    for i, u in enumerate(c.utterances):
        if i in listener_tokens:
            continue
        if runs and runs[-1][0] == u.speaker:
            speaker, start, end = runs[-1]
            runs[-1] = (speaker, start, max(end, u.end))
        else:
            runs.append((u.speaker, u.start, u.end))
    return Turns(
        clinician=_role_turns(c, runs, Role.CLINICIAN),
        patient=_role_turns(c, runs, Role.PATIENT),
    )


def _role_turns(c: Consultation, runs: Sequence[tuple[str, float, float]], role: Role) -> RoleTurns:
    own = [(s, e) for speaker, s, e in runs if c.role_of(speaker) == role]
    utterances = [u for u in c.utterances if c.role_of(u.speaker) == role]
    words = sum(len(tokens(u.text)) for u in utterances)
    talk = total((u.start, u.end) for u in utterances)
    lengths = [e - s for s, e in own]
    return RoleTurns(
        turns=len(own),
        utterances=len(utterances),
        words=words,
        longest_monologue_s=max(lengths, default=0.0),
        mean_turn_s=sum(lengths) / len(lengths) if lengths else None,
        words_per_minute=60.0 * words / talk if talk else None,
    )
