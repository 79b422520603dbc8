"""Findings of the first habit, *Invest in the beginning*: the patient's opening statement and
the invitation of their other concerns.
"""

from __future__ import annotations

from consult_audio.feedback.context import MAX_EXAMPLES, SHORT_OPENING_S, FeedbackContext, item
from consult_audio.feedback.phrasing import clock, quote
from consult_audio.feedback.references import (
    REF_AGENDA,
    REF_BECKMAN,
    REF_BECKMAN_SHARE,
    REF_LANGEWITZ,
    REF_LANGEWITZ_2MIN,
    REF_MARVEL,
    REF_MARVEL_SOLICITED,
    REF_SINGH_OSPINA,
)
from consult_audio.model import Event, FeedbackItem, Role


def opening_statement_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Was the patient's opening statement completed or interrupted, and how long did it run,
    compared with the 18 s / 23 s / 11 s redirection and 92 s talking-time references."""
    op = ctx.m.opening_statement
    habit, key = "invest_in_beginning", "opening_statement"
    if not op.found or op.start_s is None:
        return [item(habit, key, "info",
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
        return [item(
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
        return [item(
            habit, key, "info",
            f"The patient's opening statement was not interrupted, but it was short: "
            f"{duration:.0f} s from {clock(op.start_s)}{narrow}. Patients invited to tell their "
            "story and left to finish talked for a mean of 92 s, so a statement this short "
            "says little about whether there was room to speak.",
            suggestion='Open with a broad invitation ("What brings you in today?", "Tell me '
                       'about it") and encourage with "mhm" or "go on" before narrowing down.',
            references=ctx.ref(REF_BECKMAN, REF_LANGEWITZ),
            evidence=tuple(e for e in (asked, opening) if e is not None))]
    return [item(
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
        return [item(
            habit, key, "strength",
            f"You invited the patient's other concerns at {clock(first.start_s)} "
            f"({quote(first.text)}). In one study clinicians did this in only 36% of encounters.",
            references=refs, evidence=asked[:MAX_EXAMPLES])]
    return [item(
        habit, key, "suggestion",
        "No question inviting the patient's other concerns was found, so something they came "
        "about may not have come up.",
        suggestion='Early on, ask "Is there anything else you\'d like to talk about today?", '
                   'and ask "anything else?" again until the patient says no.',
        references=refs)]
