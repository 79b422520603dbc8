"""Unit tests of consult_audio.evaluation (codings, pure scoring; no data, no models) and of
scripts/evaluate.py's command line."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from script_support import load_script

from consult_audio import stats
from consult_audio.evaluation import coding, corpora, scoring
from consult_audio.model import Event

script = load_script("evaluate")
Q = coding.Question


# --- kappa ---------------------------------------------------------------------------------------


def test_kappa_identical_labels_is_one():
    labels = ["open", "closed", "closed", "open", "closed"]
    assert stats.cohen_kappa(labels, labels) == pytest.approx(1.0)


def test_kappa_single_label_throughout_is_undefined():
    # chance agreement 1: 0/0, the same answer as `consult-audio agreement` (consult_audio.stats)
    assert stats.cohen_kappa(["closed"] * 4, ["closed"] * 4) is None


def test_comparison_kappas_are_the_shared_statistic():
    # the hand-computed table below, as matched open/closed pairs (pred, ref)
    pairs = ([("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10
             + [("no", "no")] * 15)
    d = scoring.Comparison(open_closed=pairs,
                           overlap_types=[("a", "b"), ("b", "a")] * 2).as_dict()
    assert d["open_closed"]["kappa"] == pytest.approx(0.4)
    assert d["open_closed"]["accuracy"] == pytest.approx(0.7)
    assert d["overlap_type_kappa"] == pytest.approx(-1.0)


def test_kappa_hand_computed():
    # 2x2 table: yes/yes 20, yes/no 5, no/yes 10, no/no 15 (N = 50).
    # p_o = 35/50 = 0.7; p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5; kappa = (0.7 - 0.5) / 0.5 = 0.4
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert stats.cohen_kappa(a, b) == pytest.approx(0.4)


def test_kappa_systematic_disagreement_is_negative():
    assert stats.cohen_kappa(["a", "b", "a", "b"], ["b", "a", "b", "a"]) == pytest.approx(-1.0)


def test_kappa_empty_and_unequal():
    assert stats.cohen_kappa([], []) is None
    with pytest.raises(ValueError):
        stats.cohen_kappa(["a"], [])


# --- precision, recall, F1 -----------------------------------------------------------------------


def test_prf():
    p, r, f = stats.prf(3, 1, 2)
    assert (p, r) == (pytest.approx(0.75), pytest.approx(0.6))
    assert f == pytest.approx(2 * 0.75 * 0.6 / (0.75 + 0.6))
    assert stats.prf(0, 0, 0) == (None, None, None)
    assert stats.prf(0, 0, 4) == (None, 0.0, 0.0)


# --- overlaps ------------------------------------------------------------------------------------


PRED = {0: "backchannel", 1: "backchannel", 2: "interruption", 3: "other", 4: "interruption",
        5: "other"}
GOLD_A = {0: "backchannel", 1: "other", 2: "other", 3: "interruption", 4: "interruption",
          5: "backchannel"}
GOLD_B = {0: "other", 1: "other", 2: "interruption", 3: "interruption", 4: "interruption",
          5: "backchannel"}


def test_lenient_counts_literal_example():
    # backchannel: o0 in A -> tp; o1 in neither -> fp; o5 in both, not predicted -> fn
    bc = scoring.lenient_counts(PRED, GOLD_A, GOLD_B, "backchannel")
    assert (bc.tp, bc.fp, bc.fn) == (1, 1, 1)
    # interruption: o2 in B only -> tp; o4 -> tp; o3 in both, not predicted -> fn
    it = scoring.lenient_counts(PRED, GOLD_A, GOLD_B, "interruption")
    assert (it.tp, it.fp, it.fn) == (2, 0, 1)
    assert it.as_dict()["f1"] == pytest.approx(2 * 2 / (2 * 2 + 0 + 1))


def test_lenient_miss_only_where_both_codings_agree():
    # an interruption in one coding only is not missed
    c = scoring.lenient_counts({0: "other"}, {0: "interruption"}, {0: "other"}, "interruption")
    assert (c.tp, c.fp, c.fn) == (0, 0, 0)


def test_strict_counts():
    it = scoring.strict_counts(PRED, GOLD_A, "interruption")
    assert (it.tp, it.fp, it.fn) == (1, 1, 1)  # o4 / o2 / o3
    bc = scoring.strict_counts(PRED, GOLD_B, "backchannel")
    assert (bc.tp, bc.fp, bc.fn) == (0, 2, 1)


def test_counts_add():
    total = scoring.Counts(1, 2, 3) + scoring.Counts(4, 5, 6)
    assert (total.tp, total.fp, total.fn) == (5, 7, 9)


def test_overlap_pairs_follow_format_md():
    utts = [
        (0.0, 5.0, "doctor"),
        (1.0, 1.5, "patient"),  # inside 0 -> (0, 1)
        (4.0, 8.0, "patient"),  # -> (0, 2); same speaker as 1 -> no (1, 2)
        (4.9995, 6.0, "patient"),  # shares 0.5 ms with 0: ignored
    ]
    assert scoring.overlap_pairs(utts) == [(0, 1), (0, 2)]
    assert scoring.overlap_pairs(utts, min_overlap=0.0) == [(0, 1), (0, 2), (0, 3)]


def test_overlap_pairs_stop_at_first_later_start():
    # b starts exactly at a's end: no pair, and the walk stops there
    utts = [(0.0, 2.0, "doctor"), (2.0, 3.0, "patient"), (2.5, 4.0, "doctor")]
    assert scoring.overlap_pairs(utts) == [(1, 2)]


# --- question matching ---------------------------------------------------------------------------


def test_tokens_drop_tags_and_case():
    assert scoring.tokens("<UNSURE>Any</UNSURE> PAIN? <UNIN/>") == {"any", "pain"}
    assert scoring.tokens("What’d you mean?") == {"what'd", "you", "mean"}


def test_text_overlap_containment():
    long = "Um, and and when you say diarrhea, what'd you mean by diarrhea?"
    assert scoring.text_overlap("what'd you mean by diarrhea?", long) == pytest.approx(1.0)
    assert scoring.text_overlap(long, "what'd you mean by diarrhea?") == pytest.approx(1.0)
    assert scoring.text_overlap("Do you smoke?", "How long has it been going on?") == 0.0
    assert scoring.text_overlap("", "anything") == 0.0


def test_text_overlap_needs_two_shared_tokens():
    assert scoring.text_overlap("Okay, and do you smoke?", "Okay so, any allergies?") == 0.0
    assert scoring.text_overlap("Okay?", "Okay, and do you smoke?") == 1.0


def test_match_questions_clause_inside_sentence():
    pred = [Q(3, "Um, and and when you say diarrhea, what'd you mean by diarrhea?", "open")]
    gold = [Q(3, "what'd you mean by diarrhea?", "open")]
    assert scoring.match_questions(pred, gold) == [(0, 0)]


def test_match_questions_same_utterance_only():
    pred = [Q(4, "Do you smoke?", "closed")]
    gold = [Q(5, "Do you smoke?", "closed")]
    assert scoring.match_questions(pred, gold) == []


def test_match_questions_one_to_one_best_first():
    pred = [
        Q(3, "Do you mean you're going to the toilet more often?", "closed"),
        Q(3, "Or are your stools more loose?", "closed"),
    ]
    gold = [
        Q(3, "Or are your stools more loose?", "closed"),
        Q(3, "<UNSURE>Do</UNSURE> you mean you're going to the toilet more often?", "closed"),
        Q(3, "Any blood?", "closed"),
    ]
    assert scoring.match_questions(pred, gold) == [(0, 1), (1, 0)]


def test_match_questions_greedy_prefers_exact_over_contained():
    # both gold clauses are contained in the long prediction; the exact short prediction takes
    # its own clause, the long one the other
    pred = [Q(1, "Does it hurt when you walk? Or when you sit?", "closed"),
            Q(1, "Or when you sit?", "closed")]
    gold = [Q(1, "Does it hurt when you walk?", "closed"), Q(1, "Or when you sit?", "closed")]
    assert scoring.match_questions(pred, gold) == [(0, 0), (1, 1)]


# --- codings and comparison ----------------------------------------------------------------------


GOLD_JSON = {
    "id": "x",
    "questions": [{"u": 0, "text": "How can I help?", "type": "open", "tags": []},
                  {"u": 2, "text": "Anything else?", "type": "open", "tags": ["agenda"]}],
    "psychosocial": [{"u": 3, "by": "patient", "category": "emotion"},
                     {"u": 1, "by": "patient", "category": "work"}],
    "overlaps": [{"o": 0, "type": "backchannel", "by": "patient", "successful": None},
                 {"o": 1, "type": "interruption", "by": "clinician", "successful": True}],
    "opening_statement": {"u_start": 1, "u_end": 1, "completed": True},
    "expectations_elicited_u": None, "agenda_elicited_u": 2,
    "empathy_u": [], "summary_u": [4], "options_offered_u": [], "preference_asked_u": [],
}
STARTS = [0.0, 3.0, 10.0, 20.0, 30.0]


def test_coding_from_gold():
    c = coding.coding_from_gold(GOLD_JSON, STARTS)
    assert c.first_psychosocial_s == 3.0  # lowest u, not the first listed
    assert c.overlaps == {0: "backchannel", 1: "interruption"}
    assert c.habits["agenda"] == (2,) and c.habits["expectations"] == ()
    assert c.opening == coding.Opening(1, 1, True)
    assert c.questions[1].tags == ("agenda",)


def _event(type_, *, utterance=None, label="", role="clinician", text="", tags=(), pair=None):
    evidence = {"pair": pair} if pair is not None else {}
    return Event(type_, 0.0, 0.0, role, text, label=label, utterance=utterance, tags=tags,
                 evidence=evidence)


# speaker, text of utterances 0-4
UTTS = [("doc", "How can I help?"), ("pat", "My back hurts."), ("doc", "Mhm."),
        ("doc", "Anything else?"), ("pat", "No.")]
CONSULTATION = SimpleNamespace(
    utterances=[SimpleNamespace(speaker=s, text=t) for s, t in UTTS],
    role_of=lambda speaker: {"doc": "clinician", "pat": "patient"}[speaker],
)


def _result(events, *, first_s=3.0, opening=(1, 1, True), ended_by="Anything else?"):
    os_ = SimpleNamespace(found=opening is not None,
                          first_utterance=opening[0] if opening else None,
                          last_utterance=opening[1] if opening else None,
                          completed=opening[2] if opening else None,
                          ended_by=ended_by)
    metrics = SimpleNamespace(opening_statement=os_, psychosocial=SimpleNamespace(first_s=first_s))
    return SimpleNamespace(events=tuple(events), metrics=metrics, consultation=CONSULTATION)


def test_coding_from_result_and_compare():
    pairs = {(0, 1): 0, (1, 2): 1}
    result = _result([
        _event("question", utterance=0, label="open", text="How can I help?"),
        _event("question", utterance=2, label="closed", text="Anything else?", tags=("agenda",)),
        _event("question", utterance=3, label="closed", text="Do you smoke?"),
        _event("question", utterance=1, label="closed", role="patient", text="Is it bad?"),
        _event("backchannel", role="patient", pair=[0, 1]),
        _event("overlap", pair=[1, 2]),
        _event("summary", utterance=4),
    ], first_s=14.0)
    tool = coding.coding_from_result(result, pairs)
    assert len(tool.questions) == 3  # the patient's question is not a clinician question
    assert tool.overlaps == {0: "backchannel", 1: "other"}
    # the ender is the clinician utterance after the encourager at u2
    assert tool.opening == coding.Opening(1, 3, True)

    cmp_ = scoring.compare(tool, coding.coding_from_gold(GOLD_JSON, STARTS)).as_dict()
    assert cmp_["questions"]["tp"] == 2 and cmp_["questions"]["fp"] == 1
    assert cmp_["questions"]["fn"] == 0
    assert cmp_["open_closed"]["accuracy"] == pytest.approx(0.5)
    assert cmp_["tags"]["agenda"] == {"both": 1, "pred_only": 0, "ref_only": 0}
    assert cmp_["backchannel"]["f1"] == pytest.approx(1.0)
    assert cmp_["interruption"]["fn"] == 1
    assert cmp_["first_psychosocial"]["mean_abs_error_s"] == pytest.approx(11.0)
    assert cmp_["first_psychosocial"]["within_15s"] == 1
    assert cmp_["opening_statement"]["start_agree"] == 1
    assert cmp_["opening_statement"]["end_agree"] == 0  # gold: u_end 1
    assert cmp_["habits"]["agenda"] == {"agree": 0, "pred_present": 0, "ref_present": 1,
                                        "consultations": 1}
    assert cmp_["habits"]["summary"]["agree"] == 1


def test_opening_without_ender():
    tool = coding.coding_from_result(_result([], ended_by=None), {})
    assert tool.opening == coding.Opening(1, None, True)
    assert coding.coding_from_result(_result([], opening=None), {}).opening is None


def test_coding_from_result_rejects_unknown_or_repeated_pair():
    with pytest.raises(coding.EvaluationError):
        coding.coding_from_result(_result([_event("overlap", pair=[5, 6])]), {(0, 1): 0})
    twice = [_event("overlap", pair=[0, 1]), _event("backchannel", pair=[0, 1])]
    with pytest.raises(coding.EvaluationError):
        coding.coding_from_result(_result(twice), {(0, 1): 0})


def test_within_tolerance():
    assert scoring.within(10.0, 24.0, 15.0)
    assert not scoring.within(10.0, 26.0, 15.0)
    assert scoring.within(None, None, 15.0)
    assert not scoring.within(None, 3.0, 15.0)


def test_totals_add_micro_averaged():
    a = scoring.Comparison(consultations=1, questions=scoring.Counts(1, 0, 1),
                      open_closed=[("open", "open")], psych_within={15.0: 1})
    b = scoring.Comparison(consultations=1, questions=scoring.Counts(3, 1, 0),
                      open_closed=[("closed", "open")], psych_within={15.0: 0})
    d = sum([a, b], scoring.Comparison()).as_dict()
    assert d["consultations"] == 2
    assert d["questions"]["precision"] == pytest.approx(4 / 5)
    assert d["open_closed"]["accuracy"] == pytest.approx(0.5)
    assert d["first_psychosocial"]["within_15s"] == 1


def test_psychosocial_utterances_and_first_turn():
    pred = coding.Coding(psychosocial_u=frozenset({3, 7, 9}))
    ref = coding.Coding(psychosocial_u=frozenset({5, 7}))
    d = scoring.compare(pred, ref).as_dict()
    assert d["psychosocial_utterances"] == pytest.approx(
        {"tp": 1, "fp": 2, "fn": 1, "precision": 1 / 3, "recall": 0.5, "f1": 0.4})
    assert d["first_psychosocial"]["turns"] == [[3, 5]]
    assert d["first_psychosocial"]["within_2_turns"] == 1  # 3 vs 5: two turns apart
    far = scoring.compare(coding.Coding(psychosocial_u=frozenset({2})), ref).as_dict()
    assert far["first_psychosocial"]["within_2_turns"] == 0
    neither = scoring.compare(coding.Coding(), coding.Coding()).as_dict()
    assert neither["first_psychosocial"]["within_2_turns"] == 1


def test_habit_not_coded_by_one_side_is_not_compared():
    gold = {k: v for k, v in GOLD_JSON.items()}
    assert "missed_empathy_u" not in gold  # PriMock57's gold does not code missed empathy
    ref = coding.coding_from_gold(gold, STARTS)
    pred = coding.Coding(habits={"missed_empathy": (3,), "agenda": (2,)})
    d = scoring.compare(pred, ref).as_dict()
    assert "missed_empathy" not in d["habits"]
    assert d["habits"]["agenda"]["agree"] == 1
    osce = coding.coding_from_gold({**gold, "missed_empathy_u": [4]}, STARTS)
    assert scoring.compare(pred, osce).as_dict()["habits"]["missed_empathy"]["agree"] == 1


def test_bootstrap_interval_brackets_the_estimate_and_needs_two():
    same = scoring.Comparison(consultations=1,
                              open_closed=[("open", "open"), ("closed", "closed")])
    mixed = scoring.Comparison(consultations=1, open_closed=[("open", "closed"),
                                                             ("closed", "closed"),
                                                             ("open", "open")])

    def kappa(d):
        return d["open_closed"]["kappa"]

    per = [same, mixed, same, mixed]
    low, high = scoring.bootstrap_interval(per, kappa, samples=300)
    estimate = kappa(sum(per, scoring.Comparison()).as_dict())
    assert low <= estimate <= high and low < high <= 1.0
    assert scoring.bootstrap_interval([same], kappa) is None
    # identical consultations: no spread
    assert scoring.bootstrap_interval([same, same], kappa, samples=50) == (1.0, 1.0)


# --- CLI -----------------------------------------------------------------------------------------


def test_cli_exits_2_without_data_folders(tmp_path):
    result = CliRunner().invoke(script.main, [str(tmp_path)])
    assert result.exit_code == 2
    assert "primock57/transcripts" in result.output


def test_development_set_and_held_out_ids():
    results = [SimpleNamespace(id=i) for i in ("MSK0005", "CAR0001", "GAS0002")]
    assert script._development_ids("osce", results, None) == {"MSK0005", "MSK0006", "MSK0007",
                                                          "MSK0008"}
    assert script._development_ids("primock57", results, None) == {"MSK0005", "CAR0001", "GAS0002"}
    # --develop-on: the whole named corpus is development data, every other corpus held out
    assert script._development_ids("osce", results, "primock57") == set()
    assert script._development_ids("osce", results, "osce") == {"MSK0005", "CAR0001", "GAS0002"}


# --- corpora: the library run on a tiny hand-coded OSCE corpus -----------------------------------


OSCE_TURNS = ["D: What brought you in today?",
              "P: I've had chest pain and I'm worried about my job.",
              "D: When did it start?",
              "P: Two weeks ago."]


def _osce_corpus(root, gold2_questions):
    for d in ("transcripts", "gold", "gold2"):
        (root / "osce" / d).mkdir(parents=True)
    (root / "osce" / "transcripts" / "T0001.txt").write_text("\n".join(OSCE_TURNS) + "\n",
                                                            encoding="utf-8")
    gold = {"id": "T0001",
            "questions": [{"u": 0, "text": "What brought you in today?", "type": "open"},
                          {"u": 2, "text": "When did it start?", "type": "closed"}],
            "psychosocial": [{"u": 1, "by": "patient", "category": "work"}],
            "opening_statement": {"u_start": 1, "u_end": 2, "completed": True}}
    for name, questions in (("gold", gold["questions"]), ("gold2", gold2_questions)):
        (root / "osce" / name / "T0001.gold.json").write_text(
            json.dumps({**gold, "questions": questions}), encoding="utf-8")


def test_evaluate_corpus_scores_the_tool_and_the_second_coding(tmp_path):
    _osce_corpus(tmp_path, [{"u": 2, "text": "When did it start?", "type": "open"}])
    [result] = corpora.evaluate_corpus("osce", tmp_path)
    assert (result.id, result.utterances, result.pairs) == ("T0001", 4, 0)
    assert set(result.comparisons) == {"tool_vs_gold", "tool_vs_gold2", "gold2_vs_gold"}
    humans = result.comparisons["gold2_vs_gold"].as_dict()
    assert (humans["questions"]["tp"], humans["questions"]["fn"]) == (1, 1)
    assert humans["open_closed"] == {"matched": 1, "agree": 0, "accuracy": 0.0, "kappa": 0.0}
    tool = result.codings["tool"]
    assert [q.u for q in tool.questions] == [0, 2]
    assert result.comparisons["tool_vs_gold"].as_dict()["questions"]["f1"] == pytest.approx(1.0)
    assert corpora.evaluate_corpus("osce", tmp_path, only=["T9999"]) == []


def test_evaluate_corpus_stops_where_the_gold_does_not_fit(tmp_path):
    # a gold question on a patient turn: the utterances are not those of FORMAT.md
    _osce_corpus(tmp_path, [{"u": 1, "text": "chest pain", "type": "closed"}])
    with pytest.raises(coding.EvaluationError, match="u=1 is not in that utterance"):
        corpora.evaluate_corpus("osce", tmp_path)


def test_coded_ids_name_what_is_missing(tmp_path):
    with pytest.raises(corpora.GoldDataError, match="osce/transcripts, osce/gold and osce/gold2"):
        corpora.coded_ids("osce", tmp_path)
    _osce_corpus(tmp_path, [])
    assert corpora.coded_ids("osce", tmp_path / "osce") == ["T0001"]
    (tmp_path / "osce" / "gold2" / "T0001.gold.json").unlink()
    with pytest.raises(corpora.GoldDataError, match="missing files: .*gold2/T0001.gold.json"):
        corpora.coded_ids("osce", tmp_path / "osce")
    assert corpora.transcript_paths("primock57", tmp_path, "c1") == [
        tmp_path / "transcripts" / "c1_doctor.TextGrid",
        tmp_path / "transcripts" / "c1_patient.TextGrid"]
