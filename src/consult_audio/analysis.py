"""Run every metric on a consultation and collect the result."""

from __future__ import annotations

import platform
import time
from collections.abc import Mapping
from typing import Any

from consult_audio.metrics import habits, psychosocial, questions, talk
from consult_audio.metrics.opening import opening_statement
from consult_audio.metrics.overlaps import classify_overlaps, interruption_counts
from consult_audio.model import AnalysisResult, Consultation, Event, Metrics, Questions
from consult_audio.rules import Rules, default_rules


def code_events(c: Consultation, rules: Rules) -> tuple[list[Event], frozenset[int]]:
    """Every coded event of the consultation, sorted by time, and the utterances that only
    listen (backchannels and the like)."""
    overlap = classify_overlaps(c, rules)
    asked = questions.find_questions(c, rules)
    empathy = habits.find_empathy(c, rules)
    events = [
        *overlap.events,
        *asked,
        *questions.find_patient_questions(c, rules),
        *psychosocial.find_psychosocial(c, rules),
        *habits.elicitation_events(asked),
        *empathy,
        *habits.find_missed_empathy(c, rules, empathy),
        *habits.find_by_patterns(c, rules, "options", "options"),
        *habits.find_by_patterns(c, rules, "risks_benefits", "options", label="risks_benefits"),
        *_preference_events(c, rules, asked),
        *habits.find_by_patterns(c, rules, "summary", "summary", label="summary"),
        *habits.find_by_patterns(c, rules, "teach_back", "summary", label="teach_back"),
        *habits.find_harmful_language(c, rules),
    ]
    events.sort(key=lambda e: (e.start_s, e.type))
    return events, overlap.listener_utterances


def _preference_events(c: Consultation, rules: Rules, asked: list[Event]) -> list[Event]:
    """Clinician utterances asking the patient's view on a plan, plus any question tagged
    ``preference`` in an utterance the patterns did not already find."""
    found = habits.find_by_patterns(c, rules, "preference", "preference")
    seen = {e.utterance for e in found}
    return found + [
        Event("preference", q.start_s, q.end_s, q.role, q.text, "", q.speaker, q.utterance,
              q.tags, q.evidence)
        for q in asked if "preference" in q.tags and q.utterance not in seen
    ]


def compute_metrics(c: Consultation, events: list[Event], listeners: frozenset[int],
                    rules: Rules) -> Metrics:
    """The headline metrics, from the consultation and its coded events."""
    talk_time = talk.talk_time(c)
    asked = [e for e in events if e.type == "question"]
    n_open = sum(e.label == "open" for e in asked)
    tags: dict[str, int] = {}
    for q in asked:
        for tag in q.tags:
            tags[tag] = tags.get(tag, 0) + 1
    overlap_events = [e for e in events if e.type in ("backchannel", "interruption", "overlap")]
    return Metrics(
        talk_time=talk_time,
        turns=talk.turns(c, listener_tokens=listeners),
        interruptions=interruption_counts(c, overlap_events),
        opening_statement=opening_statement(c, overlap_events, rules),
        questions=Questions(
            open=n_open,
            closed=len(asked) - n_open,
            total=len(asked),
            open_ratio=n_open / len(asked) if asked else None,
            by_tag=tags,
            patient_questions=sum(e.type == "patient_question" for e in events),
        ),
        psychosocial=psychosocial.psychosocial_metrics(
            c, [e for e in events if e.type == "psychosocial"], speech_s=talk_time.speech_s),
        habits=habits.habits_metrics(events),
    )


def analyse(
    c: Consultation,
    *,
    rules: Rules | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> AnalysisResult:
    """Code the consultation, compute its metrics and write the feedback."""
    from consult_audio import __version__
    from consult_audio.feedback import build_feedback

    rules = rules or default_rules()
    started = time.perf_counter()
    events, listeners = code_events(c, rules)
    metrics = compute_metrics(c, events, listeners, rules)
    feedback = build_feedback(c, metrics, events)
    prov = {
        "consult_audio_version": __version__,
        "rules": {"name": rules.name, "version": rules.version, "source": rules.source},
        "python": platform.python_version(),
        "analysed_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "analysis_s": round(time.perf_counter() - started, 4),
        **(provenance or {}),
    }
    return AnalysisResult(c, metrics, tuple(events), tuple(feedback), prov)
