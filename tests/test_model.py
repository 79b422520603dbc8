"""The data model: times read one way on every timed type, the JSON keys unchanged, and every
name importable from consult_audio.model."""

from __future__ import annotations

import json

import pytest

import consult_audio.model as model
from consult_audio.model import Event, Span, Turn, Utterance, Word, from_plain, to_plain
from consult_audio.readers.base import Segment


def test_every_timed_type_has_start_end_and_span() -> None:
    timed = [Word("yes", 1.0, 1.5), Utterance("doc", 1.0, 1.5, "yes"), Turn(1.0, 1.5, "doc"),
             Segment("doc", 1.0, 1.5, "yes"), Event("question", 1.0, 1.5, "clinician", "yes")]
    for x in timed:
        assert (x.start, x.end, x.span) == (1.0, 1.5, Span(1.0, 1.5)), type(x).__name__
    assert Turn(1.0, 1.5, "doc").duration == pytest.approx(0.5)
    assert Span(1.0, 3.0).overlap(Turn(2.5, 4.0, "pat").span) == pytest.approx(0.5)


def test_event_json_keeps_start_s_and_end_s() -> None:
    e = Event("question", 2.0, 3.5, "clinician", "Any pain?", label="closed", utterance=4)
    plain = to_plain(e)
    assert list(plain)[:3] == ["type", "start_s", "end_s"]
    assert "start" not in plain and "span" not in plain
    assert from_plain(Event, json.loads(json.dumps(plain))) == e


def test_turns_order_by_start_then_end_then_speaker() -> None:
    turns = [Turn(2.0, 3.0, "a"), Turn(1.0, 4.0, "b"), Turn(1.0, 2.0, "c"), Turn(1.0, 2.0, "a")]
    assert sorted(turns) == [Turn(1.0, 2.0, "a"), Turn(1.0, 2.0, "c"), Turn(1.0, 4.0, "b"),
                             Turn(2.0, 3.0, "a")]


def test_the_names_of_the_single_module_are_still_importable() -> None:
    names = ["SCHEMA", "Role", "Span", "Word", "Utterance", "Speaker", "Consultation", "Event",
             "EVENT_TYPES", "TalkTime", "RoleTurns", "Turns", "Interruptions", "OpeningStatement",
             "Questions", "Psychosocial", "Habits", "Metrics", "Reference", "FeedbackItem",
             "AnalysisResult", "to_plain", "from_plain"]
    assert [n for n in names if not hasattr(model, n)] == []
    assert set(names) | {"Turn"} == set(model.__all__)
