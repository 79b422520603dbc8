"""Words to speakers, and speakers' words to utterances.

Each word goes to the speaker whose **exclusive** diarisation turns overlap it most (as WhisperX
does); a word outside every turn goes to the nearest turn. Consecutive words of one speaker become
an utterance until the speaker changes or pauses for longer than :data:`MAX_PAUSE_S`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence

from consult_audio.audio.turns import Turn
from consult_audio.model import Word
from consult_audio.readers.base import Segment

MAX_PAUSE_S = 1.0  # s; a longer pause within one speaker's words starts a new utterance
MAX_NEAREST_S = 2.0  # s; a word further than this from every turn keeps the previous speaker
LISTENER_GAP_S = 0.5  # s; acknowledgement words closer than this make one listener utterance


def merge_spans(spans: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """``(start, end)`` spans (s) sorted, with overlapping or touching ones merged."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


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


def utterance_segments(words: Sequence[Word], *, max_pause: float = MAX_PAUSE_S,
                       listener: Sequence[int] = ()) -> list[Segment]:
    """Runs of one speaker's words (``speaker`` set) as transcript segments, in time order.

    Words whose indices are in ``listener`` (a backchannel said over the other speaker, see
    :func:`listener_tokens`) become utterances of their own and do not end the run around them.
    """
    segments: list[Segment] = []
    run: list[Word] = []

    def flush() -> None:
        if run:
            text = " ".join(w.text for w in run)
            segments.append(Segment(run[0].speaker or "", run[0].start, run[-1].end, text,
                                    tuple(run)))
            run.clear()

    aside = set(listener)
    last_aside: Segment | None = None
    for index in sorted(range(len(words)), key=lambda i: (words[i].start, words[i].end)):
        word = words[index]
        if index in aside:
            # "right, yeah" in one breath is one acknowledgement, not two
            if (last_aside is not None and last_aside.speaker == word.speaker
                    and word.start - last_aside.end <= LISTENER_GAP_S):
                segments.remove(last_aside)
                last_aside = Segment(last_aside.speaker, last_aside.start, word.end,
                                     f"{last_aside.text} {word.text}", (*last_aside.words, word))
            else:
                last_aside = Segment(word.speaker or "", word.start, word.end, word.text,
                                     (word,))
            segments.append(last_aside)
            continue
        if run and (word.speaker != run[-1].speaker or word.start - run[-1].end > max_pause):
            flush()
        run.append(word)
    flush()
    return sorted(segments, key=lambda s: (s.start, s.end))


def listener_tokens(
    words: Sequence[Word], overlaps: Sequence[tuple[float, float]], turns: Sequence[Turn],
    *, is_token: Callable[[str], bool],
) -> tuple[list[Word], list[int]]:
    """Backchannels recognised inside overlapped speech, given to the listener.

    In a mono recording Whisper writes a listener's "yeah" said over the speaker into the
    speaker's stream, and the exclusive diarisation gives it to the speaker. A single
    acknowledgement word (``is_token``) whose middle lies in an overlapped-speech region
    (``overlaps``, seconds) goes to the other speaker: the one with the nearest turn. Returns the
    words and the indices of those moved.
    """
    if not overlaps:
        return list(words), []
    starts = [a for a, _ in overlaps]
    out = list(words)
    moved: list[int] = []
    for i, word in enumerate(words):
        middle = (word.start + word.end) / 2
        k = bisect.bisect_right(starts, middle) - 1
        if k < 0 or middle > overlaps[k][1] or not is_token(word.text):
            continue
        other = _nearest_other_speaker(middle, word.speaker, turns)
        if other is not None:
            out[i] = Word(word.text, word.start, word.end, word.probability, other)
            moved.append(i)
    return out, moved


def _nearest_other_speaker(t: float, speaker: str | None, turns: Sequence[Turn]) -> str | None:
    best: tuple[float, str] | None = None
    for turn in turns:
        if turn.speaker == speaker:
            continue
        distance = max(turn.start - t, t - turn.end, 0.0)
        if best is None or distance < best[0]:
            best = (distance, turn.speaker)
    return best[1] if best else None


def overlap_turns(exclusive: Sequence[Turn], overlaps: Sequence[tuple[float, float]],
                  ) -> list[Turn]:
    """The regular (overlapping) diarisation: the exclusive turns plus, in each overlapped-speech
    region, a turn of the second speaker (the nearest other speaker to the region's middle)."""
    turns = list(exclusive)
    for start, end in overlaps:
        middle = (start + end) / 2
        main = next((t.speaker for t in exclusive if t.start <= middle < t.end), None)
        other = _nearest_other_speaker(middle, main, exclusive)
        if main is not None and other is not None:
            turns.append(Turn(start, end, other))
    return sorted(turns)


def stretch_to_turns(segments: Sequence[Segment], turns: Sequence[Turn]) -> list[Segment]:
    """Each utterance widened to the diarisation turn(s) of its speaker that hold its words, so
    that overlaps in the regular diarisation become overlaps of utterances. An utterance never
    grows over its speaker's neighbouring utterances."""
    by_speaker: dict[str, list[Segment]] = {}
    for seg in segments:
        by_speaker.setdefault(seg.speaker, []).append(seg)
    out: list[Segment] = []
    for speaker, own in by_speaker.items():
        own.sort(key=lambda s: s.start)
        mine = [t for t in turns if t.speaker == speaker]
        for k, seg in enumerate(own):
            touching = [t for t in mine if t.start < seg.end and t.end > seg.start]
            if not touching:
                out.append(seg)
                continue
            floor = own[k - 1].end if k > 0 else 0.0
            ceiling = own[k + 1].start if k + 1 < len(own) else float("inf")
            start = max(floor, min(seg.start, min(t.start for t in touching)))
            end = min(ceiling, max(seg.end, max(t.end for t in touching)))
            out.append(Segment(seg.speaker, round(start, 3), round(end, 3), seg.text, seg.words))
    return sorted(out, key=lambda s: (s.start, s.end))


def channel_segments(words_by_speaker: Mapping[str, Sequence[Word]], *,
                     max_pause: float = MAX_PAUSE_S) -> list[Segment]:
    """Utterances of dual-channel recordings: each channel's words are one speaker's; the
    speakers' utterances may overlap in time, as the speech did."""
    segments: list[Segment] = []
    for speaker, words in words_by_speaker.items():
        tagged = [Word(w.text, w.start, w.end, w.probability, speaker) for w in words]
        segments.extend(utterance_segments(tagged, max_pause=max_pause))
    return sorted(segments, key=lambda s: (s.start, s.end))
