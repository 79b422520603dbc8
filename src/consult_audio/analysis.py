"""Run every metric on a consultation and collect the result."""

from __future__ import annotations

import dataclasses
import platform
import time
from collections.abc import Mapping
from typing import Any

from consult_audio.metrics import habits, psychosocial, questions, talk
from consult_audio.metrics.opening import opening_statement
from consult_audio.metrics.overlaps import classify_overlaps, interruption_counts
from consult_audio.model import (
    AnalysisResult,
    Consultation,
    Event,
    Metrics,
    Questions,
    Utterance,
)
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
        *habits.find_options(c, rules),
        *habits.find_by_patterns(c, rules, "risks_benefits", "options", label="risks_benefits"),
        *_preference_events(c, rules, asked),
        *habits.find_by_patterns(c, rules, "summary", "summary", label="summary"),
        *habits.find_by_patterns(c, rules, "teach_back", "summary", label="teach_back"),
        *habits.find_harmful_language(c, rules),
    ]
    events.sort(key=lambda e: (e.start_s, e.type))
    return [with_recognition_confidence(c, e) for e in events], overlap.listener_utterances


# A recognised word below this probability is shown as one the recogniser was unsure of.
UNSURE_PROBABILITY = 0.5


def matched_words(u: Utterance, matched: str) -> list[int]:
    """Indices of the words of ``u`` that the text ``matched`` (what a rule matched in
    ``u.text``, first occurrence, case and spacing ignored) falls on; ``[]`` when not found."""
    target = "".join(matched.lower().split())
    if not target or not any(ch.isalnum() for ch in target):
        return []
    pieces = ["".join(w.text.lower().split()) for w in u.words]
    owner = [i for i, piece in enumerate(pieces) for _ in piece]  # word index of each character
    at = "".join(pieces).find(target)
    if at < 0:
        return []
    return sorted(set(owner[at:at + len(target)]))


def with_recognition_confidence(c: Consultation, e: Event) -> Event:
    """``e`` with the recogniser's confidence in the words it rests on, where they were
    recognised: ``evidence["asr_confidence"]`` (the lowest word probability) and
    ``evidence["asr_unsure"]`` (those words under :data:`UNSURE_PROBABILITY`). Events from
    transcripts, and events that match no words, are returned as they are."""
    matched = e.evidence.get("matched")
    if e.utterance is None or not isinstance(matched, str):
        return e
    u = c.utterances[e.utterance]
    if not u.words or any(w.probability is None for w in u.words):
        return e
    found = [u.words[i] for i in matched_words(u, matched)]
    if not found:
        return e
    lowest = min(w.probability or 0.0 for w in found)
    unsure = [w.text.strip(".,;:?!\"'") or w.text for w in found
              if (w.probability or 0.0) < UNSURE_PROBABILITY]
    evidence = {**e.evidence, "asr_confidence": round(lowest, 2),
                **({"asr_unsure": unsure} if unsure else {})}
    return dataclasses.replace(e, evidence=evidence)


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
