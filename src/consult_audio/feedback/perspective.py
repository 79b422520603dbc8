"""Findings of the second habit, *Elicit the patient's perspective*: who did the talking,
interruptions, open questions, the patient's expectations, ideas and worries, and psychosocial talk.
"""

from __future__ import annotations

from consult_audio.feedback.context import (
    LATE_PSYCHOSOCIAL_FRACTION,
    LONG_MONOLOGUE_S,
    LOW_OPEN_RATIO,
    LOW_PATIENT_SHARE,
    MAX_EXAMPLES,
    MORE_ROOM_TIP,
    FeedbackContext,
    item,
)
from consult_audio.feedback.phrasing import clock, matched_sentence, plural, quote
from consult_audio.feedback.references import REF_BACKCHANNELS, REF_FOUR_HABITS
from consult_audio.model import Event, FeedbackItem, Role
from consult_audio.text import tokens


def talk_share_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Who did the talking (shares of speech time) and the clinician's longest monologue."""
    habit, key = "elicit_patient_perspective", "talk_share"
    tt = ctx.m.talk_time
    if tt.patient_share is None or tt.clinician_share is None:
        return [item(habit, key, "info",
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
    return [item(habit, key, kind, message, suggestion=" ".join(tips))]


def interruptions_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Clinician interruptions, told apart from backchannels ("mm", "okay") that keep the
    patient talking."""
    habit, key = "elicit_patient_perspective", "interruptions"
    it = ctx.m.interruptions
    clinician = str(Role.CLINICIAN)
    by_patient = ""
    if it.by_patient:
        by_patient = (f" The patient started talking over you "
                      f"{plural(it.by_patient, 'time')}; that is counted, not judged.")
    listening = ""
    if it.backchannels_by_clinician:
        listening = (f" Your {plural(it.backchannels_by_clinician, 'backchannel')} (\"mm\", "
                     "\"okay\") showed you were listening without taking the floor; they are not "
                     "counted as interruptions.")
    refs = ctx.ref(REF_BACKCHANNELS)
    if not it.by_clinician:
        return [item(habit, key, "strength",
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
    return [item(
        habit, key, "suggestion",
        f"You started talking while the patient was mid-sentence "
        f"{plural(it.by_clinician, 'time')}.{example}{listening}{by_patient}",
        suggestion='Let the patient reach the end of their sentence before you come in; a brief '
                   '"mm" shows you are following without taking the floor.',
        references=refs, evidence=cut_in[:MAX_EXAMPLES])]


def questions_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Open-question ratio, with a suggested phrasing when most questions were closed."""
    habit, key = "elicit_patient_perspective", "open_questions"
    q = ctx.m.questions
    if not q.total or q.open_ratio is None:
        return [item(habit, key, "info",
                     "No clinician questions were found in the transcript, so the balance of "
                     "open and closed questions is not reported.")]
    asked = ctx.of("question")
    counts = f"{q.open} of your {plural(q.total, 'question')} were open ({q.open_ratio:.0%})"
    if q.open_ratio < LOW_OPEN_RATIO:
        closed = [e for e in asked if e.label == "closed"]
        # Plain history-taking questions show the pattern best; checks ("Is that right?") less.
        telling = [e for e in closed if not e.tags and len(tokens(e.text)) >= 4] or closed
        closed = telling
        return [item(
            habit, key, "suggestion",
            f"{counts}; most were closed questions with a short answer, such as "
            f"{quote(closed[0].text) if closed else 'yes/no questions'}.",
            suggestion='Start each topic with an open question and narrow down afterwards: '
                       '"Tell me about the pain", "What\'s been happening?"',
            evidence=closed[:MAX_EXAMPLES])]
    opened = [e for e in asked if e.label == "open"]
    return [item(
        habit, key, "strength",
        f"{counts}, for example {quote(opened[0].text)}. Open questions let the patient answer "
        "in their own words.",
        evidence=opened[:MAX_EXAMPLES])]


def expectations_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Did the clinician ask what the patient hopes for from the visit."""
    habit, key = "elicit_patient_perspective", "expectations"
    asked = ctx.of("expectations")
    if asked:
        return [item(habit, key, "strength",
                     f"You asked what the patient hoped for at {clock(asked[0].start_s)} "
                     f"({quote(asked[0].text)}).",
                     evidence=asked[:MAX_EXAMPLES])]
    return [item(habit, key, "suggestion",
                 "No question about what the patient hoped to get from the visit was found.",
                 suggestion='Ask "What are you hoping we can do today?"',
                 references=ctx.ref(REF_FOUR_HABITS))]


def ideas_concerns_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Did the clinician ask for the patient's own ideas and worries about the problem."""
    habit, key = "elicit_patient_perspective", "ideas_concerns"
    asked = [e for e in ctx.of("question") if "ideas" in e.tags]
    refs = ctx.ref(REF_FOUR_HABITS)
    if asked:
        return [item(habit, key, "strength",
                     f"You asked for the patient's own ideas about the problem at "
                     f"{clock(asked[0].start_s)} ({quote(asked[0].text)}).",
                     references=refs, evidence=asked[:MAX_EXAMPLES])]
    volunteered = ctx.of("psychosocial", label="concern_belief", role=str(Role.PATIENT))
    message = "No question asking what the patient thought was causing the problem was found."
    if volunteered:
        message += (f" The patient shared their own worry unprompted at "
                    f"{clock(volunteered[0].start_s)}: {quote(matched_sentence(volunteered[0]))}.")
    return [item(habit, key, "suggestion", message,
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
        return [item(habit, key, "info",
                     "No psychosocial content (feelings, worries, work, family or daily life) "
                     "was found in the transcript.",
                     suggestion=f"If there is room for it, you could ask {everyday}",
                     references=refs)]
    first = found[0]
    when = clock(ps.first_s)
    into = f" ({ps.first_fraction:.0%} of the way through)" if ps.first_fraction is not None else ""
    share = f" About {ps.share:.0%} of the talk was psychosocial." + _how_sure(first)
    if ps.first_by == str(Role.CLINICIAN):
        return [item(habit, key, "strength",
                     f"You opened up psychosocial topics at {when}{into}, raised by you: "
                     f"{quote(matched_sentence(first))}." + share,
                     references=refs, evidence=(first,))]
    invited = next((e for e in found if e.role == str(Role.CLINICIAN)), None)
    message = (f"Psychosocial content first came up at {when}{into}, raised by the patient: "
               f"{quote(matched_sentence(first))}." + share)
    late = ps.first_fraction is not None and ps.first_fraction > LATE_PSYCHOSOCIAL_FRACTION
    if not late:
        return [item(habit, key, "info", message, references=refs, evidence=(first, invited))]
    return [item(habit, key, "suggestion", message,
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
