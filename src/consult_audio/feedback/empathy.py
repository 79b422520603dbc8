"""Findings of the third habit, *Demonstrate empathy*: feelings named or acknowledged, and
feelings or worries the conversation moved on from.
"""

from __future__ import annotations

from consult_audio.feedback.context import MAX_EXAMPLES, FeedbackContext, item
from consult_audio.feedback.phrasing import clock, matched_sentence, plural, quote
from consult_audio.feedback.references import REF_ALLIANCE
from consult_audio.model import FeedbackItem, Role
from consult_audio.text import tokens


def empathy_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Statements naming or acknowledging the patient's feelings."""
    habit, key = "demonstrate_empathy", "empathy"
    shown = ctx.of("empathy")
    refs = ctx.ref(REF_ALLIANCE)
    if shown:
        return [item(habit, key, "strength",
                     f"You named or acknowledged the patient's feelings "
                     f"{plural(len(shown), 'time')}, for example at {clock(shown[0].start_s)}: "
                     f"{quote(matched_sentence(shown[0]))}.",
                     references=refs, evidence=shown[:MAX_EXAMPLES])]
    cues = bool(ctx.m.habits.missed_empathy) or bool(
        ctx.of("psychosocial", label="emotion", role=str(Role.PATIENT)))
    if not cues:
        return [item(habit, key, "info",
                     "No empathic statements were found, and no feelings or worries from the "
                     "patient were found either, so there is nothing to judge here.")]
    return [item(habit, key, "suggestion",
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
    return [item(
        habit, key, "suggestion",
        f"{times} the patient mentioned a feeling or worry and the conversation moved on "
        f"without it being acknowledged. At {clock(first.start_s)} the patient said "
        f"{quote(matched_sentence(first))}{then}.",
        suggestion='Acknowledge the feeling first, then carry on: "That sounds really worrying. '
                   'Tell me more about what worries you."',
        references=ctx.ref(REF_ALLIANCE), evidence=missed[:MAX_EXAMPLES])]
