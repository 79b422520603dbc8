"""What the reports show at a glance, shared by the HTML and the Markdown report.

:func:`glance_cards` turns the headline metrics of an :class:`AnalysisResult` into cards: a value,
the research reference it is compared with (``data/references.json``, with its citation) and a
plain-language reading. :data:`KNOWN_ERROR` states how well the automatic measures agreed with
hand coding (``docs/validation.md``), and :func:`short_citation` gives "Beckman & Frankel 1984"
for a full citation. Nothing here renders markup: the renderers escape every string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from consult_audio.feedback import (
    LOW_OPEN_RATIO,
    LOW_PATIENT_SHARE,
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

__all__ = ["KNOWN_ERROR", "KNOWN_ERROR_SCOPE", "Card", "KnownError", "glance_cards",
           "metadata_of", "one_role_missing", "short_citation"]


@dataclass(frozen=True, slots=True)
class KnownError:
    """How well one automatic measure agreed with careful hand coding."""

    measure: str
    figure: str
    note: str = ""


# From docs/validation.md. Where there is a choice, the figure is from hand-coded consultations the
# rules were not developed on (OSCE interviews CAR0001-2, GAS0001-2, another country and other
# clinicians); tests check that every figure quoted here appears there, so update both together.
KNOWN_ERROR: tuple[KnownError, ...] = (
    KnownError("Clinician questions found", "recall 0.994, precision 0.994",
               "8 OSCE interviews; 0.966 and 0.983 on 10 PriMock57 consultations"),
    KnownError("Open or closed question", "Cohen's kappa 0.877",
               "OSCE interviews held out from development; two human coders agreed with "
               "kappa 0.970"),
    KnownError("Psychosocial talk (which utterances)", "F1 0.792",
               "OSCE interviews held out from development; two human coders: F1 0.913"),
    KnownError("First psychosocial content",
               "within 2 turns of the hand coding in 2 of 4 held-out interviews",
               "two human coders agreed in 3 of 4; within 15 s in 10 of 10 PriMock57 "
               "consultations, the development data"),
    KnownError("Backchannels (\"mm-hm\")", "F1 0.919",
               "PriMock57, the development data: the only hand coding with timings"),
    KnownError("Interruptions", "F1 0.720 (precision 0.750, recall 0.692)",
               "PriMock57, the development data; the least reliable measure: an interruption "
               "after a complete sentence is missed"),
    KnownError("Opening statement completed or interrupted",
               "agreed in 4 of 4 held-out interviews and 10 of 10 PriMock57 consultations"),
    KnownError("Summary of the plan",
               "present or absent agreed in 3 of 4 held-out interviews",
               "8 of 10 PriMock57 consultations"),
    KnownError("Options offered",
               "present or absent agreed in 2 of 4 held-out interviews",
               "7 of 10 PriMock57 consultations; the hand coders count options more widely"),
    KnownError("Talk share", "max difference 1.1e-16 from the transcript's own intervals",
               "exact for a timed transcript; speaker diarisation errors add to it when the "
               "transcript comes from audio"),
)
KNOWN_ERROR_SCOPE = (
    "Agreement with two independent hand codings of 10 mock primary-care consultations "
    "(PriMock57, UK) and 8 OSCE history-taking interviews (North America, many "
    "musculoskeletal), hand-made transcripts; figures marked held out come from interviews the "
    "rules were not developed on. Expect lower agreement in other settings, and when the "
    "transcript and speakers come from automatic speech recognition and diarisation, whose own "
    "errors are not included in these figures: analysed from speech renderings of the same "
    "consultations (Whisper base, word error rate 0.257), questions were found with recall "
    "0.662 and precision 0.887, and the first psychosocial content within 20 s of the hand "
    "coding in 6 of 10.")


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


def _refs(refs: Mapping[str, Reference], *keys: str) -> tuple[Reference, ...]:
    return tuple(refs[k] for k in keys if k in refs)


def one_role_missing(result: AnalysisResult) -> str | None:
    """``"clinician"`` or ``"patient"`` when that role has no speech at all (a one-speaker
    recording, or roles assigned wrongly), else ``None``."""
    tt = result.metrics.talk_time
    if tt.clinician_s <= 0 and tt.patient_s <= 0:
        return "both"
    if tt.patient_s <= 0:
        return str(Role.PATIENT)
    if tt.clinician_s <= 0:
        return str(Role.CLINICIAN)
    return None


def metadata_of(result: AnalysisResult) -> dict[str, str]:
    """``provenance["metadata"]`` as strings (clinician_id, date...), empty when absent."""
    meta = result.provenance.get("metadata")
    if not isinstance(meta, Mapping):
        return {}
    return {str(k): str(v) for k, v in meta.items() if v is not None and str(v) != ""}


def glance_cards(result: AnalysisResult) -> list[Card]:
    """The headline cards, in the order a consultation runs."""
    refs = load_references()
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
    return [_with_status(c, status.get(c.key, "")) for c in cards]


def _with_status(card: Card, status: str) -> Card:
    return Card(card.key, card.title, card.value, card.detail, card.reading, card.references,
                card.reference_note, status if card.measured else "info", card.measured,
                card.shares)


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _talk_share(result: AnalysisResult) -> Card:
    tt = result.metrics.talk_time
    title = "Talk share"
    missing = one_role_missing(result)
    if missing or tt.clinician_share is None or tt.patient_share is None:
        who = {"both": "neither the clinician nor the patient",
               "patient": "the patient", "clinician": "the clinician"}.get(missing or "both")
        return Card("talk_share", title, "Not measured",
                    f"no speech from {who} was found",
                    f"Only one side of the conversation was found ({who} did not speak, or the "
                    "speakers' roles were not recognised), so who did the talking is not "
                    "compared. Check the speakers' roles in the Methods section.",
                    measured=False)
    reading = (f"The patient did {_pct(tt.patient_share)} of the talking (silence left out). ")
    if tt.patient_share < LOW_PATIENT_SHARE:
        reading += ("That leaves the patient little room to tell their story; pauses and open "
                    "questions give them more.")
    else:
        reading += "The patient had room to tell their story."
    return Card(
        "talk_share", title,
        f"{_pct(tt.clinician_share)} clinician · {_pct(tt.patient_share)} patient",
        f"of speech time; silence {_pct(tt.silence_share)} and overlap "
        f"{_pct(tt.overlap_share)} of the recording",
        reading,
        reference_note=(f"No single published value fits every setting. This tool suggests more "
                        f"room for the patient below a {_pct(LOW_PATIENT_SHARE)} share (its own "
                        f"rule of thumb, not a research value)."),
        shares=(("clinician", tt.clinician_share), ("patient", tt.patient_share)))


def _opening(result: AnalysisResult, refs: Mapping[str, Reference]) -> Card:
    op = result.metrics.opening_statement
    title = "Patient's opening statement"
    references = _refs(refs, REF_BECKMAN, REF_LANGEWITZ)
    if not op.found or op.start_s is None:
        return Card("opening_statement", title, "Not found",
                    "no substantive patient turn about why they came",
                    "The patient's opening statement could not be found after the opening "
                    "question, so it is not compared with the studies.",
                    references, measured=False)
    beckman = refs.get(REF_BECKMAN)
    mean_s = beckman.value if beckman and beckman.value is not None else 18.0
    if op.completed is False:
        after = op.first_interruption_s if op.first_interruption_s is not None else (
            op.duration_s or 0.0)
        relation = "earlier than" if after < mean_s else "later than"
        if abs(after - mean_s) < 0.5:
            relation = "about the same as"
        return Card(
            "opening_statement", title, f"Interrupted after {after:.0f} s",
            f"started {clock(op.start_s)}; first interruption {after:.0f} s in "
            f"(reference {mean_s:g} s)",
            f"The clinician took the floor {after:.0f} s into the patient's opening statement, "
            f"{relation} the mean of {mean_s:g} s after which clinicians redirected patients in "
            f"{short_citation(beckman) if beckman else 'the 1984 study'}. Patients left to "
            "finish talk for about a minute and a half.",
            references)
    duration = op.duration_s or 0.0
    return Card(
        "opening_statement", title, f"Completed, {duration:.0f} s",
        f"started {clock(op.start_s)}; not interrupted",
        f"The patient finished their opening statement ({duration:.0f} s) without being "
        f"interrupted. In {short_citation(beckman) if beckman else 'the 1984 study'}, clinicians "
        f"redirected patients after a mean of {mean_s:g} s.",
        references)


def _interruptions(result: AnalysisResult, refs: Mapping[str, Reference]) -> Card:
    it = result.metrics.interruptions
    value = f"{it.by_clinician} by clinician · {it.by_patient} by patient"
    detail = (f"{it.backchannels} backchannel{'s' if it.backchannels != 1 else ''} "
              f"(\"mm-hm\"); {it.per_10_min:.1f} interruptions per 10 min")
    if it.by_clinician:
        reading = (f"The clinician started talking while the patient was mid-sentence "
                   f"{it.by_clinician} time{'s' if it.by_clinician != 1 else ''}. ")
    else:
        reading = "The clinician did not cut in while the patient was mid-sentence. "
    reading += ("Backchannels such as \"mm-hm\" keep the patient talking and are not counted as "
                "interruptions.")
    return Card("interruptions", "Interruptions and backchannels", value, detail, reading,
                _refs(refs, REF_BACKCHANNELS))


def _questions(result: AnalysisResult) -> Card:
    q = result.metrics.questions
    title = "Open questions"
    note = (f"No published target. This tool suggests more open questions below "
            f"{_pct(LOW_OPEN_RATIO)} open (its own rule of thumb, not a research value).")
    if not q.total or q.open_ratio is None:
        return Card("open_questions", title, "No questions found",
                    "no clinician questions in the transcript",
                    "No clinician questions were found, so the balance of open and closed "
                    "questions is not shown.", reference_note=note, measured=False)
    reading = (f"{q.open} of the clinician's {q.total} question{'s' if q.total != 1 else ''} "
               "left the patient room to answer in their own words. ")
    if q.open_ratio < LOW_OPEN_RATIO:
        reading += "Starting each topic with an open question (\"Tell me about...\") helps."
    else:
        reading += "Open questions (\"Tell me about...\") invite the patient's own story."
    return Card("open_questions", title, f"{_pct(q.open_ratio)} open",
                f"{q.open} open · {q.closed} closed clinician questions", reading,
                reference_note=note, shares=(("open", q.open_ratio), ("closed", 1 - q.open_ratio)))


def _psychosocial(result: AnalysisResult, refs: Mapping[str, Reference]) -> Card:
    ps = result.metrics.psychosocial
    title = "Psychosocial content"
    references = _refs(refs, REF_FOUR_HABITS)
    if ps.first_s is None:
        return Card("psychosocial", title, "None found",
                    "no feelings, worries, work, family or daily life",
                    "No talk about feelings, worries, work, family or daily life was found. If "
                    "there was room for it, \"How is this affecting your day-to-day life?\" opens "
                    "it up.", references, measured=False)
    into = f"{_pct(ps.first_fraction)} of the way through; " if ps.first_fraction is not None \
        else ""
    who = ps.first_by or "unknown"
    raised = ("the clinician opened it up" if who == str(Role.CLINICIAN)
              else f"raised by the {who}")
    return Card(
        "psychosocial", title, f"First at {clock(ps.first_s)}",
        f"{into}{raised}; {_pct(ps.share)} of the talk",
        f"Feelings, worries or the impact on daily life first came up at {clock(ps.first_s)}, "
        f"{raised}. Asking about them early shows the patient they are welcome.",
        references)


def _elicitation(result: AnalysisResult, refs: Mapping[str, Reference]) -> Card:
    h = result.metrics.habits

    def said(flag: bool, at: float | None) -> str:
        return ("yes" + (f" ({clock(at)})" if at is not None else "")) if flag else "no"

    value = (f"Expectations {'yes' if h.expectations_elicited else 'no'} · "
             f"agenda {'yes' if h.agenda_elicited else 'no'}")
    detail = (f"what the patient hopes for: {said(h.expectations_elicited, h.expectations_first_s)}"
              f"; \"anything else?\": {said(h.agenda_elicited, h.agenda_first_s)}")
    missing = [name for name, flag in (("what the patient hoped for", h.expectations_elicited),
                                       ("whether there was anything else",
                                        h.agenda_elicited)) if not flag]
    if missing:
        reading = ("No question was found asking " + " or ".join(missing) + ". \"What are you "
                   "hoping we can do today?\" and \"Is there anything else?\" bring it out.")
    else:
        reading = "The clinician asked what the patient hoped for and invited other concerns."
    return Card("elicitation", "Expectations and agenda", value, detail, reading,
                _refs(refs, REF_AGENDA, REF_MARVEL_SOLICITED))


def _empathy(result: AnalysisResult, refs: Mapping[str, Reference]) -> Card:
    h = result.metrics.habits
    value = f"{h.empathy} shown · {h.missed_empathy} missed"
    detail = "statements naming the patient's feelings; feelings or worries moved on from"
    if h.missed_empathy:
        reading = (f"The patient mentioned a feeling or worry {h.missed_empathy} "
                   f"time{'s' if h.missed_empathy != 1 else ''} without it being acknowledged. "
                   "Naming the feeling first (\"That sounds really worrying\") helps.")
    elif h.empathy:
        reading = "The clinician named or acknowledged the patient's feelings."
    else:
        reading = "No feelings were named, and no missed opportunity was found."
    return Card("empathy", "Empathy", value, detail, reading, _refs(refs, REF_ALLIANCE))


def _shared_decision(result: AnalysisResult) -> Card:
    h = result.metrics.habits
    events = result.events
    steps = (("options described", any(e.type == "options" and e.label != "risks_benefits"
                                       for e in events)),
             ("benefits and harms", any(e.type == "options" and e.label == "risks_benefits"
                                        for e in events)),
             ("patient's preference asked", any(e.type == "preference" for e in events)))
    detail = "; ".join(f"{name}: {'yes' if done else 'no'}" for name, done in steps)
    if not h.shared_decision_steps:
        reading = ("No talk of options or of the patient's preference was found. If there was "
                   "a decision to make, it may not have been talked through out loud.")
    elif h.shared_decision_steps < len(steps):
        reading = ("Part of a shared decision was found: "
                   + ", ".join(name for name, done in steps if done) + ".")
    else:
        reading = ("Options, their benefits and harms, and the patient's preference were all "
                   "talked about.")
    return Card("shared_decision", "Shared decision", f"{h.shared_decision_steps} of 3 steps",
                detail, reading,
                reference_note=("Steps follow the OPTION-5 instrument (options, benefits and "
                                "harms, the patient's preference); no reference value."))


_YEAR = re.compile(r"\b((?:19|20)\d\d)\s*;")
_ANY_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")


def short_citation(ref: Reference) -> str:
    """"Beckman & Frankel 1984", "Marvel et al. 1999" from a Vancouver-style citation
    ("Beckman HB, Frankel RM. Title. Journal 1984;101:692-6.")."""
    authors_part = ref.citation.split(". ", 1)[0]
    names = []
    for author in authors_part.split(","):
        words = author.split()
        # Drop the initials ("HB"); keep multi-word surnames ("Singh Ospina").
        if len(words) > 1 and words[-1].isupper():
            words = words[:-1]
        if words:
            names.append(" ".join(words))
    if not names:
        return ref.citation
    who = (names[0] if len(names) == 1 else f"{names[0]} & {names[1]}" if len(names) == 2
           else f"{names[0]} et al.")
    year = _YEAR.search(ref.citation) or _ANY_YEAR.search(ref.citation)
    return f"{who} {year.group(1)}" if year else who


def reference_value(ref: Reference) -> str:
    """"18 s", "36%", or "" for a reference stated in words only."""
    if ref.value is None:
        return ""
    unit = ref.unit if ref.unit in ("%", "") else f" {ref.unit}"
    return f"{ref.value:g}{unit}"


def describe(value: Any) -> str:
    """A provenance value as one short line of text."""
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {describe(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(describe(v) for v in value)
    if value is None:
        return "none"
    return str(value)
