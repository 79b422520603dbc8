"""The cards at a glance, shared by the HTML and the Markdown report.

:func:`glance_cards` turns an :class:`AnalysisResult` into one card per headline finding: a value
(read through :mod:`consult_audio.catalogue`), the research reference it is compared with, and a
plain-language reading. The judgements are the ones :mod:`consult_audio.feedback` made and the
analysis stored: a card's status is the kind of its feedback items, its readings follow their
kinds, and its references are the ones they cite. Nothing here renders markup: the renderers
escape every string.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from consult_audio import catalogue as m
from consult_audio.feedback import (
    LOW_OPEN_RATIO,
    LOW_PATIENT_SHARE,
    MORE_ROOM_TIP,
    REF_AGENDA,
    REF_ALLIANCE,
    REF_BACKCHANNELS,
    REF_BECKMAN,
    REF_FOUR_HABITS,
    REF_LANGEWITZ,
    REF_MARVEL_SOLICITED,
    clock,
    load_references,
)
from consult_audio.model import AnalysisResult, FeedbackItem, Reference, Role
from consult_audio.render.common import short_citation

__all__ = ["Card", "cited_references", "glance_cards", "one_role_missing"]

BECKMAN_MEAN_S = 18.0  # s; the mean redirection time of Beckman & Frankel, should it be missing


@dataclass(frozen=True, slots=True)
class Card:
    """One headline finding.

    ``value`` is the headline (short), ``detail`` a line under it, ``reading`` a plain-language
    sentence or two. ``references`` are the research values it is compared with; where there is
    none, ``reference_note`` says why or what the comparison is instead. ``status`` is the kind of
    the related feedback (``strength``, ``suggestion``, ``info``; empty when none); ``measured``
    is False when the metric could not be measured (and ``value`` says so in words).
    ``shares`` is an optional split (label, share 0-1) drawn as a bar.
    """

    key: str
    title: str
    value: str
    detail: str
    reading: str
    references: tuple[Reference, ...] = ()
    reference_note: str = ""
    status: str = ""
    measured: bool = True
    shares: tuple[tuple[str, float], ...] = ()


# Card key -> the feedback item keys whose kind sets the card's status.
_FEEDBACK_KEYS: Mapping[str, tuple[str, ...]] = {
    "talk_share": ("talk_share",),
    "opening_statement": ("opening_statement",),
    "interruptions": ("interruptions",),
    "open_questions": ("open_questions",),
    "psychosocial": ("psychosocial",),
    "elicitation": ("expectations", "agenda"),
    "empathy": ("empathy", "missed_empathy"),
    "shared_decision": ("shared_decision",),
}
_KIND_RANK = {"suggestion": 3, "strength": 2, "info": 1}


def _status(items: Sequence[FeedbackItem], keys: Sequence[str]) -> str:
    kinds = [i.kind for i in items if i.key in keys]
    return max(kinds, key=lambda k: _KIND_RANK.get(k, 0), default="")


def _item(result: AnalysisResult, key: str) -> FeedbackItem | None:
    """The stored feedback item of ``key`` (the first, where there are several)."""
    return next((i for i in result.feedback if i.key == key), None)


class _References:
    """The references the stored feedback cites, by key. A finding with nothing to judge (an
    opening statement not found, no feelings at all) cites none, yet its card still names the
    study it would be compared with: that one comes from the packaged references."""

    def __init__(self, result: AnalysisResult) -> None:
        self.stored: dict[str, Reference] = {}
        for item in result.feedback:
            for ref in item.references:
                self.stored.setdefault(ref.key, ref)
        self._packaged: Mapping[str, Reference] | None = None

    def get(self, key: str) -> Reference | None:
        if key in self.stored:
            return self.stored[key]
        if self._packaged is None:
            self._packaged = load_references()
        return self._packaged.get(key)

    def __call__(self, *keys: str) -> tuple[Reference, ...]:
        return tuple(ref for ref in map(self.get, keys) if ref is not None)


def one_role_missing(result: AnalysisResult) -> str | None:
    """``"clinician"`` or ``"patient"`` when that role has no speech at all (a one-speaker
    recording, or roles assigned wrongly), else ``None``."""
    clinician_s, patient_s = m.CLINICIAN_TALK_S(result), m.PATIENT_TALK_S(result)
    if clinician_s <= 0 and patient_s <= 0:
        return "both"
    if patient_s <= 0:
        return str(Role.PATIENT)
    if clinician_s <= 0:
        return str(Role.CLINICIAN)
    return None


def glance_cards(result: AnalysisResult) -> list[Card]:
    """The headline cards, in the order a consultation runs."""
    refs = _References(result)
    status = {key: _status(result.feedback, keys) for key, keys in _FEEDBACK_KEYS.items()}
    cards = [
        _talk_share(result),
        _opening(result, refs),
        _interruptions(result, refs),
        _questions(result),
        _psychosocial(result, refs),
        _elicitation(result, refs),
        _empathy(result, refs),
        _shared_decision(result),
    ]
    return [replace(c, status=status.get(c.key, "") if c.measured else "info") for c in cards]


def cited_references(result: AnalysisResult, cards: Iterable[Card]
                     ) -> dict[str, tuple[int, Reference]]:
    """Reference key -> its number in a report's References and the reference, in order of first
    use: the cards at a glance first, then the stored feedback items."""
    numbers: dict[str, tuple[int, Reference]] = {}
    for refs in [c.references for c in cards] + [i.references for i in result.feedback]:
        for ref in refs:
            numbers.setdefault(ref.key, (len(numbers) + 1, ref))
    return numbers


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _times(n: int) -> str:
    return f"{n} time{'s' if n != 1 else ''}"


def _talk_share(result: AnalysisResult) -> Card:
    clinician, patient = m.CLINICIAN_SHARE(result), m.PATIENT_SHARE(result)
    title = "Talk share"
    missing = one_role_missing(result)
    if missing or clinician is None or patient is None:
        who = {"both": "neither the clinician nor the patient",
               "patient": "the patient", "clinician": "the clinician"}.get(missing or "both")
        return Card("talk_share", title, "Not measured",
                    f"no speech from {who} was found",
                    f"Only one side of the conversation was found ({who} did not speak, or the "
                    "speakers' roles were not recognised), so who did the talking is not "
                    "compared. Check the speakers' roles in the Methods section.",
                    measured=False)
    reading = f"The patient did {_pct(patient)} of the talking (silence left out). "
    item = _item(result, "talk_share")
    # The talk share item is a suggestion for a low share or a long monologue; only the tip it
    # gives for a low share says the patient had little room.
    if item is not None and MORE_ROOM_TIP in item.suggestion:
        reading += ("That leaves the patient little room to tell their story; pauses and open "
                    "questions give them more.")
    else:
        reading += "The patient had room to tell their story."
    return Card(
        "talk_share", title, f"{_pct(clinician)} clinician · {_pct(patient)} patient",
        f"of speech time; silence {_pct(m.SILENCE_SHARE(result))} and overlap "
        f"{_pct(m.OVERLAP_SHARE(result))} of the recording",
        reading,
        reference_note=(f"No single published value fits every setting. This tool suggests more "
                        f"room for the patient below a {_pct(LOW_PATIENT_SHARE)} share (its own "
                        f"rule of thumb, not a research value)."),
        shares=(("clinician", clinician), ("patient", patient)))


def _opening(result: AnalysisResult, refs: _References) -> Card:
    start = m.OPENING_START_S(result)
    title = "Patient's opening statement"
    references = refs(REF_BECKMAN, REF_LANGEWITZ)
    if not m.OPENING_FOUND(result) or start is None:
        return Card("opening_statement", title, "Not found",
                    "no substantive patient turn about why they came",
                    "The patient's opening statement could not be found after the opening "
                    "question, so it is not compared with the studies.",
                    references, measured=False)
    beckman = refs.get(REF_BECKMAN)
    mean_s = beckman.value if beckman and beckman.value is not None else BECKMAN_MEAN_S
    study = short_citation(beckman) if beckman else "the 1984 study"
    duration = m.OPENING_DURATION_S(result) or 0.0
    if m.OPENING_COMPLETED(result) is False:
        first = m.OPENING_FIRST_INTERRUPTION_S(result)
        after = first if first is not None else duration
        relation = "earlier than" if after < mean_s else "later than"
        if abs(after - mean_s) < 0.5:
            relation = "about the same as"
        return Card(
            "opening_statement", title, f"Interrupted after {after:.0f} s",
            f"started {clock(start)}; first interruption {after:.0f} s in "
            f"(reference {mean_s:g} s)",
            f"The clinician took the floor {after:.0f} s into the patient's opening statement, "
            f"{relation} the mean of {mean_s:g} s after which clinicians redirected patients in "
            f"{study}. Patients left to finish talk for about a minute and a half.",
            references)
    return Card(
        "opening_statement", title, f"Completed, {duration:.0f} s",
        f"started {clock(start)}; not interrupted",
        f"The patient finished their opening statement ({duration:.0f} s) without being "
        f"interrupted. In {study}, clinicians redirected patients after a mean of {mean_s:g} s.",
        references)


def _interruptions(result: AnalysisResult, refs: _References) -> Card:
    by_clinician = m.INTERRUPTIONS_BY_CLINICIAN(result)
    backchannels = m.BACKCHANNELS(result)
    value = f"{by_clinician} by clinician · {m.INTERRUPTIONS_BY_PATIENT(result)} by patient"
    detail = (f"{backchannels} backchannel{'s' if backchannels != 1 else ''} (\"mm-hm\"); "
              f"{m.INTERRUPTIONS_PER_10_MIN(result):.1f} interruptions per 10 min")
    if by_clinician:
        reading = (f"The clinician started talking while the patient was mid-sentence "
                   f"{_times(by_clinician)}. ")
    else:
        reading = "The clinician did not cut in while the patient was mid-sentence. "
    reading += ("Backchannels such as \"mm-hm\" keep the patient talking and are not counted as "
                "interruptions.")
    return Card("interruptions", "Interruptions and backchannels", value, detail, reading,
                refs(REF_BACKCHANNELS))


def _questions(result: AnalysisResult) -> Card:
    n_open, n_closed = m.QUESTIONS_OPEN(result), m.QUESTIONS_CLOSED(result)
    total, ratio = m.QUESTIONS_TOTAL(result), m.OPEN_RATIO(result)
    title = "Open questions"
    note = (f"No published target. This tool suggests more open questions below "
            f"{_pct(LOW_OPEN_RATIO)} open (its own rule of thumb, not a research value).")
    if not total or ratio is None:
        return Card("open_questions", title, "No questions found",
                    "no clinician questions in the transcript",
                    "No clinician questions were found, so the balance of open and closed "
                    "questions is not shown.", reference_note=note, measured=False)
    reading = (f"{n_open} of the clinician's {total} question{'s' if total != 1 else ''} "
               "left the patient room to answer in their own words. ")
    item = _item(result, "open_questions")
    if item is not None and item.kind == "suggestion":
        reading += "Starting each topic with an open question (\"Tell me about...\") helps."
    else:
        reading += "Open questions (\"Tell me about...\") invite the patient's own story."
    return Card("open_questions", title, f"{_pct(ratio)} open",
                f"{n_open} open · {n_closed} closed clinician questions", reading,
                reference_note=note, shares=(("open", ratio), ("closed", 1 - ratio)))


def _psychosocial(result: AnalysisResult, refs: _References) -> Card:
    first, fraction = m.PSYCHOSOCIAL_FIRST_S(result), m.PSYCHOSOCIAL_FIRST_FRACTION(result)
    title = "Psychosocial content"
    references = refs(REF_FOUR_HABITS)
    if first is None:
        return Card("psychosocial", title, "None found",
                    "no feelings, worries, work, family or daily life",
                    "No talk about feelings, worries, work, family or daily life was found. If "
                    "there was room for it, \"How is this affecting your day-to-day life?\" opens "
                    "it up.", references, measured=False)
    into = f"{_pct(fraction)} of the way through; " if fraction is not None else ""
    who = m.PSYCHOSOCIAL_FIRST_BY(result) or "unknown"
    raised = ("the clinician opened it up" if who == str(Role.CLINICIAN)
              else f"raised by the {who}")
    return Card(
        "psychosocial", title, f"First at {clock(first)}",
        f"{into}{raised}; {_pct(m.PSYCHOSOCIAL_SHARE(result))} of the talk",
        f"Feelings, worries or the impact on daily life first came up at {clock(first)}, "
        f"{raised}. Asking about them early shows the patient they are welcome.",
        references)


def _said(flag: bool, at: float | None) -> str:
    return ("yes" + (f" ({clock(at)})" if at is not None else "")) if flag else "no"


def _elicitation(result: AnalysisResult, refs: _References) -> Card:
    expectations, agenda = m.EXPECTATIONS_ELICITED(result), m.AGENDA_ELICITED(result)
    value = (f"Expectations {'yes' if expectations else 'no'} · "
             f"agenda {'yes' if agenda else 'no'}")
    detail = (f"what the patient hopes for: "
              f"{_said(expectations, m.EXPECTATIONS_FIRST_S(result))}; \"anything else?\": "
              f"{_said(agenda, m.AGENDA_FIRST_S(result))}")
    missing = [name for name, flag in (("what the patient hoped for", expectations),
                                       ("whether there was anything else", agenda)) if not flag]
    if missing:
        reading = ("No question was found asking " + " or ".join(missing) + ". \"What are you "
                   "hoping we can do today?\" and \"Is there anything else?\" bring it out.")
    else:
        reading = "The clinician asked what the patient hoped for and invited other concerns."
    return Card("elicitation", "Expectations and agenda", value, detail, reading,
                refs(REF_AGENDA, REF_MARVEL_SOLICITED))


def _empathy(result: AnalysisResult, refs: _References) -> Card:
    shown, missed = m.EMPATHY(result), m.MISSED_EMPATHY(result)
    value = f"{shown} shown · {missed} missed"
    detail = "statements naming the patient's feelings; feelings or worries moved on from"
    if missed:
        reading = (f"The patient mentioned a feeling or worry {_times(missed)} without it being "
                   "acknowledged. Naming the feeling first (\"That sounds really worrying\") "
                   "helps.")
    elif shown:
        reading = "The clinician named or acknowledged the patient's feelings."
    else:
        reading = "No feelings were named, and no missed opportunity was found."
    return Card("empathy", "Empathy", value, detail, reading, refs(REF_ALLIANCE))


def _shared_decision(result: AnalysisResult) -> Card:
    events = result.events
    steps = (("options described", any(e.type == "options" and e.label != "risks_benefits"
                                       for e in events)),
             ("benefits and harms", any(e.type == "options" and e.label == "risks_benefits"
                                        for e in events)),
             ("patient's preference asked", any(e.type == "preference" for e in events)))
    done = m.SHARED_DECISION_STEPS(result)
    detail = "; ".join(f"{name}: {'yes' if said else 'no'}" for name, said in steps)
    if not done:
        reading = ("No talk of options or of the patient's preference was found. If there was "
                   "a decision to make, it may not have been talked through out loud.")
    elif done < len(steps):
        reading = ("Part of a shared decision was found: "
                   + ", ".join(name for name, said in steps if said) + ".")
    else:
        reading = ("Options, their benefits and harms, and the patient's preference were all "
                   "talked about.")
    return Card("shared_decision", "Shared decision", f"{done} of 3 steps", detail, reading,
                reference_note=("Steps follow the OPTION-5 instrument (options, benefits and "
                                "harms, the patient's preference); no reference value."))
