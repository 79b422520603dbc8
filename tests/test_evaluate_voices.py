"""Unit tests of the splicing and scoring helpers of scripts/evaluate_voices.py (arrays and
literal turns; no audio files, no models)."""

from __future__ import annotations

import numpy as np
import pytest
from script_support import load_script

ev = load_script("evaluate_voices")
RATE = 16000


def test_clean_stretches_leave_out_other_speakers_and_short_bits() -> None:
    turns = [(0.0, 10.0, "A"), (4.0, 4.5, "B"), (9.5, 12.0, "B"), (12.0, 12.5, "A")]
    assert ev.clean_stretches(turns, "A") == [(0.0, 4.0), (4.5, 9.5)]
    assert ev.clean_stretches(turns, "B") == [(10.0, 12.0)]
    assert ev.clean_stretches(turns, "A", minimum=4.5) == [(4.5, 9.5)]


def test_insertion_points_sit_in_pauses_spread_over_the_recording() -> None:
    regions = [(0.0, 10.0), (11.0, 20.0), (20.2, 30.0), (31.0, 40.0)]  # pauses at 10.5, 30.5
    assert ev.insertion_points(regions, 40.0, 2) == [10.5, 30.5]
    assert ev.insertion_points(regions, 40.0, 5) == [10.5, 30.5]  # only two pauses long enough
    assert ev.insertion_points(regions, 40.0, 1) == [10.5]


def test_splice_inserts_between_silences_and_reports_the_spans() -> None:
    host = np.full(10 * RATE, 0.1, dtype=np.float32)
    piece = np.full(RATE, 0.5, dtype=np.float32)
    mixed, spans = ev.splice(host, [piece, piece], [2.0, 6.0], gain_to=0.2, pad=0.5)
    assert len(mixed) == len(host) + 2 * (RATE + RATE)  # each piece and its two pads
    (a1, b1), (a2, b2) = spans
    assert (a1, b1) == pytest.approx((2.5, 3.5))
    assert (a2, b2) == pytest.approx((2.0 + 4.0 + 2.0 + 0.5, 2.0 + 4.0 + 2.0 + 1.5))
    inside = mixed[int(a1 * RATE) + 1000:int(b1 * RATE) - 1000]
    assert ev.level(inside) == pytest.approx(0.2, rel=0.05)  # scaled to the host's level
    assert not mixed[int(2.1 * RATE):int(2.4 * RATE)].any()  # the pad is silent
    assert mixed[int(b2 * RATE) + RATE] == pytest.approx(0.1)  # the host goes on after it


def test_share_inside_counts_words_by_midpoint() -> None:
    words = [(0.0, 1.0, "clinician"), (2.0, 2.4, "other"), (2.5, 2.9, "patient"),
             (5.0, 5.5, "other"), (7.0, 8.0, "patient")]
    out = ev.share_inside(words, [(1.9, 3.0)], "other")
    assert out["inside_words"] == 2 and out["inside_share"] == 0.5
    assert out["outside_words"] == 3 and out["outside_share"] == pytest.approx(2 / 3)


def test_spread_pieces_trims_cuts_and_spreads() -> None:
    turns = [(0.0, 2.0), (10.0, 20.0), (30.0, 33.0), (40.0, 43.0), (50.0, 53.0)]
    assert ev.spread_pieces(turns, 2, shortest=2.5, longest=5.0, trim=0.3) == [
        (10.3, 15.3), (40.3, 42.7)]
    assert len(ev.spread_pieces(turns, 9, shortest=2.5, longest=5.0, trim=0.3)) == 4


def test_summary_pools_the_other_share_and_counts_flags() -> None:
    flag = {"more_than_two": True}
    no = {"more_than_two": False}
    der = {"der": 0.5, "reference_speech_s": 10.0}
    data = {
        "ami": [{"voices": flag, "reference_speakers": 4, "der_true_count": der},
                {"voices": no, "reference_speakers": 2,
                 "der_true_count": {"der": 0.2, "reference_speech_s": 30.0}}],
        "spliced": [{"voices": flag, "other": {"inside_words": 10, "inside_share": 0.9,
                                               "outside_words": 100, "outside_share": 1.0}},
                    {"voices": flag, "other": {"inside_words": 30, "inside_share": 0.7,
                                               "outside_words": 100, "outside_share": 0.98}}],
        "two_voices": [{"voices": no}],
    }
    s = ev.summarise(data)
    assert s["ami_flagged"] == "1/2"
    assert s["ami_flagged_with_more_than_two_reference_speakers"] == "1/1"
    assert s["ami_der_true_count_pooled"] == pytest.approx((5 + 6) / 40)
    assert s["other_word_share"] == pytest.approx((9 + 21) / 40)
    assert s["other_word_share_min"] == 0.7
    assert s["spliced_flagged"] == "2/2" and s["two_voice_flagged"] == "0/1"
