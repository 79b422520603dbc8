"""Findings to feedback: short, kind, concrete items grouped by the Four Habits.

Each finding has its own helper that reads the metrics and coded events and returns zero or more
:class:`FeedbackItem` objects: a ``strength``, a ``suggestion`` or, where there is nothing to judge
(a metric could not be measured), ``info``. An item carries the few events that best show the
finding (times and quotes) and the research reference values it is compared with
(``data/references.json``, see :func:`load_references`).

This is feedback on communication, not a clinical assessment. Thresholds marked *heuristic* below
are this tool's own choices for when to phrase a finding as a suggestion; they are not research
values and are never presented as such.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from consult_audio.errors import ConsultAudioError
from consult_audio.model import Consultation, Event, FeedbackItem, Metrics, Reference, Role
from consult_audio.text import sentences, tokens

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
QUOTE_CHARS = 140  # longest quote in a message, in characters

# The tip of the talk share item when the patient's share is low (the reports' talk share card
# reads the stored judgement by it).
MORE_ROOM_TIP = ("Pausing for a few seconds after the patient stops, and asking open questions, "
                 "gives them more room to tell their story.")

# Reference keys (data/references.json).
REF_BECKMAN = "opening_redirect_beckman_1984"
REF_BECKMAN_SHARE = "opening_interrupted_share_beckman_1984"
REF_MARVEL = "opening_redirect_marvel_1999"
REF_MARVEL_SOLICITED = "concerns_solicited_marvel_1999"
REF_SINGH_OSPINA = "opening_interrupted_median_singh_ospina_2019"
REF_AGENDA = "agenda_elicited_singh_ospina_2019"
REF_LANGEWITZ = "opening_talking_time_langewitz_2002"
REF_LANGEWITZ_2MIN = "opening_within_2_min_langewitz_2002"
REF_BACKCHANNELS = "backchannel_share_mulder_vos_2023"
REF_ALLIANCE = "alliance_outcome_ferreira_2013"
REF_FOUR_HABITS = "four_habits_frankel_1999"


# --- references ----------------------------------------------------------------------------------


def load_references() -> dict[str, Reference]:
    """The packaged research reference values (``consult_audio/data/references.json``), by key.

    Raises :class:`~consult_audio.errors.ConsultAudioError` if the packaged file is malformed.
    """
    return dict(_packaged_references())


@cache
def _packaged_references() -> Mapping[str, Reference]:
    source = "consult_audio/data/references.json"
    try:
        text = resources.files("consult_audio").joinpath("data/references.json").read_text(
            encoding="utf-8")
        entries = json.loads(text)["references"]
        refs = [_reference(entry) for entry in entries]
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise ConsultAudioError(
            f"{source}: reference values could not be read ({err}); reinstall consult-audio"
        ) from err
    return {ref.key: ref for ref in refs}


def _reference(entry: Mapping[str, Any]) -> Reference:
    value = entry["value"]
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ValueError(f"reference {entry.get('key')!r}: value must be a number or null")
    names = ("key", "unit", "statement", "citation") if value is not None else (
        "key", "statement", "citation")
    if not all(isinstance(entry[name], str) and entry[name] for name in names):
        raise ValueError(f"reference {entry.get('key')!r}: {', '.join(names)} must be "
                         "non-empty strings")
    return Reference(entry["key"], None if value is None else float(value), str(entry["unit"]),
                     entry["statement"], entry["citation"])


# --- small text helpers --------------------------------------------------------------------------


def clock(seconds: float) -> str:
    """``mm:ss`` (``h:mm:ss`` from one hour) for a time in seconds."""
    total = max(0, int(round(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def quote(text: str, *, limit: int = QUOTE_CHARS) -> str:
    """``text`` in double quotes, shortened at a word boundary to about ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) > limit:
        cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
        text = cut + "..."
    return f'"{text}"'


def unsure_note(e: Event) -> str:
    """``(recogniser unsure of: ...; check the recording)`` when the speech recogniser gave a
    low probability to words the event rests on (``evidence["asr_unsure"]``), else ``""``."""
    words = e.evidence.get("asr_unsure")
    if not words:
        return ""
    return f"(recogniser unsure of: {', '.join(map(str, words))}; check the recording)"


def matched_sentence(e: Event) -> str:
    """The sentence of ``e.text`` that holds the words its rule matched (the whole text when
    the match cannot be placed), so a quote shows the point and not the rest of the turn."""
    matched = " ".join(tokens(str(e.evidence.get("matched", ""))))
    if matched:
        for _, _, sentence in sentences(e.text):
            if f" {matched} " in f" {' '.join(tokens(sentence))} ":
                return sentence
    return e.text


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


# --- context shared by the findings --------------------------------------------------------------


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


def _item(habit: str, key: str, kind: str, message: str, *, suggestion: str = "",
          references: Iterable[Reference] = (), evidence: Iterable[Event | None] = ()
          ) -> FeedbackItem:
    return FeedbackItem(habit, key, kind, _tidy(message), _tidy(suggestion), tuple(references),
                        tuple(e for e in evidence if e is not None))


_DOUBLE_STOP = re.compile(r'([.?!])"([.])(?=\s|$)')


def _tidy(text: str) -> str:
    """Drop the full stop after a quote that already ends a sentence: ``"Why?".`` -> ``"Why?"``."""
    return _DOUBLE_STOP.sub(r'\1"', text)


# --- Invest in the beginning ---------------------------------------------------------------------


def opening_statement_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Was the patient's opening statement completed or interrupted, and how long did it run,
    compared with the 18 s / 23 s / 11 s redirection and 92 s talking-time references."""
    op = ctx.m.opening_statement
    habit, key = "invest_in_beginning", "opening_statement"
    if not op.found or op.start_s is None:
        return [_item(habit, key, "info",
                      "The patient's opening statement could not be found (no substantive patient "
                      "turn about why they came after your opening question), so it is not "
                      "judged here.")]
    opening = ctx.utterance_event(op.first_utterance, "opening_statement")
    if op.completed is False:
        after = op.first_interruption_s or 0.0
        ender = _opening_interruption(ctx)
        ended = f" when you said {quote(op.ended_by)}" if op.ended_by else ""
        message = (
            f"The patient's opening statement started at {clock(op.start_s)} and was cut short "
            f"after {after:.0f} s{ended}, before they had finished. Studies found clinicians "
            "redirected patients after a mean of 18 s (1984) and 23 s (1999), and a median of "
            "11 s (2019); patients left to finish talked for a mean of 92 s, and 78% were done "
            "within 2 minutes.")
        return [_item(
            habit, key, "suggestion", message,
            suggestion='Let the patient finish their first story, helped along with "mhm" or '
                       '"go on"; most patients are done within two minutes. Then ask "Is there '
                       'anything else?" before you focus on one problem.',
            references=ctx.ref(REF_BECKMAN, REF_MARVEL, REF_SINGH_OSPINA, REF_LANGEWITZ,
                               REF_LANGEWITZ_2MIN),
            evidence=(opening, ender))]
    duration = op.duration_s or 0.0
    if duration < SHORT_OPENING_S:
        asked = _opening_prompt(ctx)
        narrow = (f", answering a closed question ({quote(asked.text)})"
                  if asked is not None and asked.label == "closed" else "")
        return [_item(
            habit, key, "info",
            f"The patient's opening statement was not interrupted, but it was short: "
            f"{duration:.0f} s from {clock(op.start_s)}{narrow}. Patients invited to tell their "
            "story and left to finish talked for a mean of 92 s, so a statement this short "
            "says little about whether there was room to speak.",
            suggestion='Open with a broad invitation ("What brings you in today?", "Tell me '
                       'about it") and encourage with "mhm" or "go on" before narrowing down.',
            references=ctx.ref(REF_BECKMAN, REF_LANGEWITZ),
            evidence=tuple(e for e in (asked, opening) if e is not None))]
    return [_item(
        habit, key, "strength",
        f"You let the patient finish their opening statement: they spoke from "
        f"{clock(op.start_s)} for {duration:.0f} s without being interrupted. In studies, "
        "clinicians redirected patients after a mean of 18 s, and patients left to finish talked "
        "for a mean of 92 s.",
        references=ctx.ref(REF_BECKMAN, REF_BECKMAN_SHARE, REF_LANGEWITZ),
        evidence=(opening,))]


def _opening_prompt(ctx: FeedbackContext) -> Event | None:
    """The clinician's last question before the opening statement (what the patient answered)."""
    first = ctx.m.opening_statement.first_utterance
    if first is None:
        return None
    asked = [e for e in ctx.of("question", role=str(Role.CLINICIAN))
             if e.utterance is not None and e.utterance < first]
    return asked[-1] if asked else None


def _opening_interruption(ctx: FeedbackContext) -> Event | None:
    """The clinician utterance that cut the opening statement short: its interruption event
    when one was coded, else the utterance itself."""
    op = ctx.m.opening_statement
    index = op.ended_by_utterance
    if index is None and op.start_s is not None and op.first_interruption_s is not None:
        at = op.start_s + op.first_interruption_s
        index = next((i for i, u in enumerate(ctx.c.utterances)
                      if abs(u.start - at) < 1e-6 and ctx.c.role_of(u.speaker) == Role.CLINICIAN),
                     None)
    for e in ctx.of("interruption", role=str(Role.CLINICIAN)):
        if e.utterance == index:
            return e
    return ctx.utterance_event(index, "interruption")


def agenda_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Did the clinician invite the patient's other concerns ("anything else?")."""
    habit, key = "invest_in_beginning", "agenda"
    asked = ctx.of("agenda")
    refs = ctx.ref(REF_AGENDA, REF_MARVEL_SOLICITED)
    if asked:
        first = asked[0]
        return [_item(
            habit, key, "strength",
            f"You invited the patient's other concerns at {clock(first.start_s)} "
            f"({quote(first.text)}). In one study clinicians did this in only 36% of encounters.",
            references=refs, evidence=asked[:MAX_EXAMPLES])]
    return [_item(
        habit, key, "suggestion",
        "No question inviting the patient's other concerns was found, so something they came "
        "about may not have come up.",
        suggestion='Early on, ask "Is there anything else you\'d like to talk about today?", '
                   'and ask "anything else?" again until the patient says no.',
        references=refs)]


# --- Elicit the patient's perspective ------------------------------------------------------------


def talk_share_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Who did the talking (shares of speech time) and the clinician's longest monologue."""
    habit, key = "elicit_patient_perspective", "talk_share"
    tt = ctx.m.talk_time
    if tt.patient_share is None or tt.clinician_share is None:
        return [_item(habit, key, "info",
                      "No clinician or patient speech was found, so talk share is not reported.")]
    message = (f"The patient did {tt.patient_share:.0%} of the talking and you did "
               f"{tt.clinician_share:.0%} (silence left out).")
    tips = []
    longest = ctx.m.turns.clinician.longest_monologue_s
    if longest >= LONG_MONOLOGUE_S:
        message += f" Your longest stretch of talk without a break was {longest:.0f} s."
        tips.append('Break long explanations into short chunks and check in ("How does that '
                    'sound so far?").')
    if tt.patient_share < LOW_PATIENT_SHARE:
        tips.insert(0, MORE_ROOM_TIP)
    kind = "suggestion" if tips else "info"
    return [_item(habit, key, kind, message, suggestion=" ".join(tips))]


def interruptions_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Clinician interruptions, told apart from backchannels ("mm", "okay") that keep the
    patient talking."""
    habit, key = "elicit_patient_perspective", "interruptions"
    it = ctx.m.interruptions
    clinician = str(Role.CLINICIAN)
    by_patient = ""
    if it.by_patient:
        by_patient = (f" The patient started talking over you "
                      f"{_plural(it.by_patient, 'time')}; that is counted, not judged.")
    listening = ""
    if it.backchannels_by_clinician:
        listening = (f" Your {_plural(it.backchannels_by_clinician, 'backchannel')} (\"mm\", "
                     "\"okay\") showed you were listening without taking the floor; they are not "
                     "counted as interruptions.")
    refs = ctx.ref(REF_BACKCHANNELS)
    if not it.by_clinician:
        return [_item(habit, key, "strength",
                      "You did not cut in while the patient was mid-sentence." + listening
                      + by_patient,
                      references=refs,
                      evidence=ctx.of("backchannel", role=clinician)[:MAX_EXAMPLES])]
    cut_in = ctx.of("interruption", role=clinician)
    first = cut_in[0] if cut_in else None
    example = ""
    if first is not None:
        overlapped = first.evidence.get("overlapped_text", "")
        example = (f" For example, at {clock(first.start_s)} you said {quote(first.text)}"
                   + (f" while the patient was saying {quote(overlapped)}." if overlapped else "."))
    return [_item(
        habit, key, "suggestion",
        f"You started talking while the patient was mid-sentence "
        f"{_plural(it.by_clinician, 'time')}.{example}{listening}{by_patient}",
        suggestion='Let the patient reach the end of their sentence before you come in; a brief '
                   '"mm" shows you are following without taking the floor.',
        references=refs, evidence=cut_in[:MAX_EXAMPLES])]


def questions_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Open-question ratio, with a suggested phrasing when most questions were closed."""
    habit, key = "elicit_patient_perspective", "open_questions"
    q = ctx.m.questions
    if not q.total or q.open_ratio is None:
        return [_item(habit, key, "info",
                      "No clinician questions were found in the transcript, so the balance of "
                      "open and closed questions is not reported.")]
    asked = ctx.of("question")
    counts = f"{q.open} of your {_plural(q.total, 'question')} were open ({q.open_ratio:.0%})"
    if q.open_ratio < LOW_OPEN_RATIO:
        closed = [e for e in asked if e.label == "closed"]
        # Plain history-taking questions show the pattern best; checks ("Is that right?") less.
        telling = [e for e in closed if not e.tags and len(tokens(e.text)) >= 4] or closed
        closed = telling
        return [_item(
            habit, key, "suggestion",
            f"{counts}; most were closed questions with a short answer, such as "
            f"{quote(closed[0].text) if closed else 'yes/no questions'}.",
            suggestion='Start each topic with an open question and narrow down afterwards: '
                       '"Tell me about the pain", "What\'s been happening?"',
            evidence=closed[:MAX_EXAMPLES])]
    opened = [e for e in asked if e.label == "open"]
    return [_item(
        habit, key, "strength",
        f"{counts}, for example {quote(opened[0].text)}. Open questions let the patient answer "
        "in their own words.",
        evidence=opened[:MAX_EXAMPLES])]


def expectations_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Did the clinician ask what the patient hopes for from the visit."""
    habit, key = "elicit_patient_perspective", "expectations"
    asked = ctx.of("expectations")
    if asked:
        return [_item(habit, key, "strength",
                      f"You asked what the patient hoped for at {clock(asked[0].start_s)} "
                      f"({quote(asked[0].text)}).",
                      evidence=asked[:MAX_EXAMPLES])]
    return [_item(habit, key, "suggestion",
                  "No question about what the patient hoped to get from the visit was found.",
                  suggestion='Ask "What are you hoping we can do today?"',
                  references=ctx.ref(REF_FOUR_HABITS))]


def ideas_concerns_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Did the clinician ask for the patient's own ideas and worries about the problem."""
    habit, key = "elicit_patient_perspective", "ideas_concerns"
    asked = [e for e in ctx.of("question") if "ideas" in e.tags]
    refs = ctx.ref(REF_FOUR_HABITS)
    if asked:
        return [_item(habit, key, "strength",
                      f"You asked for the patient's own ideas about the problem at "
                      f"{clock(asked[0].start_s)} ({quote(asked[0].text)}).",
                      references=refs, evidence=asked[:MAX_EXAMPLES])]
    volunteered = ctx.of("psychosocial", label="concern_belief", role=str(Role.PATIENT))
    message = "No question asking what the patient thought was causing the problem was found."
    if volunteered:
        message += (f" The patient shared their own worry unprompted at "
                    f"{clock(volunteered[0].start_s)}: {quote(matched_sentence(volunteered[0]))}.")
    return [_item(habit, key, "suggestion", message,
                  suggestion='Ask "What do you think might be causing it?" and "Is there '
                             'anything you\'re worried it might be?"',
                  references=refs, evidence=volunteered[:2])]


def psychosocial_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """When psychosocial content first came up, and who raised it."""
    habit, key = "elicit_patient_perspective", "psychosocial"
    ps = ctx.m.psychosocial
    refs = ctx.ref(REF_FOUR_HABITS)
    everyday = '"How is this affecting your day-to-day life, at home or at work?"'
    found = ctx.of("psychosocial")
    if ps.first_s is None or not found:
        return [_item(habit, key, "info",
                      "No psychosocial content (feelings, worries, work, family or daily life) "
                      "was found in the transcript.",
                      suggestion=f"If there is room for it, you could ask {everyday}",
                      references=refs)]
    first = found[0]
    when = clock(ps.first_s)
    into = f" ({ps.first_fraction:.0%} of the way through)" if ps.first_fraction is not None else ""
    share = f" About {ps.share:.0%} of the talk was psychosocial." + _how_sure(first)
    if ps.first_by == str(Role.CLINICIAN):
        return [_item(habit, key, "strength",
                      f"You opened up psychosocial topics at {when}{into}, raised by you: "
                      f"{quote(matched_sentence(first))}." + share,
                      references=refs, evidence=(first,))]
    invited = next((e for e in found if e.role == str(Role.CLINICIAN)), None)
    message = (f"Psychosocial content first came up at {when}{into}, raised by the patient: "
               f"{quote(matched_sentence(first))}." + share)
    late = ps.first_fraction is not None and ps.first_fraction > LATE_PSYCHOSOCIAL_FRACTION
    if not late:
        return [_item(habit, key, "info", message, references=refs, evidence=(first, invited))]
    return [_item(habit, key, "suggestion", message,
                  suggestion=f"Invite it earlier, before the patient has to bring it up: "
                             f"{everyday}",
                  references=refs, evidence=(first, invited))]


def _how_sure(first: Event) -> str:
    """How the first psychosocial utterance was coded, and how far to trust it."""
    rule = str(first.evidence.get("rule", ""))
    if rule.startswith("short answer"):
        how = ("It was coded as a short answer to a psychosocial question, with no "
               "psychosocial word of its own")
    elif first.evidence.get("matched"):
        how = f"It was coded from the words {quote(str(first.evidence['matched']))}"
    else:
        how = "It was coded automatically"
    return (f" {how}; automatic coding of the first psychosocial moment often differs from a "
            "careful listener's (see Methods), so check it against the recording.")


# --- Demonstrate empathy -------------------------------------------------------------------------


def empathy_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Statements naming or acknowledging the patient's feelings."""
    habit, key = "demonstrate_empathy", "empathy"
    shown = ctx.of("empathy")
    refs = ctx.ref(REF_ALLIANCE)
    if shown:
        return [_item(habit, key, "strength",
                      f"You named or acknowledged the patient's feelings "
                      f"{_plural(len(shown), 'time')}, for example at {clock(shown[0].start_s)}: "
                      f"{quote(matched_sentence(shown[0]))}.",
                      references=refs, evidence=shown[:MAX_EXAMPLES])]
    cues = bool(ctx.m.habits.missed_empathy) or bool(
        ctx.of("psychosocial", label="emotion", role=str(Role.PATIENT)))
    if not cues:
        return [_item(habit, key, "info",
                      "No empathic statements were found, and no feelings or worries from the "
                      "patient were found either, so there is nothing to judge here.")]
    return [_item(habit, key, "suggestion",
                  "No statement naming or acknowledging the patient's feelings was found, though "
                  "the patient did mention how they felt.",
                  suggestion='When the patient mentions a feeling, name it before moving on: '
                             '"That sounds really worrying."',
                  references=refs)]


def missed_empathy_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Patient feelings or worries that the next clinician turn moved on from."""
    habit, key = "demonstrate_empathy", "missed_empathy"
    missed = ctx.of("missed_empathy")
    if not missed:
        return []
    # The clearest example is one where the reply was a full turn, not a cut-off fragment.
    first = next((e for e in missed
                  if len(tokens(str(e.evidence.get("clinician_reply", "")))) > 3), missed[0])
    reply = str(first.evidence.get("clinician_reply", ""))
    then = f", and the next thing you said was {quote(reply)}" if reply else ""
    times = "Once" if len(missed) == 1 else f"On {len(missed)} occasions"
    return [_item(
        habit, key, "suggestion",
        f"{times} the patient mentioned a feeling or worry and the conversation moved on "
        f"without it being acknowledged. At {clock(first.start_s)} the patient said "
        f"{quote(matched_sentence(first))}{then}.",
        suggestion='Acknowledge the feeling first, then carry on: "That sounds really worrying. '
                   'Tell me more about what worries you."',
        references=ctx.ref(REF_ALLIANCE), evidence=missed[:MAX_EXAMPLES])]


# --- Invest in the end ---------------------------------------------------------------------------


def shared_decision_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Shared decision steps: options described, benefits and harms, the patient's preference."""
    habit, key = "invest_in_end", "shared_decision"
    options = [e for e in ctx.of("options") if e.label != "risks_benefits"]
    risks = ctx.of("options", label="risks_benefits")
    preference = ctx.of("preference")
    if not (options or risks or preference):
        return [_item(habit, key, "info",
                      "No talk of options, of their benefits and harms, or of the patient's "
                      "preference was found. If there was a decision to make, it may not have "
                      "been talked through out loud.",
                      suggestion='Where there is a choice: "There are a couple of options here. '
                                 'Can I talk you through them?", then "What matters most to '
                                 'you?"')]
    done = []
    if options:
        done.append("described options")
    if risks:
        done.append("talked about benefits and harms")
    if preference:
        done.append("asked for the patient's view")
    message = f"You {_join(done)}."
    tips = []
    if not risks:
        tips.append("say what each option could do for them and what the downsides are")
    if not preference:
        tips.append('ask "What matters most to you?" or "How does that sound to you?"')
    evidence = sorted([*options[:1], *risks[:1], *preference[:1]], key=lambda e: e.start_s)
    if not tips:
        return [_item(habit, key, "strength", message, evidence=evidence)]
    return [_item(habit, key, "suggestion", message,
                  suggestion="To share the decision, " + _join(tips) + ".", evidence=evidence)]


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def summary_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """A summary of the plan, and teach-back (the patient says it back)."""
    habit, key = "invest_in_end", "summary_teach_back"
    teach_back = ctx.of("summary", label="teach_back")
    summary = ctx.of("summary", label="summary")
    ask_back = ('"So that I know I explained it well, can you tell me what you\'ll do when you '
                'get home?"')
    if teach_back:
        return [_item(habit, key, "strength",
                      f"You asked the patient to say the plan back in their own words at "
                      f"{clock(teach_back[0].start_s)}: {quote(matched_sentence(teach_back[0]))}.",
                      evidence=[*teach_back[:2], *summary[:1]])]
    if summary:
        return [_item(habit, key, "strength",
                      f"You summarised at {clock(summary[0].start_s)}: "
                      f"{quote(matched_sentence(summary[0]))}.",
                      suggestion=f"Add a teach-back to check it landed: {ask_back}",
                      evidence=summary[:MAX_EXAMPLES])]
    return [_item(habit, key, "suggestion",
                  "No summary of the plan or teach-back was found.",
                  suggestion=f"Sum up the plan in a sentence or two, then check: {ask_back}")]


def harmful_language_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Words that can create fear, each with the neutral alternative from the rules file."""
    habit, key = "invest_in_end", "harmful_language"
    items = []
    seen: set[tuple[int | None, str]] = set()
    for e in ctx.of("harmful_language"):
        word = str(e.evidence.get("matched") or e.label)
        if (e.utterance, word.lower()) in seen:
            continue
        seen.add((e.utterance, word.lower()))
        alternative = str(e.evidence.get("alternative", ""))
        items.append(_item(
            habit, key, "suggestion",
            f"At {clock(e.start_s)} you said {quote(word)} ({quote(e.text)}). Words like this "
            "can make a patient fear damage that is not there.",
            suggestion=f"Try instead: {quote(alternative)}." if alternative else
            "Describe the finding in neutral, everyday words.",
            evidence=(e,)))
    return items[:MAX_HARMFUL_ITEMS]


def patient_questions_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Questions the patient asked, and whether they were invited."""
    habit, key = "invest_in_end", "patient_questions"
    asked = ctx.of("patient_question")
    if asked:
        return [_item(habit, key, "info",
                      f"The patient asked {_plural(len(asked), 'question')}, for example at "
                      f"{clock(asked[0].start_s)}: {quote(asked[0].text)}.",
                      evidence=asked[:MAX_EXAMPLES])]
    invited = [e for e in ctx.of("question") if "check_understanding" in e.tags]
    if invited:
        return [_item(habit, key, "info",
                      f"The patient asked no questions, though you invited them at "
                      f"{clock(invited[0].start_s)} ({quote(invited[0].text)}).",
                      evidence=invited[:1])]
    return [_item(habit, key, "suggestion",
                  "The patient asked no questions, and no invitation to ask was found.",
                  suggestion='Before you close, ask "What questions do you have for me?" (an '
                             'open invitation works better than "Any questions?").')]


# --- all findings --------------------------------------------------------------------------------

FINDINGS: tuple[Callable[[FeedbackContext], list[FeedbackItem]], ...] = (
    opening_statement_feedback,
    agenda_feedback,
    talk_share_feedback,
    interruptions_feedback,
    questions_feedback,
    expectations_feedback,
    ideas_concerns_feedback,
    psychosocial_feedback,
    empathy_feedback,
    missed_empathy_feedback,
    shared_decision_feedback,
    summary_feedback,
    harmful_language_feedback,
    patient_questions_feedback,
)


def build_feedback(
    c: Consultation, metrics: Metrics, events: Sequence[Event]
) -> list[FeedbackItem]:
    """Every finding as feedback items, grouped by habit in :data:`HABITS` order."""
    ctx = FeedbackContext(c, metrics, tuple(events), _packaged_references())
    items = [item for finding in FINDINGS for item in finding(ctx)]
    order = {habit: i for i, habit in enumerate(HABITS)}
    return sorted(items, key=lambda item: order[item.habit])
