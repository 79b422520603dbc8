"""The cards at a glance follow the judgements stored in the analysis: they read its feedback
items and the references those cite, and never test a threshold again."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from consult_audio.analysis import analyse
from consult_audio.feedback import MORE_ROOM_TIP
from consult_audio.model import AnalysisResult, FeedbackItem
from consult_audio.readers import load_consultation
from consult_audio.render import render_markdown
from consult_audio.render.cards import Card, cited_references, glance_cards

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "consultation.vtt"


@pytest.fixture(scope="module")
def example() -> AnalysisResult:
    return analyse(load_consultation([EXAMPLE]))


def card(result: AnalysisResult, key: str) -> Card:
    return next(c for c in glance_cards(result) if c.key == key)


def with_item(result: AnalysisResult, key: str, **changes: Any) -> AnalysisResult:
    """``result`` with its stored feedback item ``key`` changed (as an edited analysis would be)."""
    items = tuple(dataclasses.replace(i, **changes) if i.key == key else i
                  for i in result.feedback)
    return dataclasses.replace(result, feedback=items)


def test_talk_share_reading_follows_the_stored_tip(example: AnalysisResult) -> None:
    # The example's patient did about half the talking: no tip, and "room to tell their story".
    assert example.metrics.talk_time.patient_share == pytest.approx(0.507, abs=1e-3)
    assert "had room to tell their story" in card(example, "talk_share").reading
    judged = with_item(example, "talk_share", kind="suggestion", suggestion=MORE_ROOM_TIP)
    shown = card(judged, "talk_share")
    assert "little room to tell their story" in shown.reading
    assert shown.status == "suggestion"
    # A suggestion about long monologues alone says nothing about the patient's room.
    monologue = with_item(example, "talk_share", kind="suggestion",
                          suggestion="Break long explanations into short chunks.")
    assert "had room to tell their story" in card(monologue, "talk_share").reading


def test_open_questions_reading_and_status_follow_the_stored_kind(example: AnalysisResult
                                                                   ) -> None:
    assert example.metrics.questions.open_ratio == pytest.approx(4 / 6)
    before = card(example, "open_questions")
    assert before.status == "strength" and "invite the patient's own story" in before.reading
    after = card(with_item(example, "open_questions", kind="suggestion"), "open_questions")
    assert after.status == "suggestion"
    assert "Starting each topic with an open question" in after.reading
    assert after.value == before.value == "67% open"  # the value is the metric's, unchanged


def test_cards_cite_the_stored_references(example: AnalysisResult) -> None:
    (stored,) = [r for i in example.feedback if i.key == "interruptions" for r in i.references]
    edited = dataclasses.replace(stored, value=99.0, statement="As stored in the analysis.")
    result = with_item(example, "interruptions", references=(edited,))
    (shown,) = card(result, "interruptions").references
    assert (shown.value, shown.statement) == (99.0, "As stored in the analysis.")
    numbers = cited_references(result, glance_cards(result))
    assert numbers[stored.key][1] is shown
    assert stored.unit == "%" and "**99%**" in render_markdown(result)


def test_references_are_numbered_cards_first(example: AnalysisResult) -> None:
    cards = glance_cards(example)
    numbers = cited_references(example, cards)
    assert [n for n, _ in numbers.values()] == list(range(1, len(numbers) + 1))
    first = [ref.key for c in cards for ref in c.references]
    assert list(numbers)[:len(dict.fromkeys(first))] == list(dict.fromkeys(first))
    cited: set[str] = {r.key for i in example.feedback for r in i.references}
    assert set(numbers) == set(first) | cited


def test_a_card_with_nothing_judged_is_info(example: AnalysisResult) -> None:
    none: tuple[FeedbackItem, ...] = ()
    bare = dataclasses.replace(example, feedback=none)
    assert {c.status for c in glance_cards(bare) if c.measured} == {""}
    assert card(bare, "opening_statement").references  # the study it is compared with, still
