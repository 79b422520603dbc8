"""Building an event that covers one whole utterance."""

from __future__ import annotations

from collections.abc import Mapping

from consult_audio.model import Consultation, Event
from consult_audio.rules import Match


def utterance_event(
    c: Consultation, i: int, kind: str, evidence: Match | Mapping[str, object], *, label: str = ""
) -> Event:
    """An event of type ``kind`` spanning utterance ``i``, quoting it whole."""
    u = c.utterances[i]
    return Event(
        type=kind,
        start_s=u.start,
        end_s=u.end,
        role=str(c.role_of(u.speaker)),
        text=u.text,
        label=label,
        speaker=u.speaker,
        utterance=i,
        evidence=evidence.evidence() if isinstance(evidence, Match) else evidence,
    )
