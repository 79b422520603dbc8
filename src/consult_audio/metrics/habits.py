"""Four Habits / OPTION-5 / Calgary-Cambridge behaviours: expectations and agenda elicited,
empathy and missed empathic opportunities, options and preference (shared decisions), summary and
teach-back, and words that harm."""

from __future__ import annotations

from collections.abc import Sequence

from consult_audio.metrics.cues import is_encourager, is_tag_only, normalise
from consult_audio.metrics.events import utterance_event
from consult_audio.metrics.overlaps import char_time
from consult_audio.metrics.psychosocial import without_excluded
from consult_audio.model import Consultation, Event, Habits, Role, Utterance
from consult_audio.rules import Match, Rules
from consult_audio.text import sentences


def _role_indices(c: Consultation, role: Role) -> list[int]:
    return [i for i, u in enumerate(c.utterances) if c.role_of(u.speaker) == role]


def elicitation_events(questions: Sequence[Event]) -> list[Event]:
    """An ``expectations`` or ``agenda`` event for each clinician question with that tag."""
    out = []
    for q in questions:
        for tag in ("expectations", "agenda"):
            if tag in q.tags:
                out.append(Event(tag, q.start_s, q.end_s, q.role, q.text, q.label, q.speaker,
                                 q.utterance, q.tags, {**q.evidence, "from": "question tag"}))
    return out


def find_empathy(c: Consultation, rules: Rules) -> list[Event]:
    """Clinician utterances that name or acknowledge the patient's feeling (not reassurance)."""
    ps = rules.patterns("empathy")
    out = []
    for i in _role_indices(c, Role.CLINICIAN):
        m = ps.search(normalise(c.utterances[i].text))
        if m:
            out.append(utterance_event(c, i, "empathy", m))
    return out


def emotion_cue(text: str, rules: Rules) -> Match | None:
    """A patient's emotion or concern in ``text`` (negated and physical uses removed)."""
    cleaned = without_excluded(normalise(text), rules.patterns("emotion_cue_exclude"))
    return rules.patterns("emotion_cue").search(cleaned)


def find_missed_empathy(c: Consultation, rules: Rules, empathy: Sequence[Event]) -> list[Event]:
    """Patient emotions or concerns that the clinician's next substantive turn ignores: it neither
    acknowledges the feeling nor asks about it. Several cues before one clinician turn are one
    opportunity."""
    empathic = {e.utterance for e in empathy}
    out = []
    handled_until = -1
    for i in _role_indices(c, Role.PATIENT):
        if i <= handled_until:
            continue
        m = emotion_cue(c.utterances[i].text, rules)
        if not m:
            continue
        reply = _next_substantive(c, i, Role.CLINICIAN, rules)
        if reply is None:
            continue
        handled_until = reply
        responded = reply in empathic or _asks_about_feelings(c.utterances[reply].text, rules)
        if not responded:
            out.append(utterance_event(c, i, "missed_empathy", {
                **m.evidence(), "clinician_reply_utterance": reply,
                "clinician_reply": c.utterances[reply].text}))
    return out


def _asks_about_feelings(text: str, rules: Rules) -> bool:
    """A question that explores the feeling ("What worries you most?"); reassurance ("nothing to
    worry about") does not count."""
    norm = without_excluded(normalise(text), rules.patterns("reassurance"))
    return "?" in norm and rules.patterns("questions", "tags", "feelings").search(norm) is not None


def _next_substantive(c: Consultation, i: int, role: Role, rules: Rules) -> int | None:
    after = c.utterances[i].start
    for k in range(i + 1, len(c.utterances)):
        u = c.utterances[k]
        if u.start <= after or c.role_of(u.speaker) != role:
            continue
        if is_tag_only(u) or is_encourager(u.text, rules):
            continue
        return k
    return None


def find_by_patterns(c: Consultation, rules: Rules, section: str, kind: str, *,
                     label: str = "") -> list[Event]:
    """One event per clinician utterance matching the patterns of rules section ``section``."""
    ps = rules.patterns(section)
    out = []
    for i in _role_indices(c, Role.CLINICIAN):
        m = ps.search(normalise(c.utterances[i].text))
        if m:
            out.append(utterance_event(c, i, kind, m, label=label))
    return out


def find_options(c: Consultation, rules: Rules) -> list[Event]:
    """Options of care described (OPTION-5): one event per clinician utterance with a sentence
    naming alternatives (rules section ``options``).

    A question that lists possibilities ("any cold-like symptoms or GI symptoms?", "either
    prescribed or over the counter?") asks for history, not a choice of care: a question
    sentence counts only when it also asks the patient's preference (``preference``: "would you
    like to try physio or the injection?").
    """
    ps, preference = rules.patterns("options"), rules.patterns("preference")
    out = []
    for i in _role_indices(c, Role.CLINICIAN):
        for _, _, sentence in sentences(c.utterances[i].text):
            text = normalise(sentence)
            m = ps.search(text)
            if m and (not text.endswith("?") or preference.search(text)):
                out.append(utterance_event(c, i, "options", m))
                break
    return out


def find_harmful_language(c: Consultation, rules: Rules) -> list[Event]:
    """Threatening pathoanatomical words said by the clinician, each with a neutral alternative."""
    terms = rules.harmful_terms()
    out = []
    for i in _role_indices(c, Role.CLINICIAN):
        u: Utterance = c.utterances[i]
        for start, end, sentence in sentences(u.text):
            taken: list[tuple[int, int]] = []  # one event per phrase, however many terms fit it
            for term in terms:
                m = term.pattern.search(normalise(sentence))
                if m and not any(m.start() < e and s < m.end() for s, e in taken):
                    taken.append(m.span())
                    out.append(Event(
                        type="harmful_language",
                        start_s=char_time(u, start),
                        end_s=char_time(u, end),
                        role=str(Role.CLINICIAN),
                        text=sentence,
                        label=m.group(0),
                        speaker=u.speaker,
                        utterance=i,
                        evidence={"rule": term.rule, "matched": m.group(0),
                                  "alternative": term.alternative},
                    ))
    return out


def habits_metrics(events: Sequence[Event]) -> Habits:
    def of(kind: str, label: str | None = None) -> list[Event]:
        return [e for e in events if e.type == kind and (label is None or e.label == label)]

    expectations, agenda = of("expectations"), of("agenda")
    options, preference = of("options"), of("preference")
    risks = of("options", "risks_benefits")
    return Habits(
        expectations_elicited=bool(expectations),
        expectations_first_s=min((e.start_s for e in expectations), default=None),
        agenda_elicited=bool(agenda),
        agenda_first_s=min((e.start_s for e in agenda), default=None),
        empathy=len(of("empathy")),
        missed_empathy=len(of("missed_empathy")),
        options_offered=len([e for e in options if e.label != "risks_benefits"]),
        preference_asked=len(preference),
        shared_decision_steps=sum(bool(x) for x in (
            [e for e in options if e.label != "risks_benefits"], risks, preference)),
        summary=len(of("summary", "summary")),
        teach_back=len(of("summary", "teach_back")),
        harmful_language=len(of("harmful_language")),
    )
