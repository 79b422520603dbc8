"""Findings to feedback items (placeholder until the full version lands)."""

from __future__ import annotations

from collections.abc import Sequence

from consult_audio.model import Consultation, Event, FeedbackItem, Metrics


def build_feedback(c: Consultation, metrics: Metrics, events: Sequence[Event]) -> list[FeedbackItem]:
    return []
