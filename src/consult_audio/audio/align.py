"""Words to speakers, and speakers' words to utterances.

Each word goes to the speaker whose **exclusive** diarisation turns overlap it most (as WhisperX
does); a word outside every turn goes to the nearest turn. Consecutive words of one speaker become
an utterance until the speaker changes or pauses for longer than :data:`MAX_PAUSE_S`.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence

from consult_audio.audio.diarise import Turn
from consult_audio.model import Word
from consult_audio.readers.base import Segment

MAX_PAUSE_S = 1.0  # s; a longer pause within one speaker's words starts a new utterance
MAX_NEAREST_S = 2.0  # s; a word further than this from every turn keeps the previous speaker


def assign_speakers(words: Sequence[Word], turns: Sequence[Turn]) -> list[Word]:
    """``words`` with ``speaker`` set from the exclusive ``turns`` (sorted by start)."""
    ordered = sorted(turns)
    starts = [t.start for t in ordered]
    out: list[Word] = []
    previous: str | None = None
    for word in words:
        speaker = _best_turn(word, ordered, starts) or previous
        if speaker is None:  # before any turn: the first turn's speaker
            speaker = ordered[0].speaker if ordered else "SPEAKER_00"
        out.append(Word(word.text, word.start, word.end, word.probability, speaker))
        previous = speaker
    return out


def _best_turn(word: Word, turns: Sequence[Turn], starts: Sequence[float]) -> str | None:
    # Turns that may overlap the word: those starting before its end (exclusive turns do not
    # overlap each other, so a few to the left suffice).
    hi = bisect.bisect_left(starts, word.end)
    lo = max(0, hi - 3)
    overlap: dict[str, float] = {}
    for turn in turns[lo:hi]:
        shared = min(word.end, turn.end) - max(word.start, turn.start)
        if shared > 0:
            overlap[turn.speaker] = overlap.get(turn.speaker, 0.0) + shared
    if overlap:
        return max(overlap, key=lambda s: overlap[s])
    nearest: tuple[float, str] | None = None
    for turn in turns[max(0, hi - 1):hi + 1]:
        distance = max(turn.start - word.end, word.start - turn.end, 0.0)
        if distance <= MAX_NEAREST_S and (nearest is None or distance < nearest[0]):
            nearest = (distance, turn.speaker)
    return nearest[1] if nearest else None


def utterance_segments(words: Sequence[Word], *, max_pause: float = MAX_PAUSE_S) -> list[Segment]:
    """Runs of one speaker's words (``speaker`` set) as transcript segments, in time order."""
    segments: list[Segment] = []
    run: list[Word] = []

    def flush() -> None:
        if run:
            text = " ".join(w.text for w in run)
            segments.append(Segment(run[0].speaker or "", run[0].start, run[-1].end, text,
                                    tuple(run)))
            run.clear()

    for word in sorted(words, key=lambda w: (w.start, w.end)):
        if run and (word.speaker != run[-1].speaker or word.start - run[-1].end > max_pause):
            flush()
        run.append(word)
    flush()
    return segments


def channel_segments(words_by_speaker: Mapping[str, Sequence[Word]], *,
                     max_pause: float = MAX_PAUSE_S) -> list[Segment]:
    """Utterances of dual-channel recordings: each channel's words are one speaker's; the
    speakers' utterances may overlap in time, as the speech did."""
    segments: list[Segment] = []
    for speaker, words in words_by_speaker.items():
        tagged = [Word(w.text, w.start, w.end, w.probability, speaker) for w in words]
        segments.extend(utterance_segments(tagged, max_pause=max_pause))
    return sorted(segments, key=lambda s: (s.start, s.end))
