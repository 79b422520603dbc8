"""Unit tests of the pure helpers of scripts/evaluate_audio.py and scripts/compare_decoding.py
(no audio, no models)."""

from __future__ import annotations

import re

import pytest
from script_support import load_script

ea = load_script("evaluate_audio")


# --- normalisation -------------------------------------------------------------------------------


def test_normalise_lowers_case_and_removes_punctuation():
    assert ea.normalise("Hello, Doctor! How are you?") == "hello doctor how are you"


def test_normalise_removes_fillers_as_whole_words_only():
    assert ea.normalise("Um, I, uh, er... erm, hmm mm mhm ah, yes") == "i yes"
    assert ea.normalise("umbrella summer heard ahead") == "umbrella summer heard ahead"


def test_normalise_splits_hyphens_and_drops_apostrophes():
    assert ea.normalise("day-to-day") == "day to day"
    assert ea.normalise("I don't \u2013 it\u2019s fine") == "i dont its fine"


def test_normalise_of_punctuation_only_is_empty():
    assert ea.normalise(" ... ?! - ") == ""


# --- WER -----------------------------------------------------------------------------------------


def test_wer_identical_after_normalisation_is_zero():
    r = ea.word_error_rate("Um, hello there, Doctor.", "hello there doctor")
    assert r["wer"] == 0.0
    assert r["reference_words"] == 3


def test_wer_counts_substitution_deletion_insertion():
    # ref: a b c d ; hyp: a x c d e -> 1 substitution, 1 insertion
    r = ea.word_error_rate("a b c d", "a x c d e")
    assert (r["substitutions"], r["deletions"], r["insertions"]) == (1, 0, 1)
    assert r["wer"] == pytest.approx(2 / 4)


def test_wer_empty_hypothesis_is_all_deletions():
    r = ea.word_error_rate("one two three", "")
    assert r["wer"] == 1.0
    assert r["deletions"] == 3


def test_wer_empty_reference_is_none():
    assert ea.word_error_rate("um uh", "hello")["wer"] is None


def test_pooled_wer_weights_by_reference_words():
    a = ea.word_error_rate("a b c d", "a b c d")  # 0 errors of 4
    b = ea.word_error_rate("a b", "x y")  # 2 errors of 2
    assert ea.pooled_wer([a, b]) == pytest.approx(2 / 6)


def test_word_confusions_count_each_error_kind_over_files():
    pairs = [("ok i see the pain", "okay i sea pain"),  # 2 substitutions, "the" deleted
             ("ok thanks", "okay thanks bye"),  # ok > okay again, "bye" inserted
             ("yes", "")]  # nothing recognised: a deletion
    e = ea.word_confusions(pairs)
    assert e["reference_words"] == 8
    assert e["errors"] == 6
    assert e["substitutions"][0] == ["ok", "okay", 2]
    assert ["see", "sea", 1] in e["substitutions"]
    assert e["insertions"] == [["bye", 1]]
    assert sorted(e["deletions"]) == [["the", 1], ["yes", 1]]
    assert ea.word_confusions(pairs, top=1)["substitutions"] == [["ok", "okay", 2]]


def test_reference_words_interleave_overlapping_segments_by_time():
    segments = [(0.0, 4.0, "one two three four"), (1.8, 2.2, "yes")]
    text = ea.time_ordered_text(ea.timed_reference_words(segments))
    assert text == "one two yes three four"


def test_reference_words_keep_order_on_equal_times():
    assert ea.time_ordered_text([(1.0, "b"), (0.0, "a"), (1.0, "c")]) == "a b c"


# --- word speaker accuracy -----------------------------------------------------------------------

REF = [(0.0, 5.0, "clinician"), (4.0, 6.0, "patient"), (6.0, 10.0, "patient")]


def test_segment_at_needs_exactly_one_covering_segment():
    assert ea.segment_at(1.0, REF) == "clinician"
    assert ea.segment_at(4.5, REF) is None  # overlap
    assert ea.segment_at(6.0, REF) == "patient"  # half-open: 4-6 ends, 6-10 starts
    assert ea.segment_at(12.0, REF) is None  # outside


def test_word_speaker_accuracy_counts_only_unambiguous_words():
    words = [
        (0.5, 1.0, "clinician"),  # right
        (2.0, 2.5, "patient"),  # wrong
        (4.4, 4.6, "clinician"),  # midpoint in the overlap: not counted
        (7.0, 7.5, "patient"),  # right
        (11.0, 11.5, "patient"),  # outside every segment: not counted
    ]
    r = ea.word_speaker_accuracy(words, REF)
    assert (r["correct"], r["counted"], r["words"]) == (2, 3, 5)
    assert r["accuracy"] == pytest.approx(2 / 3)


def test_word_speaker_accuracy_without_countable_words_is_none():
    assert ea.word_speaker_accuracy([(4.4, 4.6, "patient")], REF)["accuracy"] is None


# --- matching by time ----------------------------------------------------------------------------

SPANS = [(0.0, 3.0), (2.5, 8.0), (10.0, 12.0)]


def test_match_by_time_takes_largest_overlap():
    assert ea.match_by_time(2.0, 3.0, SPANS) == 0  # 1.0 s with span 0, 0.5 s with span 1
    assert ea.match_by_time(2.6, 6.0, SPANS) == 1


def test_match_by_time_instant_uses_containment():
    assert ea.match_by_time(11.0, 11.0, SPANS) == 2


def test_match_by_time_outside_every_span_is_none():
    assert ea.match_by_time(8.5, 9.5, SPANS) is None


def test_signed_error_handles_missing_values():
    assert ea.signed_error(12.0, 10.0) == pytest.approx(2.0)
    assert ea.signed_error(None, None) == 0.0
    assert ea.signed_error(None, 3.0) is None


# --- DER (pyannote.metrics on literal turns) -----------------------------------------------------


def test_der_zero_for_relabelled_identical_turns():
    pytest.importorskip("pyannote.metrics")
    ref = [(0.0, 4.0, "clinician"), (5.0, 9.0, "patient")]
    hyp = [(0.0, 4.0, "SPEAKER_01"), (5.0, 9.0, "SPEAKER_00")]
    r = ea.diarisation_error(ref, hyp, uem=(0.0, 10.0))
    assert r["der"] == pytest.approx(0.0)
    assert r["mapping"] == {"SPEAKER_01": "clinician", "SPEAKER_00": "patient"}


def test_der_counts_confusion_beyond_the_collar():
    pytest.importorskip("pyannote.metrics")
    ref = [(0.0, 4.0, "a"), (4.0, 8.0, "b")]
    hyp = [(0.0, 6.0, "x"), (6.0, 8.0, "y")]  # 2 s of b given to a's speaker
    r = ea.diarisation_error(ref, hyp, uem=(0.0, 8.0), collar=0.0)
    assert r["confusion_s"] == pytest.approx(2.0)
    assert r["der"] == pytest.approx(2.0 / 8.0)


# --- scripts/compare_decoding.py -----------------------------------------------------------------

cd = load_script("compare_decoding")


def test_decoding_variant_is_a_json_object_of_transcribe_options():
    assert cd.parse_variant('{"beam_size": 1, "initial_prompt": "Um, so."}') == {
        "beam_size": 1, "initial_prompt": "Um, so."}
    assert cd.parse_variant('{"temperature": [0.0]}') == {"temperature": (0.0,)}
    assert cd.label({}) == "default"


@pytest.mark.parametrize(("text", "message"), [
    ('{"beam": 1}', "unknown setting(s) beam"),
    ("[1]", "not a JSON object"),
    ("{beam_size: 1}", "is not JSON"),
])
def test_bad_decoding_variant_says_what_is_wrong(text, message):
    import click

    with pytest.raises(click.BadParameter, match=re.escape(message)):
        cd.parse_variant(text)


# --- OSCE recordings: transcripts without timings --------------------------------------------


def test_whisper_normaliser_beside_the_projects_own():
    r = ea.word_error_rate("OK, I'm twenty five.", "okay i am 25",
                           normaliser=ea.whisper_normaliser())
    assert r["wer"] == pytest.approx(1 / 4)  # only "ok"/"okay" differs after Whisper's
    assert ea.word_error_rate("OK, I'm twenty five.", "okay i am 25")["wer"] > 0.5


def test_align_tokens_maps_hypothesis_to_reference():
    ref = ["what", "brings", "you", "in", "today"]
    hyp = ["so", "what", "brought", "you", "today"]
    assert ea.align_tokens(ref, hyp) == [None, 0, 1, 2, 4]
    assert ea.align_tokens([], hyp) == [None] * 5


def test_match_spans_pairs_one_to_one_best_first():
    pred = [frozenset({0, 1, 2}), frozenset({2, 3}), frozenset({9})]
    ref = [frozenset({0, 1, 2, 3}), frozenset({8, 9, 10, 11})]
    # the second shares {2, 3} with the first reference, taken; {9} is too small a part of
    # the second reference (Dice 0.4)
    assert ea.match_spans(pred, ref) == [(0, 0)]
    assert ea.match_spans(pred, ref, threshold=0.4) == [(0, 0), (2, 1)]


def _reference():
    return ea.osce_reference("X", [
        ("clinician", "Hello. What brought you in today?"),
        ("patient", "I've had chest pain, doctor."),
        ("clinician", "OK. When did it start? Is it sharp?"),
    ])


def test_osce_reference_questions_are_the_clinicians_question_sentences():
    r = _reference()
    assert r.tokens[:5] == ("hello", "what", "brought", "you", "in")
    assert r.line_of[r.line_start[1]] == 1
    questions = r.questions()
    assert [sorted(r.tokens[t] for t in q) for q in questions] == [
        sorted(["what", "brought", "you", "in", "today"]), sorted(["when", "did", "it", "start"]),
        sorted(["is", "it", "sharp"])]
    assert r.span(2, "not there") == frozenset()


def test_speaker_attributed_wer_and_word_share():
    r = _reference()
    words = ea.RecognisedWords(
        texts=("hello", "what", "brought", "you", "in", "today", "ive", "had", "chest", "pain"),
        roles=("clinician",) * 6 + ("patient", "patient", "other", "patient"),
        places=tuple((0, i) for i in range(10)), tokens=(), word_of=())
    sa = ea.speaker_attributed_wer(r, words)
    # clinician: 6 of 14 words recognised (8 deleted); patient: "chest" missing, "doctor"
    # missing; the one "other" word is an insertion
    assert sa["by_role"]["clinician"]["deletions"] == 8
    assert sa["by_role"]["patient"]["deletions"] == 2
    assert sa["other_words"] == 1
    assert sa["sa_wer"] == pytest.approx((8 + 2 + 1) / 19)
    assert ea.word_share(["clinician", "patient", "other", "clinician"]) == pytest.approx(2 / 3)
    assert ea.word_share(["other"]) is None
