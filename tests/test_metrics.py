"""Every metric from literal turns: no audio, no model, no shared data."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consult_audio.analysis import analyse
from consult_audio.model import AnalysisResult, Consultation, Role, Speaker, Utterance

DR = Speaker("dr", Role.CLINICIAN)
PT = Speaker("pt", Role.PATIENT)


def consult(*turns: tuple[str, float, float, str], duration: float | None = None) -> Consultation:
    utts = tuple(sorted((Utterance(s, a, b, t, t) for s, a, b, t in turns),
                        key=lambda u: (u.start, u.speaker != "dr")))
    return Consultation("t", duration or max(u.end for u in utts), (DR, PT), utts)


def events(result: AnalysisResult, kind: str) -> list:
    return [e for e in result.events if e.type == kind]


OPENING = (
    ("dr", 0.0, 3.0, "Hello, come in. How can I help you today?"),
    ("pt", 3.5, 20.0, "I've had pain in my lower back for three weeks, it started gardening."),
    ("dr", 9.0, 9.4, "Mm."),
    ("pt", 21.0, 30.0, "It's been stopping me from working, and I'm really worried about it."),
    ("dr", 31.0, 36.0, "That sounds really worrying. How long does the stiffness last?"),
    ("pt", 36.5, 38.0, "About an hour."),
)


def test_talk_time_shares_over_speech_time() -> None:
    c = consult(("dr", 0.0, 10.0, "Tell me about the pain."), ("pt", 8.0, 20.0, "It hurts a lot."),
                duration=25.0)
    tt = analyse(c).metrics.talk_time
    assert tt.clinician_s == pytest.approx(10.0)
    assert tt.patient_s == pytest.approx(12.0)
    assert tt.clinician_share == pytest.approx(10 / 22)
    assert tt.patient_share == pytest.approx(12 / 22)
    assert tt.overlap_s == pytest.approx(2.0)
    assert tt.speech_s == pytest.approx(20.0)
    assert tt.silence_s == pytest.approx(5.0)
    assert tt.silence_share == pytest.approx(0.2)


def test_backchannel_is_not_an_interruption_and_does_not_end_a_turn() -> None:
    c = consult(*OPENING)
    r = analyse(c)
    (bc,) = events(r, "backchannel")
    assert bc.text == "Mm." and bc.role == "patient" or bc.role == "clinician"
    assert bc.role == "clinician" and bc.start_s == 9.0
    assert not events(r, "interruption")
    assert r.metrics.interruptions.backchannels == 1
    # The patient's two utterances are one turn: the "Mm." does not take the floor.
    assert r.metrics.turns.patient.turns == 2
    assert r.metrics.turns.patient.longest_monologue_s == pytest.approx(26.5)


def test_interruption_cuts_off_an_unfinished_utterance() -> None:
    c = consult(
        ("dr", 0.0, 2.0, "How can I help?"),
        ("pt", 2.5, 14.0, "Well it started last week when I was lifting boxes and then"),
        ("dr", 13.0, 18.0, "Right, and do you have any numbness in your legs?"),
        ("pt", 18.5, 20.0, "No, none."),
    )
    r = analyse(c)
    (inter,) = events(r, "interruption")
    assert inter.role == "clinician" and inter.label == "successful"
    assert inter.evidence["pair"] == [1, 2]
    m = r.metrics
    assert m.interruptions.by_clinician == 1 and m.interruptions.by_patient == 0
    assert m.interruptions.per_10_min == pytest.approx(10 * 1 / (20 / 60))
    os_ = m.opening_statement
    assert os_.found and os_.completed is False
    assert os_.start_s == 2.5
    assert os_.first_interruption_s == pytest.approx(10.5)
    assert os_.ended_by_utterance == 2


def test_unsuccessful_interruption_when_the_speaker_carries_on() -> None:
    c = consult(
        ("dr", 0.0, 2.0, "What brings you in?"),
        ("pt", 2.5, 20.0, "My knee has been swelling up after every run and it gets hot and then"),
        ("dr", 5.0, 8.0, "Which knee is it, the left one?"),
    )
    (inter,) = events(analyse(c), "interruption")
    assert inter.label == "unsuccessful"


def test_terminal_overlap_is_other() -> None:
    c = consult(
        ("dr", 0.0, 5.0, "Do you smoke?"),
        ("pt", 4.9, 6.0, "No, I never have."),
    )
    r = analyse(c)
    (ov,) = events(r, "overlap")
    assert ov.evidence["pair"] == [0, 1]
    assert not events(r, "interruption") and not events(r, "backchannel")


def test_opening_statement_completed() -> None:
    r = analyse(consult(*OPENING))
    os_ = r.metrics.opening_statement
    assert os_.completed is True
    assert os_.start_s == 3.5 and os_.end_s == 30.0 and os_.duration_s == pytest.approx(26.5)
    assert os_.first_utterance == 1 and os_.ended_by_utterance == 4


def test_questions_open_closed_and_tags() -> None:
    c = consult(
        ("dr", 0.0, 30.0,
         "Hi, how are you? So, how can I help you today? Do you smoke? "
         "Is there anything else you wanted to talk about today? "
         "What are you hoping we can do today? Does that make sense? "
         "How long has it been going on? Tell me about the pain."),
        ("pt", 30.5, 40.0, "Sure. Can I still go to the gym?"),
    )
    r = analyse(c)
    qs = [(e.text, e.label, e.tags) for e in events(r, "question")]
    assert [q[0] for q in qs] == [
        "So, how can I help you today?", "Do you smoke?",
        "Is there anything else you wanted to talk about today?",
        "What are you hoping we can do today?", "Does that make sense?",
        "How long has it been going on?", "Tell me about the pain."]
    labels = {q[0]: q[1] for q in qs}
    assert labels["Do you smoke?"] == "closed"
    assert labels["How long has it been going on?"] == "closed"
    assert labels["Tell me about the pain."] == "open"
    assert labels["So, how can I help you today?"] == "open"
    tags = {q[0]: q[2] for q in qs}
    assert "agenda" in tags["Is there anything else you wanted to talk about today?"]
    assert "expectations" in tags["What are you hoping we can do today?"]
    assert "check_understanding" in tags["Does that make sense?"]
    m = r.metrics
    assert (m.questions.open, m.questions.closed) == (4, 3)
    assert m.questions.open_ratio == pytest.approx(4 / 7)
    assert m.questions.patient_questions == 1
    assert m.habits.agenda_elicited and m.habits.expectations_elicited
    assert events(r, "question")[0].evidence["rule"].startswith("questions.")


def test_psychosocial_first_time_who_and_share() -> None:
    r = analyse(consult(*OPENING))
    ps = r.metrics.psychosocial
    assert ps.first_s == 21.0 and ps.first_by == "patient"
    assert ps.first_fraction == pytest.approx(21.0 / 38.0)
    first = events(r, "psychosocial")[0]
    assert first.label in {"work", "emotion", "daily_life_impact"}
    assert 0 < ps.share < 1


def test_family_history_and_physical_job_are_not_psychosocial() -> None:
    c = consult(
        ("dr", 0.0, 4.0, "Does anything run in your family, any heart problems?"),
        ("pt", 4.5, 8.0, "My dad has diabetes."),
        ("dr", 8.5, 12.0, "In your job, do you do any heavy lifting?"),
        ("pt", 12.5, 14.0, "No, it's an office."),
    )
    assert not events(analyse(c), "psychosocial")


def test_empathy_and_missed_opportunity() -> None:
    c = consult(
        ("pt", 0.0, 5.0, "I'm scared it might be something serious."),
        ("dr", 5.5, 9.0, "OK. Any fever?"),
        ("pt", 9.5, 14.0, "No. I've been so stressed about it."),
        ("dr", 14.5, 18.0, "That sounds really stressful."),
    )
    r = analyse(c)
    (missed,) = events(r, "missed_empathy")
    assert missed.start_s == 0.0 and missed.evidence["clinician_reply_utterance"] == 1
    (emp,) = events(r, "empathy")
    assert emp.start_s == 14.5
    assert r.metrics.habits.empathy == 1 and r.metrics.habits.missed_empathy == 1


def test_reassurance_is_not_empathy() -> None:
    c = consult(("pt", 0.0, 4.0, "I'm worried it's cancer."),
                ("dr", 4.5, 8.0, "There's nothing to worry about, it's very common."))
    r = analyse(c)
    assert not events(r, "empathy") and len(events(r, "missed_empathy")) == 1


def test_shared_decision_summary_and_harmful_words() -> None:
    c = consult(
        ("pt", 0.0, 3.0, "My back is killing me."),
        ("dr", 3.5, 20.0,
         "Your scan shows some wear and tear. We could either try physiotherapy or you could take "
         "painkillers for a while. The side effects are mild. What would you prefer?"),
        ("pt", 20.5, 22.0, "Physio, I think."),
        ("dr", 22.5, 30.0, "So just to recap, we'll start physio and review in four weeks."),
    )
    r = analyse(c)
    h = r.metrics.habits
    assert h.options_offered == 1 and h.preference_asked >= 1
    assert h.shared_decision_steps == 3
    assert h.summary == 1
    (harm,) = events(r, "harmful_language")
    assert harm.label == "wear and tear" and harm.evidence["alternative"]


def test_result_round_trips_through_json() -> None:
    r = analyse(consult(*OPENING))
    data = json.loads(json.dumps(r.to_dict()))
    assert data["schema"] == "consult-audio/analysis/v1"
    assert set(data["metrics"]["talk_time"]) >= {"clinician_s", "patient_s", "silence_s",
                                                  "overlap_s", "clinician_share", "patient_share"}
    assert set(data["metrics"]["opening_statement"]) >= {"start_s", "duration_s", "completed",
                                                          "first_interruption_s"}
    assert set(data["events"][0]) >= {"type", "start_s", "end_s", "role", "text", "label",
                                      "evidence"}
    back = AnalysisResult.from_dict(data)
    assert back == r


def test_from_dict_rejects_other_schema_and_missing_fields() -> None:
    data = analyse(consult(*OPENING)).to_dict()
    with pytest.raises(ValueError, match="schema"):
        AnalysisResult.from_dict({**data, "schema": "consult-audio/analysis/v0"})
    broken = json.loads(json.dumps(data))
    del broken["metrics"]["talk_time"]["clinician_s"]
    with pytest.raises(ValueError, match="clinician_s"):
        AnalysisResult.from_dict(broken)


# --- properties -----------------------------------------------------------------------------------

WORDS = st.sampled_from(["yeah", "mm", "how long has it hurt?", "I'm worried about work.",
                         "tell me about the pain.", "it started last week and", "okay",
                         "do you smoke?", "no.", "that sounds hard."])


@st.composite
def consultations(draw: st.DrawFn) -> Consultation:
    n = draw(st.integers(2, 12))
    turns = []
    for i in range(n):
        # On a 10 ms grid, as transcripts are: no float dust that flips the order of two starts.
        start = draw(st.integers(0, 30_000)) / 100
        length = draw(st.integers(10, 3_000)) / 100
        turns.append(("dr" if i % 2 == 0 else "pt", start, start + length, draw(WORDS)))
    return consult(*turns)


@settings(max_examples=60, deadline=None)
@given(consultations())
def test_shares_sum_to_one(c: Consultation) -> None:
    tt = analyse(c).metrics.talk_time
    assert tt.clinician_share + tt.patient_share == pytest.approx(1.0)
    assert 0 <= tt.silence_share <= 1 and 0 <= tt.overlap_share <= 1
    assert tt.speech_s <= tt.clinician_s + tt.patient_s + 1e-9


@settings(max_examples=60, deadline=None)
@given(consultations(), st.integers(50, 50_000).map(lambda x: x / 100))
def test_shifting_all_times_changes_nothing(c: Consultation, shift: float) -> None:
    moved = dataclasses.replace(
        c, duration=c.duration + shift,
        utterances=tuple(dataclasses.replace(u, start=u.start + shift, end=u.end + shift)
                         for u in c.utterances))
    a, b = analyse(c), analyse(moved)
    assert [(e.type, e.label, e.text) for e in a.events] == \
        [(e.type, e.label, e.text) for e in b.events]
    ta, tb = a.metrics.talk_time, b.metrics.talk_time
    assert tb.clinician_share == pytest.approx(ta.clinician_share)
    assert tb.overlap_s == pytest.approx(ta.overlap_s)
    assert b.metrics.questions == a.metrics.questions
    assert b.metrics.interruptions.backchannels == a.metrics.interruptions.backchannels


@pytest.mark.parametrize(("onset", "kind"), [
    (2.4, "backchannel"),  # mid-sentence: the listener's "mm" while the speaker holds the floor
    (4.1, "overlap"),      # 0.3 s after "Monday.": a completion point, the floor was open
])
def test_vocalisation_after_a_sentence_end_is_not_a_backchannel(onset: float, kind: str) -> None:
    from consult_audio.model import Word
    said = [("So", 0.5, 0.8), ("the", 1.0, 1.2), ("pain", 1.3, 1.8), ("started", 2.2, 2.9),
            ("on", 3.0, 3.2), ("Monday.", 3.3, 3.8), ("It", 4.6, 4.8), ("hurts.", 4.9, 5.6)]
    words = tuple(Word(t, a, b) for t, a, b in said)
    patient = Utterance("pt", 0.5, 5.6, " ".join(t for t, _, _ in said), "", (), words)
    mm = Utterance("dr", onset, onset + 0.4, "", "<VOCALISATION/>", ("vocalisation",))
    c = Consultation("t", 8.0, (DR, PT), (patient, mm))
    (event,) = [e for e in analyse(c).events if e.type in ("backchannel", "overlap")]
    assert event.type == kind and event.role == "clinician"


@pytest.mark.parametrize(("text", "asked"), [
    # Forms a speech recogniser often writes with a full stop: still questions.
    ("OK, so there's no cough or cold, yeah.", True),
    ("And no medical or surgical complaints, right.", True),
    ("Any muscle weakness at all.", True),
    ("And you didn't notice any white spots at the back of your throat.", True),
    ("You're not taking any regular medication.", True),
    ("And your email address for me, please.", True),
    ("Just to confirm that you're in a private place.", True),
    ("Could I confirm your full name and date of birth.", True),
    # Statements and advice.
    ("You can take any painkiller you like.", False),
    ("You should avoid any heavy lifting for now.", False),
    ("Any time it gets worse, come back and see us.", False),
    ("Yeah, yeah.", False),
    ("I think we'll try the cream first, okay.", False),
    ("Your results came back normal.", False),
])
def test_questions_without_a_question_mark(text: str, asked: bool) -> None:
    c = consult(("pt", 0.0, 40.0, "It started last week."), ("dr", 41.0, 45.0, text),
                ("pt", 45.5, 47.0, "Okay."))
    assert bool(events(analyse(c), "question")) is asked


@pytest.mark.parametrize(("text", "kind"), [
    # Closed by form: a follow-up screening one item, an inverted yes/no question whatever it
    # embeds, a choice, a confirmation, a wh-word asking one fact.
    ("How about any rashes?", "closed"),
    ("And how about when you flex your elbow?", "closed"),
    ("What about alcohol?", "closed"),
    ("Do you know what type of diabetes it is?", "closed"),
    ("So what started first, was it the headache or the fever?", "closed"),
    ("So you've had a headache for three days, is that right?", "closed"),
    ("What do you guys do for work?", "closed"),
    ("What have you taken so far for the pain?", "closed"),
    ("How long has it been going on?", "closed"),
    ("Would you say it's sharp, dull, achy, throbby?", "closed"),
    ("And what do you do?", "closed"),
    ("What grade is he in?", "closed"),
    ("So what started first?", "closed"),
    ("If you were to describe this pain, would you say sharp, dull, achy, crampy?", "closed"),
    ("How would you describe the pain?", "open"),
    ("Have you had any thoughts about harming yourself?", "closed"),
    ("So, what drinks are we talking about?", "closed"),
    ("What is it you do for work?", "closed"),
    ("What are you studying at university?", "closed"),
    ("What's your peak flow reading when you're good?", "closed"),
    ("When you say a small heart attack, did they give you a name for what happened?",
     "closed"),
    ("Is that all clear?", "closed"),
    ("Any past medical history you'd like to share with me today?", "closed"),
    ("Did you have any thoughts as to what might be going on?", "open"),
    # Open: requests for an account, however politely embedded, and descriptive wh-questions.
    ("Could you tell me a little bit about the pain?", "open"),
    ("Can you tell me a bit more about that?", "open"),
    ("Would you mind telling me what brought you in today?", "open"),
    ("Tell me more.", "open"),
    ("What's your living situation like?", "open"),
    ("What'd you mean by diarrhoea?", "open"),
    ("How has it affected your work?", "open"),
    ("Was there anything that I forgot to ask that you wanted to tell me?", "open"),
])
def test_open_or_closed_by_form(text: str, kind: str) -> None:
    c = consult(("pt", 0.0, 40.0, "It started last week."), ("dr", 41.0, 45.0, text),
                ("pt", 45.5, 47.0, "Okay."))
    (q,) = events(analyse(c), "question")
    assert q.label == kind, q.evidence


@pytest.mark.parametrize(("speaker", "text"), [
    # The clinician's talk about themselves is not the patient's life.
    ("dr", "Hi, I'm one of the doctors that works here."),
    ("dr", "I'll go and talk to the doctor I'm working with."),
    ("dr", "I'm really a bit worried about this rash, so I'll take a photo."),
    # Negated emotions and concerns; clinical idioms.
    ("pt", "No, I'm not worried about it."),
    ("pt", "I don't have a cough or anything that's worrying me."),
    ("pt", "No concerns with his growth."),
    ("dr", "On a scale of 0 to 10, 10 being the worst pain of your life, how bad is it?"),
    ("dr", "Any concerns for STIs?"),
    ("pt", "Yeah, no worries."),
    ("dr", "Do you have any questions or concerns?"),
    ("dr", "Have you been worked up for high blood pressure?"),
    ("dr", "It's from repetitive stress on the tendon."),
    ("pt", "I'm coming in with my son, he's six years old and has a cough."),
    ("dr", "So what brings you here today at the family clinic?"),
    ("pt", "I tried Advil, nothings really worked."),
    ("pt", "My child has been having a sore throat and chills since yesterday."),
    ("pt", "Yes, I just brought my son to the ER."),
    ("pt", "I've had a lot of congestion and a lot of pressure in my face."),
    ("pt", "Yesterday, right after leaving work, I started to feel unwell."),
    ("pt", "My son actually got diagnosed with colorectal cancer a few years ago."),
    ("dr", "Please stay away from the rest of your family members until the results are out."),
    ("pt", "I don't think so, nothing I've tried has worked."),
    ("dr", "And were there any concerns with the range of motion at that time?"),
    ("dr", "You haven't been in hospital, so I wouldn't worry about atypical bugs just yet."),
    ("dr", "No pain over the scaphoid, which is reassuring."),
])
def test_not_the_patients_psychosocial_life(speaker: str, text: str) -> None:
    other = "pt" if speaker == "dr" else "dr"
    c = consult((other, 0.0, 4.0, "Right."), (speaker, 4.5, 12.0, text),
                (other, 12.5, 14.0, "Okay."))
    assert not events(analyse(c), "psychosocial")


@pytest.mark.parametrize(("speaker", "text", "category"), [
    ("pt", "I'm not sleeping and I'm so worried about it.", "emotion"),
    ("pt", "Not the pain so much, but I'm scared it's something serious.", "emotion"),
    ("pt", "I can't cope with it any more.", "emotion"),
    ("pt", "I haven't been able to go to work.", "daily_life_impact"),  # not negated away
    ("dr", "You're not worried about it?", "emotion"),  # a question still raises it
    ("dr", "Do you have any ideas what could be causing it?", "concern_belief"),
    ("dr", "I know this has been hard; how is it affecting your work?", "work"),
    ("dr", "And where do you currently live?", "family_social"),
    ("dr", "Are you in a relationship?", "family_social"),
    ("pt", "I'm in my last year of grade 12.", "work"),
    ("pt", "Uh no, I was just wondering what this pain could be.", "concern_belief"),
    ("pt", "My husband has been doing the chores because my back is so sore.",
     "family_social"),
])
def test_the_patients_psychosocial_life(speaker: str, text: str, category: str) -> None:
    other = "pt" if speaker == "dr" else "dr"
    c = consult((other, 0.0, 4.0, "Right."), (speaker, 4.5, 12.0, text),
                (other, 12.5, 14.0, "Okay."))
    (e,) = events(analyse(c), "psychosocial")[:1]
    assert e.label == category and e.utterance == 1


def test_work_named_as_a_trigger_is_an_exposure() -> None:
    # Manual: a job asked about only as a physical exposure is not psychosocial.
    trigger = consult(("dr", 0.0, 4.0, "Did anything trigger it? Any injury?"),
                      ("pt", 4.5, 12.0, "Not really, I haven't done much, just kind of work."))
    assert not events(analyse(trigger), "psychosocial")
    impact = consult(("dr", 0.0, 4.0, "Does anything make it better or worse?"),
                     ("pt", 4.5, 12.0, "I take ibuprofen so I can get through work."))
    assert [e.label for e in events(analyse(impact), "psychosocial")] == ["work"]


def test_a_request_to_repeat_is_not_an_answer() -> None:
    c = consult(("dr", 0.0, 4.0, "How is this affecting your work?"),
                ("pt", 4.5, 5.0, "Sorry?"),
                ("dr", 5.5, 9.0, "Is it affecting your work?"),
                ("pt", 9.5, 10.5, "Yes, a lot."))
    assert [e.utterance for e in events(analyse(c), "psychosocial")] == [0, 2, 3]


def test_an_explanation_is_not_a_psychosocial_question() -> None:
    # "at work" in the plan, then "does that make sense?": the patient's "yes" is not a short
    # answer to a psychosocial question.
    c = consult(("dr", 0.0, 8.0, "It's an overuse injury, so try to rest it when you're at "
                                  "the office. Does that make sense?"),
                ("pt", 8.5, 10.0, "It does, thank you."))
    assert [e.utterance for e in events(analyse(c), "psychosocial")] == [0]


@pytest.mark.parametrize(("text", "summary"), [
    ("OK. So you've had ringing, difficulty hearing in your left ear, and feeling slightly sick.",
     True),
    ("Fine, so just to resummarize: for the last four days you've had very itchy skin.", True),
    ("From what you've told me, you've got some dry skin and some cracked skin as well.", True),
    ("So it sounds like you have something called tennis elbow, from overuse.", True),
    ("So what I want to do is get the forms sent out to you.", True),
    ("So you said it's on the left?", False),
    ("It sounds painful.", False),
])
def test_summary_by_the_manual(text: str, summary: bool) -> None:
    c = consult(("pt", 0.0, 30.0, "It's been itchy for four days and it's sore."),
                ("dr", 30.5, 40.0, text), ("pt", 40.5, 42.0, "Yes."))
    found = [e for e in events(analyse(c), "summary") if e.label == "summary"]
    assert bool(found) is summary


@pytest.mark.parametrize(("text", "offered"), [
    ("We could try the cream, or instead we could start tablets.", True),
    ("You can either take ibuprofen or paracetamol.", True),
    ("Things you can do to help yourself are rest. I'd advise taking a day or two off.", False),
    ("You can take it easy for a day or two.", False),
    # a history question listing possibilities is not a choice of care
    ("Have you been sick recently, either with a cold or any tummy symptoms?", False),
    ("Do you take any other medications, either prescribed or over the counter?", False),
    # unless it asks the patient to choose
    ("Would you like to try either the physio or the injection?", True),
    ("We could either refer you now or wait a few weeks. What do you think about that?", True),
])
def test_options_are_alternatives_within_one_sentence(text: str, offered: bool) -> None:
    c = consult(("pt", 0.0, 20.0, "It hurts when I bend."), ("dr", 20.5, 30.0, text),
                ("pt", 30.5, 32.0, "Okay."))
    found = [e for e in events(analyse(c), "options") if e.label != "risks_benefits"]
    assert bool(found) is offered


@pytest.mark.parametrize("text", [
    "Maybe if we work you in for a face-to-face appointment, it's not an emergency.",
    "I ate at a Chinese restaurant with friends on Saturday.",
    "I sometimes go with my friends to this place called the Barn.",
])
def test_activities_with_friends_and_phrasal_work_are_not_psychosocial(text: str) -> None:
    c = consult(("dr", 0.0, 4.0, "Hello, how can I help?"), ("pt", 4.5, 10.0, text),
                ("dr", 10.5, 12.0, "Okay."))
    assert not events(analyse(c), "psychosocial")


@pytest.mark.parametrize("text", [
    "Your blood pressure is fine.",
    "I'll do a quick physical exam now.",
    "Do these exercises at home twice a day.",
    "Shift your weight onto the left leg.",
    "The benefits of exercise are clear.",
    "Look after your back by keeping active.",
    "It's a single tablet once a day.",
])
def test_clinical_uses_of_social_words_are_not_psychosocial(text: str) -> None:
    c = consult(("dr", 0.0, 4.0, text), ("pt", 4.5, 6.0, "Right."))
    assert not events(analyse(c), "psychosocial")


@pytest.mark.parametrize(("text", "category"), [
    ("I've been under a lot of pressure at work.", "work"),
    ("I look after my mum, she's not well.", "family_social"),
    ("We can't pay the bills since I stopped working.", "work"),
    ("I've got my final exams next week and I'm stressed.", "emotion"),
    ("It's been affecting my normal activities, I can't do much.", "daily_life_impact"),
    ("My friends have been really supportive.", "family_social"),
])
def test_psychosocial_categories(text: str, category: str) -> None:
    c = consult(("dr", 0.0, 2.0, "How are things?"), ("pt", 2.5, 8.0, text))
    (event,) = events(analyse(c), "psychosocial")
    assert event.label == category and event.role == "patient"


# --- the recogniser's confidence in the words an event rests on --------------------------------


def recognised(speaker: str, text: str, start: float,
               probabilities: list[float | None]) -> Utterance:
    from consult_audio.model import Word

    words = tuple(Word(w, start + 0.3 * k, start + 0.3 * k + 0.25, p)
                  for k, (w, p) in enumerate(zip(text.split(), probabilities, strict=True)))
    return Utterance(speaker, start, words[-1].end, text, text, (), words)


def test_matched_words_are_found_across_case_spacing_and_split_hyphens() -> None:
    from consult_audio.analysis import matched_words

    u = recognised("pt", "It's been affecting my native activity.", 0.0, [0.9] * 6)
    assert matched_words(u, "affecting my native activity") == [2, 3, 4, 5]
    assert matched_words(u, "AFFECTING   my") == [2, 3]
    assert matched_words(u, "activ") == [5]  # a match inside a word falls on that word
    assert matched_words(u, "work") == []
    assert matched_words(u, "?") == []  # punctuation alone rests on no word
    hyphen = recognised("pt", "my day -to -day life", 0.0, [0.9] * 5)
    assert matched_words(hyphen, "day-to-day") == [1, 2, 3]


def test_events_from_recognised_words_carry_the_recognisers_confidence() -> None:
    from consult_audio.render.markdown import render_markdown

    dr = recognised("dr", "Hello, what brings you in today?", 0.0, [0.9, 0.95, 0.9, 0.9, 0.9, 0.9])
    pt = recognised("pt", "I have been worrying about my back.", 3.0,
                    [0.9, 0.9, 0.9, 0.07, 0.8, 0.9, 0.9])
    c = Consultation("asr", 6.0, (DR, PT), (dr, pt))
    psych = events(analyse(c), "psychosocial")
    assert psych and psych[0].evidence["matched"].lower() == "worrying"
    assert psych[0].evidence["asr_confidence"] == 0.07
    assert psych[0].evidence["asr_unsure"] == ["worrying"]
    assert "recogniser unsure of: worrying; check the recording" in render_markdown(analyse(c))

    sure = dataclasses.replace(pt, words=tuple(dataclasses.replace(w, probability=0.9)
                                               for w in pt.words))
    e = events(analyse(Consultation("asr", 6.0, (DR, PT), (dr, sure))), "psychosocial")[0]
    assert e.evidence["asr_confidence"] == 0.9 and "asr_unsure" not in e.evidence

    typed = consult(("dr", 0.0, 2.0, dr.text), ("pt", 3.0, 5.0, pt.text))  # a transcript
    e = events(analyse(typed), "psychosocial")[0]
    assert "asr_confidence" not in e.evidence and "asr_unsure" not in e.evidence
