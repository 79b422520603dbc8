"""Feedback items from consultations built of literal utterances, and the reference values."""

from __future__ import annotations

import re

import pytest

from consult_audio import feedback
from consult_audio.analysis import analyse
from consult_audio.feedback import HABITS, clock, load_references, quote
from consult_audio.model import (
    AnalysisResult,
    Consultation,
    FeedbackItem,
    Role,
    Speaker,
    Utterance,
)
from consult_audio.rules import default_rules

U = Utterance


def consult(*utterances: Utterance, cid: str = "test") -> Consultation:
    return Consultation(cid, max(u.end for u in utterances) + 1.0,
                        (Speaker("dr", Role.CLINICIAN), Speaker("pt", Role.PATIENT)), utterances)


def item(result: AnalysisResult, key: str) -> FeedbackItem:
    found = [f for f in result.feedback if f.key == key]
    assert len(found) == 1, [f.key for f in result.feedback]
    return found[0]


def feedback_on(key: str, *utterances: Utterance) -> FeedbackItem:
    """The one feedback item ``key`` from analysing a consultation of ``utterances``."""
    return item(analyse(consult(*utterances)), key)


INTERRUPTED = consult(
    U("dr", 0.0, 3.0, "How can I help?"),
    U("pt", 3.5, 12.0, "I've had this pain in my lower back for three weeks and it started when I "
                       "was lifting boxes and then"),
    U("dr", 11.0, 14.0, "Does it go down your leg?"),
    U("pt", 14.5, 16.0, "No."),
    U("dr", 16.5, 19.0, "Do you smoke?"),
    U("pt", 19.5, 20.0, "No."),
)

NO_QUESTIONS = consult(
    U("dr", 0.0, 2.0, "Good morning."),
    U("pt", 2.5, 4.0, "Morning."),
    U("dr", 4.5, 9.0, "I have your test results here."),
    U("pt", 9.5, 11.0, "Okay."),
    U("dr", 11.5, 18.0, "Your blood count is normal and the scan is clear."),
    U("pt", 18.5, 20.0, "Right, thanks."),
)


# --- references ----------------------------------------------------------------------------------


def test_references_carry_the_published_values_with_full_citations() -> None:
    refs = load_references()
    expected = {
        "opening_redirect_beckman_1984": (18, "s", "Ann Intern Med 1984;101:692-6"),
        "opening_redirect_marvel_1999": (23, "s", "JAMA 1999;281:283-7"),
        "opening_interrupted_median_singh_ospina_2019": (11, "s", "J Gen Intern Med 2019;34:36-40"),
        "agenda_elicited_singh_ospina_2019": (36, "%", "J Gen Intern Med 2019;34:36-40"),
        "opening_talking_time_langewitz_2002": (92, "s", "BMJ 2002;325:682-3"),
        "opening_within_2_min_langewitz_2002": (78, "%", "BMJ 2002;325:682-3"),
        "backchannel_share_mulder_vos_2023": (67, "%", "BMJ Open 2023;13:e066678"),
    }
    for key, (value, unit, source) in expected.items():
        assert refs[key].value == value
        assert refs[key].unit == unit
        assert source in refs[key].citation
    for ref in refs.values():
        assert ref.key and ref.statement and re.search(r"\b(19|20)\d\d\b", ref.citation)


def test_every_reference_the_feedback_cites_is_packaged() -> None:
    keys = {value for name, value in vars(feedback).items() if name.startswith("REF_")}
    assert keys and keys <= set(load_references())


def test_load_references_returns_a_copy() -> None:
    load_references().clear()
    assert load_references()


# --- opening statement ---------------------------------------------------------------------------


def test_interrupted_opening_cites_18_s_and_quotes_the_interruption() -> None:
    result = analyse(INTERRUPTED)
    assert result.metrics.opening_statement.completed is False
    f = item(result, "opening_statement")
    assert (f.habit, f.kind) == ("invest_in_beginning", "suggestion")
    assert "opening_redirect_beckman_1984" in {r.key for r in f.references}
    assert 18.0 in {r.value for r in f.references}
    assert '"Does it go down your leg?"' in f.message
    assert "18 s" in f.message and "92 s" in f.message
    cut_in = [e for e in f.evidence if e.text == "Does it go down your leg?"]
    assert cut_in and cut_in[0].type == "interruption" and cut_in[0].role == "clinician"
    assert any(e.role == "patient" for e in f.evidence)  # the opening statement itself


def test_completed_opening_is_a_strength() -> None:
    f = feedback_on(
        "opening_statement",
        U("dr", 0.0, 3.0, "How can I help?"),
        U("pt", 3.5, 48.0, "I've had this pain in my lower back for three weeks. It started "
                           "when I was moving house and it has not really settled since, and "
                           "now it wakes me at night and I can't get comfortable at all."),
        U("dr", 49.0, 51.0, "Does it go down your leg?"),
    )
    assert f.kind == "strength" and "for 44 s" in f.message
    assert {"opening_redirect_beckman_1984", "opening_talking_time_langewitz_2002"} <= {
        r.key for r in f.references}


def test_short_opening_after_a_narrow_question_is_not_praised() -> None:
    f = feedback_on(
        "opening_statement",
        U("dr", 0.0, 3.0, "Is it your knee again?"),
        U("pt", 3.5, 8.0, "Yes, my right knee has been sore since Tuesday."),
        U("dr", 9.0, 11.0, "Does it go down your leg?"),
    )
    assert f.kind == "info"
    assert "short: 4 s" in f.message and '"Is it your knee again?"' in f.message
    assert f.suggestion and any(e.text == "Is it your knee again?" for e in f.evidence)


# --- missing metrics are said plainly ------------------------------------------------------------


def test_no_questions_and_no_psychosocial_content_are_info_items() -> None:
    result = analyse(NO_QUESTIONS)
    assert result.metrics.questions.total == 0
    assert result.metrics.psychosocial.first_s is None
    questions = item(result, "open_questions")
    assert questions.kind == "info" and "No clinician questions" in questions.message
    psychosocial = item(result, "psychosocial")
    assert psychosocial.kind == "info" and "No psychosocial content" in psychosocial.message
    opening = item(result, "opening_statement")
    assert opening.kind == "info" and "could not be found" in opening.message


# --- words that harm, empathy --------------------------------------------------------------------


def test_harmful_language_item_gives_the_alternative() -> None:
    f = feedback_on(
        "harmful_language",
        U("dr", 0.0, 3.0, "How can I help?"),
        U("pt", 3.5, 8.0, "My back has been sore for a month."),
        U("dr", 9.0, 14.0, "Your scan shows some wear and tear."),
    )
    event = f.evidence[0]
    assert event.type == "harmful_language"
    alternative = event.evidence["alternative"]
    assert alternative in f.suggestion
    rules_alternatives = {t.alternative for t in default_rules().harmful_terms()}
    assert alternative in rules_alternatives
    assert '"wear and tear"' in f.message and clock(event.start_s) in f.message
    assert f.habit == "invest_in_end" and f.kind == "suggestion"


def test_missed_empathy_quotes_the_cue_and_suggests_naming_the_feeling() -> None:
    f = feedback_on(
        "missed_empathy",
        U("dr", 0.0, 3.0, "How can I help?"),
        U("pt", 3.5, 9.0, "I've had headaches and I'm really worried it's something serious."),
        U("dr", 10.0, 12.0, "Do you smoke?"),
    )
    assert f.habit == "demonstrate_empathy"
    assert "really worried" in f.message
    assert "That sounds really worrying" in f.suggestion
    assert f.evidence and f.evidence[0].role == "patient"


# --- shape of the whole list ---------------------------------------------------------------------


@pytest.mark.parametrize("c", [INTERRUPTED, NO_QUESTIONS], ids=["interrupted", "no-questions"])
def test_items_are_grouped_by_the_four_habits(c: Consultation) -> None:
    feedback = analyse(c).feedback
    habits = list(HABITS)
    positions = [habits.index(f.habit) for f in feedback]
    assert positions == sorted(positions)
    assert {f.kind for f in feedback} <= {"strength", "suggestion", "info"}
    assert all(f.message and not f.message.endswith(' ".') for f in feedback)
    assert all(len(f.evidence) <= 3 for f in feedback)


def test_quote_and_clock() -> None:
    assert clock(0) == "00:00"
    assert clock(65.4) == "01:05"
    assert clock(3725) == "1:02:05"
    assert quote("a  b") == '"a b"'
    long = quote("word " * 100, limit=20)
    assert long.endswith('..."') and len(long) < 30


# --- first psychosocial content: who raised it, how sure ------------------------------------------


def test_first_psychosocial_says_who_raised_it_and_how_it_was_coded() -> None:
    by_patient = feedback_on(
        "psychosocial",
        U("dr", 0.0, 3.0, "How can I help?"),
        U("pt", 3.5, 12.0, "My back hurts and I'm worried I'll lose my job."),
        U("dr", 12.5, 14.0, "When did it start?"),
    )
    assert "raised by the patient" in by_patient.message
    assert 'coded from the words "worried"' in by_patient.message
    assert "check it against the recording" in by_patient.message
    by_clinician = feedback_on(
        "psychosocial",
        U("dr", 0.0, 3.0, "How can I help?"),
        U("pt", 3.5, 12.0, "My back hurts."),
        U("dr", 12.5, 16.0, "How is it affecting your work?"),
        U("pt", 16.5, 18.0, "Badly."),
    )
    assert by_clinician.kind == "strength" and "raised by you" in by_clinician.message
