"""Recognised words and a diarisation to the speaker segments a consultation is read from.

Each word goes to the speaker of the exclusive turn it overlaps most; an acknowledgement token
("yeah", "mm-hm") that Whisper put in the speaker's stream while the other party was heard over
them goes to that listener; listener speech heard in an overlap but not recognised becomes a
tag-only utterance. Which words are acknowledgements comes from the rules in use
(``backchannel.tokens`` that can stand alone), so a user's rules file decides it here as it
does in the metrics.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from consult_audio.audio.align import (
    assign_speakers,
    listener_tokens,
    merge_spans,
    stretch_to_turns,
    utterance_segments,
)
from consult_audio.audio.turns import Diarisation, Turn
from consult_audio.model import Word
from consult_audio.readers.base import Segment
from consult_audio.rules import Rules

__all__ = ["acknowledgement_check", "overlap_regions", "speaker_segments", "vocalisations"]

VOCALISATION_MAX_S = 1.2  # s; a longer unrecognised overlap is not taken for a backchannel


def acknowledgement_check(rules: Rules) -> Callable[[str], bool]:
    """Whether one recognised word is an acknowledgement token ("yeah", "mm-hm", "okay"): the
    ``backchannel.tokens`` of ``rules`` less those in ``backchannel.not_alone``."""
    tokens = rules.words("backchannel", "tokens") - rules.words("backchannel", "not_alone")

    def check(text: str) -> bool:
        word = re.sub(r"[^\w'-]", "", text.lower())
        return bool(word) and word in tokens

    return check


def speaker_segments(words: Sequence[Word], diarisation: Diarisation, *,
                     is_acknowledgement: Callable[[str], bool]) -> list[Segment]:
    """The utterances (as reader segments, times in s) of mono ``words`` and ``diarisation``.

    ``is_acknowledgement`` tells the listener's tokens (:func:`acknowledgement_check`).
    """
    assigned = assign_speakers(words, diarisation.exclusive)
    exclusive = set(diarisation.exclusive)
    extra = [t for t in diarisation.turns if t not in exclusive]  # the overlapping turns
    regions = overlap_regions(diarisation.turns)
    assigned, moved = listener_tokens(assigned, regions, diarisation.exclusive,
                                      is_token=is_acknowledgement)
    segments = utterance_segments(assigned, listener=moved)
    # Only the listener's acknowledgements widen into the overlap they were heard in. At a
    # change of speaker, widening the incoming speaker's words back over the overlap would
    # turn every early start into an "interruption" of an utterance whose end Whisper left
    # unpunctuated.
    listener = {id(assigned[i]) for i in moved}
    aside: list[Segment] = []
    rest: list[Segment] = []
    for seg in segments:
        heard = bool(seg.words) and all(id(w) in listener for w in seg.words)
        (aside if heard else rest).append(seg)
    segments = sorted([*rest, *stretch_to_turns(aside, extra)], key=lambda s: s.start)
    return segments + vocalisations(segments, extra)


def overlap_regions(turns: Sequence[Turn]) -> list[tuple[float, float]]:
    """Where two speakers' turns overlap (s), merged and sorted."""
    ordered = sorted(turns)
    found: list[tuple[float, float]] = []
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b.start >= a.end:
                break
            if b.speaker != a.speaker:
                found.append((b.start, min(a.end, b.end)))
    return merge_spans(found)


def vocalisations(segments: Sequence[Segment], overlap_turns: Sequence[Turn]) -> list[Segment]:
    """Listener speech heard in an overlap but not recognised: a short overlapping turn (at
    most :data:`VOCALISATION_MAX_S`) that holds no word of its speaker becomes a tag-only
    utterance (``<VOCALISATION/>``), so that the metrics see the overlap without inventing words.
    """
    out = []
    for turn in overlap_turns:
        if turn.duration > VOCALISATION_MAX_S:
            continue
        heard = any(seg.speaker == turn.speaker and seg.start < turn.end and seg.end > turn.start
                    for seg in segments)
        if not heard:
            out.append(Segment(turn.speaker, round(turn.start, 3), round(turn.end, 3),
                               "<VOCALISATION/>"))
    return out
