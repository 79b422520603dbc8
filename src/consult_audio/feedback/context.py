"""What every finding shares: the Four Habits it is grouped by, the heuristic thresholds, the
:class:`FeedbackContext` it reads and :func:`item`, which makes its items.

Thresholds marked *heuristic* are this tool's own choices for when to phrase a finding as a
suggestion; they are not research values and are never presented as such.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from consult_audio.feedback.phrasing import tidy
from consult_audio.model import Consultation, Event, FeedbackItem, Metrics, Reference

NOT_CLINICAL = "This is feedback on communication, not a clinical assessment."

# The Four Habits (Frankel & Stein 1999), in the order a consultation runs: key -> title.
HABITS: Mapping[str, str] = {
    "invest_in_beginning": "Invest in the beginning",
    "elicit_patient_perspective": "Elicit the patient's perspective",
    "demonstrate_empathy": "Demonstrate empathy",
    "invest_in_end": "Invest in the end",
}

# Heuristic thresholds (this tool's choices, not research values).
LOW_PATIENT_SHARE = 1 / 3  # patient share of speech time below which we suggest more room
LONG_MONOLOGUE_S = 60.0  # s; a clinician turn this long is worth breaking into chunks
LOW_OPEN_RATIO = 0.25  # open / all clinician questions below which we suggest opening up
LATE_PSYCHOSOCIAL_FRACTION = 0.25  # fraction of the consultation; later is "late"
SHORT_OPENING_S = 15.0  # s; a completed opening statement shorter than this is not praised

MAX_EXAMPLES = 3  # evidence events quoted per item
MAX_HARMFUL_ITEMS = 5  # one item per harmful word, at most this many

# The tip of the talk share item when the patient's share is low (the reports' talk share card
# reads the stored judgement by it).
MORE_ROOM_TIP = ("Pausing for a few seconds after the patient stops, and asking open questions, "
                 "gives them more room to tell their story.")


@dataclass(frozen=True)
class FeedbackContext:
    """What every finding reads: the consultation, its metrics and events, and the references."""

    c: Consultation
    m: Metrics
    events: tuple[Event, ...]
    refs: Mapping[str, Reference]

    def of(self, kind: str, *, label: str | None = None, role: str | None = None) -> list[Event]:
        """Events of one type (and label, and role), in time order."""
        return [e for e in self.events if e.type == kind and (label is None or e.label == label)
                and (role is None or e.role == role)]

    def ref(self, *keys: str) -> tuple[Reference, ...]:
        return tuple(self.refs[k] for k in keys)

    def utterance_event(self, index: int | None, label: str) -> Event | None:
        """A quoted utterance as evidence (type ``utterance``), for findings that rest on an
        utterance rather than a coded event."""
        if index is None or not 0 <= index < len(self.c.utterances):
            return None
        u = self.c.utterances[index]
        return Event("utterance", u.start, u.end, str(self.c.role_of(u.speaker)), u.text, label,
                     u.speaker, index)


def item(habit: str, key: str, kind: str, message: str, *, suggestion: str = "",
         references: Iterable[Reference] = (), evidence: Iterable[Event | None] = ()
         ) -> FeedbackItem:
    """One finding as an item: its texts tidied, the evidence events that are ``None`` left out."""
    return FeedbackItem(habit, key, kind, tidy(message), tidy(suggestion), tuple(references),
                        tuple(e for e in evidence if e is not None))

