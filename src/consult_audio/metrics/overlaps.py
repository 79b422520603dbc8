"""Every overlap between two speakers classified as backchannel, interruption or other.

Overlaps are counted per pair of overlapping utterances by different speakers: for each utterance
``a``, every later-starting utterance ``b`` of another speaker that starts before ``a`` ends (by
more than ``timing.min_overlap_s``). ``b`` is the incoming speaker. This is the unit the coding
manual and the PriMock57 gold codes use.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from consult_audio.metrics.cues import (
    content_words,
    is_backchannel_text,
    is_repeat,
    is_tag_only,
    normalise,
)
from consult_audio.model import Consultation, Event, Interruptions, Utterance
from consult_audio.rules import Rules
from consult_audio.text import sentences

_TAG_AT_END = re.compile(r"<\s*(unin|inaudible_speech|inaudible|unintelligible)\s*/?>\s*$", re.I)
_TAG_THEN_STOP = re.compile(
    r"<\s*(unin|inaudible_speech|inaudible|unintelligible)\s*/?>\s*[.?!]\s*$", re.I)
_TERMINAL = ".?!"
# A sentence that stops on one of these before lost speech was cut off: "OK and <UNIN/>."
_CONJUNCTIONS = frozenset({"and", "but", "so", "or", "because", "cause", "'cause", "then"})


@dataclass(frozen=True, slots=True)
class OverlapCoding:
    """The overlap events, and which utterances only listened (never take the floor)."""

    events: tuple[Event, ...]
    listener_utterances: frozenset[int]


def overlap_pairs(
    utterances: Sequence[Utterance], *, min_overlap_s: float
) -> list[tuple[int, int]]:
    """Index pairs ``(a, b)`` of overlapping utterances of different speakers, ``b`` incoming."""
    pairs = []
    for i, a in enumerate(utterances):
        for j in range(i + 1, len(utterances)):
            b = utterances[j]
            if b.start >= a.end - min_overlap_s:
                break
            if b.speaker != a.speaker:
                pairs.append((i, j))
    return pairs


def char_time(u: Utterance, pos: int) -> float:
    """Estimated time (s) at which character ``pos`` of ``u.text`` was spoken: from word
    timestamps when the utterance has them, else spread evenly over the interval."""
    if u.words:
        seen = 0
        for w in u.words:
            seen += len(w.text.strip()) + 1
            if seen > pos:
                return w.end
        return u.end
    n = max(1, len(u.text))
    return u.start + (min(pos, n) / n) * u.duration


def ends_cut_off(u: Utterance, rules: Rules) -> bool:
    """True when the utterance stops where the speaker cannot have finished: the transcript gives
    no closing punctuation after its last words (trailing fillers such as "um" aside), or speech
    lost in an unintelligible tag at the very end."""
    raw = (u.raw_text or u.text).strip()
    if _TAG_AT_END.search(raw):
        before = _TAG_AT_END.sub("", raw).rstrip()
        if not before or before[-1] not in _TERMINAL:
            return True
    text = u.text.rstrip()
    stopped_after_tag = bool(_TAG_THEN_STOP.search(raw))
    if stopped_after_tag:
        text = text.rstrip(_TERMINAL + " ")
    fillers = rules.words("fillers")
    while text:
        m = re.search(r"([A-Za-z']+)[\s,]*$", text)
        if not m or m.group(1).lower() not in fillers:
            break
        text = text[: m.start()].rstrip(" ,")
    if not text:
        return False
    if stopped_after_tag:
        last = re.findall(r"[a-z']+", text.lower())
        return bool(last) and last[-1] in _CONJUNCTIONS
    return text[-1] not in _TERMINAL


def trailing_fragment_after_question(u: Utterance, rules: Rules) -> bool:
    """The utterance's last complete sentence is a question and only a short fragment follows
    ("...are you fit and well? Or, uh"): an answer here comes at a completion point."""
    parts = sentences(u.text)
    if len(parts) < 2:
        return False
    *_, (_, _, previous), (_, _, fragment) = parts
    return previous.endswith("?") and fragment[-1] not in _TERMINAL and \
        len(content_words(fragment, rules)) <= 2


def last_sentence_before(u: Utterance, t: float) -> tuple[str, float] | None:
    """The last sentence of ``u`` estimated to end at or before time ``t``, with its end time."""
    found = None
    for _, end, sentence in sentences(u.text):
        end_t = char_time(u, end)
        if end_t <= t + 0.25:
            found = (sentence, end_t)
    return found


def after_completion_point(a: Utterance, b: Utterance, rules: Rules) -> bool:
    """``b`` starts at most ``vocalisation_after_sentence_s`` after a sentence of ``a`` ends with
    ``.``, ``?`` or ``!``: the floor was open when ``b`` came in, even though ``a`` goes on (a
    recogniser joins one speaker's sentences across short pauses, where a transcript would
    start a new utterance)."""
    before = last_sentence_before(a, b.start)
    return (before is not None and before[0].rstrip().endswith((".", "?", "!"))
            and b.start - before[1] <= rules.timing("vocalisation_after_sentence_s"))


def classify_overlaps(c: Consultation, rules: Rules) -> OverlapCoding:
    """Code every overlap pair of the consultation."""
    utts = c.utterances
    min_overlap = rules.timing("min_overlap_s")
    pairs = overlap_pairs(utts, min_overlap_s=min_overlap)
    listener = {j for j, u in enumerate(utts) if is_tag_only(u) or
                is_backchannel_text(u.text, rules)}
    events = []
    for i, j in pairs:
        kind, label, why = _classify(utts, i, j, rules)
        a, b = utts[i], utts[j]
        if kind == "backchannel":
            listener.add(j)
        events.append(Event(
            type=kind,
            start_s=b.start,
            end_s=min(a.end, b.end),
            role=str(c.role_of(b.speaker)),
            text=b.text,
            label=label,
            speaker=b.speaker,
            utterance=j,
            evidence={
                "pair": [i, j],
                "rule": why,
                "overlapped_speaker": a.speaker,
                "overlapped_role": str(c.role_of(a.speaker)),
                "overlapped_text": a.text,
                "overlap_s": round(min(a.end, b.end) - b.start, 3),
                "overlapped_continues_s": round(a.end - b.start, 3),
            },
        ))
    return OverlapCoding(tuple(events), frozenset(listener))


def _classify(utts: Sequence[Utterance], i: int, j: int, rules: Rules) -> tuple[str, str, str]:
    a, b = utts[i], utts[j]
    if is_tag_only(b):
        if ("vocalisation" in b.tags and b.duration <= rules.timing("backchannel_max_s")
                and a.end > b.end):
            if after_completion_point(a, b, rules):
                return "overlap", "", ("a short vocalisation just after the speaker's sentence "
                                       "ends (a completion point)")
            return ("backchannel", "", "a short vocalisation heard over the speaker (no word "
                                       "recognised) while the speaker carries on")
        return "overlap", "", "incoming speech is untranscribed (tag only)"
    if is_tag_only(a) or is_backchannel_text(a.text, rules):
        return "overlap", "", "the main speaker resumes over the listener's token"
    short = b.duration <= rules.timing("backchannel_max_s")
    token = is_backchannel_text(b.text, rules)
    if token or (short and is_repeat(b, a, rules)):
        return _classify_token(utts, i, j, rules, "acknowledgement" if token else "repeat")
    remaining = round(a.end - b.start, 3)  # ms: transcript times carry float dust
    if remaining <= rules.timing("terminal_overlap_s"):
        return "overlap", "", f"terminal overlap ({remaining:.2f} s before the end)"
    yielded = rules.patterns("backchannel", "yield").search(normalise(a.text))
    if yielded:
        return ("interruption", "successful",
                f"substantive talk over the other speaker, who yields ({yielded.matched!r})")
    if trailing_fragment_after_question(a, rules):
        return "overlap", "", "answers a question; only a trailing fragment followed it"
    if ends_cut_off(a, rules):
        successful = remaining <= rules.timing("interruption_successful_within_s")
        label = "successful" if successful else "unsuccessful"
        return ("interruption", label,
                f"substantive talk {remaining:.1f} s before the other speaker's utterance ends "
                "and that utterance is cut off (no completion point)")
    return "overlap", "", "the overlapped utterance reaches a completion point"


def _classify_token(
    utts: Sequence[Utterance], i: int, j: int, rules: Rules, what: str
) -> tuple[str, str, str]:
    a, b = utts[i], utts[j]
    before = last_sentence_before(a, b.start)
    window = rules.timing("completion_point_window_s")
    if before and before[0].endswith("?") and b.start - before[1] <= window:
        return "overlap", "", "answers the question just asked"
    if a.end > b.end:
        return "backchannel", "", f"{what} while the speaker carries on"
    # The overlapped utterance ends under the token: a backchannel if its speaker keeps the floor.
    for k in range(j + 1, len(utts)):
        nxt = utts[k]
        if is_tag_only(nxt) or is_backchannel_text(nxt.text, rules):
            continue
        if nxt.speaker == a.speaker:
            return "backchannel", "", f"{what}; the speaker carries on after it"
        if nxt.speaker == b.speaker and content_words(nxt.text, rules):
            return "overlap", "", f"{what} at a completion point, then takes the turn"
        break
    return "overlap", "", f"{what} at a completion point"


def interruption_counts(c: Consultation, events: Sequence[Event]) -> Interruptions:
    """Counts of the coded overlaps; interruptions per 10 minutes of consultation."""
    inter = [e for e in events if e.type == "interruption"]
    back = [e for e in events if e.type == "backchannel"]
    minutes = max(c.duration, 1e-9) / 60.0
    return Interruptions(
        by_clinician=sum(e.role == "clinician" for e in inter),
        by_patient=sum(e.role == "patient" for e in inter),
        successful=sum(e.label == "successful" for e in inter),
        unsuccessful=sum(e.label == "unsuccessful" for e in inter),
        backchannels=len(back),
        backchannels_by_clinician=sum(e.role == "clinician" for e in back),
        backchannels_by_patient=sum(e.role == "patient" for e in back),
        other_overlaps=sum(e.type == "overlap" for e in events),
        per_10_min=10.0 * len(inter) / minutes,
    )
