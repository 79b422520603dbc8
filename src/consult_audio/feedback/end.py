"""Findings of the fourth habit, *Invest in the end*: a shared decision, a summary and
teach-back, words that can create fear, and the patient's questions.
"""

from __future__ import annotations

from consult_audio.feedback.context import MAX_EXAMPLES, MAX_HARMFUL_ITEMS, FeedbackContext, item
from consult_audio.feedback.phrasing import clock, join_and, matched_sentence, plural, quote
from consult_audio.model import FeedbackItem


def shared_decision_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """Shared decision steps: options described, benefits and harms, the patient's preference."""
    habit, key = "invest_in_end", "shared_decision"
    options = [e for e in ctx.of("options") if e.label != "risks_benefits"]
    risks = ctx.of("options", label="risks_benefits")
    preference = ctx.of("preference")
    if not (options or risks or preference):
        return [item(habit, key, "info",
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
    message = f"You {join_and(done)}."
    tips = []
    if not risks:
        tips.append("say what each option could do for them and what the downsides are")
    if not preference:
        tips.append('ask "What matters most to you?" or "How does that sound to you?"')
    evidence = sorted([*options[:1], *risks[:1], *preference[:1]], key=lambda e: e.start_s)
    if not tips:
        return [item(habit, key, "strength", message, evidence=evidence)]
    return [item(habit, key, "suggestion", message,
                 suggestion="To share the decision, " + join_and(tips) + ".", evidence=evidence)]




def summary_feedback(ctx: FeedbackContext) -> list[FeedbackItem]:
    """A summary of the plan, and teach-back (the patient says it back)."""
    habit, key = "invest_in_end", "summary_teach_back"
    teach_back = ctx.of("summary", label="teach_back")
    summary = ctx.of("summary", label="summary")
    ask_back = ('"So that I know I explained it well, can you tell me what you\'ll do when you '
                'get home?"')
    if teach_back:
        return [item(habit, key, "strength",
                     f"You asked the patient to say the plan back in their own words at "
                     f"{clock(teach_back[0].start_s)}: {quote(matched_sentence(teach_back[0]))}.",
                     evidence=[*teach_back[:2], *summary[:1]])]
    if summary:
        return [item(habit, key, "strength",
                     f"You summarised at {clock(summary[0].start_s)}: "
                     f"{quote(matched_sentence(summary[0]))}.",
                     suggestion=f"Add a teach-back to check it landed: {ask_back}",
                     evidence=summary[:MAX_EXAMPLES])]
    return [item(habit, key, "suggestion",
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
        items.append(item(
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
        return [item(habit, key, "info",
                     f"The patient asked {plural(len(asked), 'question')}, for example at "
                     f"{clock(asked[0].start_s)}: {quote(asked[0].text)}.",
                     evidence=asked[:MAX_EXAMPLES])]
    invited = [e for e in ctx.of("question") if "check_understanding" in e.tags]
    if invited:
        return [item(habit, key, "info",
                     f"The patient asked no questions, though you invited them at "
                     f"{clock(invited[0].start_s)} ({quote(invited[0].text)}).",
                     evidence=invited[:1])]
    return [item(habit, key, "suggestion",
                 "The patient asked no questions, and no invitation to ask was found.",
                 suggestion='Before you close, ask "What questions do you have for me?" (an '
                            'open invitation works better than "Any questions?").')]
