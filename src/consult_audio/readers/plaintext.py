"""Plain-text transcripts with one ``Name: text`` line per turn.

Accepted lines::

    Doctor: Good morning, what brings you in?
    [00:01:02.5] Patient: I've had a cough for two weeks.
    00:01:10 - 00:01:14 Doctor: Any fever?        (a start and an end)
    Patient: (1:15) No, not really.                (a bracketed time after the name)
    Speaker 1  0:03                                (Otter-style heading: the text follows)
    and it keeps me up at night.                   (a continuation of the previous turn)

Times are ``[h:]mm:ss[.fff]`` (``,`` also accepted as decimal mark), bare or in ``[]``/``()``
before the name, bracketed after it. A line without a ``Name:`` prefix continues the previous
speaker's turn; lines before the first speaker are a header and are skipped (but a header line
such as ``Date: 1 May`` reads as a speaker: remove it). A line with a bracketed time and no name
starts a new turn of the previous speaker.

Missing times are estimated from word counts at 150 words/min (0.4 s a word, at least one word a
turn): a turn without a start starts where the previous turn ends (0 s for the first), and a turn
without an end lasts its estimated time, cut short at the next turn's given start. A transcript
with no times at all therefore has no pauses and no overlaps, and its times are approximate.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from consult_audio.errors import InputError
from consult_audio.readers.base import Segment, read_utf8, split_speaker_prefix
from consult_audio.text import clean_tags

log = logging.getLogger(__name__)

WORDS_PER_MINUTE = 150  # speaking rate for estimated times
SECONDS_PER_WORD = 60 / WORDS_PER_MINUTE  # s

_TIME = r"\d{1,2}(?::\d{1,2}){1,2}(?:[.,]\d+)?"
_RANGE = rf"({_TIME})(?:\s*(?:-->|-|–|to)\s*({_TIME}))?"
# A leading time: bracketed or bare (then followed by a space); a time after the name: bracketed.
_LEADING_RE = re.compile(rf"\s*(?:\[{_RANGE}\]|\({_RANGE}\)|{_RANGE}(?=\s))\s*")
_BRACKETED_RE = re.compile(rf"\s*(?:\[{_RANGE}\]|\({_RANGE}\))\s*")
_HEADING_RE = re.compile(rf"\s*([^\W\d_][\w'.&-]*(?:[ \t]+[A-Z0-9(][\w'.()&-]*){{0,3}})"
                         rf"[ \t]+{_RANGE}\s*$")


@dataclass
class _Turn:
    speaker: str
    start: float | None
    end: float | None
    lines: list[str] = field(default_factory=list)


def read(path: Path) -> list[Segment]:
    turns: list[_Turn] = []
    skipped = 0
    for number, line in enumerate(read_utf8(path).splitlines(), 1):
        if not line.strip():
            continue
        turn = _parse_line(path, number, line)
        if turn is not None:
            if not turn.speaker and turns:
                turn.speaker = turns[-1].speaker
            turns.append(turn)
        elif turns:
            turns[-1].lines.append(line.strip())
        else:
            skipped += 1
    if not turns:
        raise InputError(path, "no 'Name: text' lines found; write one turn per line as "
                               "'Doctor: How are you?' / 'Patient: Not too bad.', optionally "
                               "preceded by a time such as [00:01:02]")
    if skipped:
        log.warning("%s: skipped %d line(s) before the first speaker", path, skipped)
    return _timed(turns)


def _parse_line(path: Path, number: int, line: str) -> _Turn | None:
    """The turn this line starts (speaker ``""``: the previous speaker's), or ``None`` for a
    continuation line. A bare leading time counts only before a name ("10:30 suits me" is text)."""
    if heading := _HEADING_RE.match(line):
        return _Turn(heading.group(1), *_times(path, number, heading.groups()[1:]))
    start: float | None
    end: float | None
    leading = _LEADING_RE.match(line)
    rest = line[leading.end():] if leading else line
    prefix = split_speaker_prefix(rest)
    if leading and (prefix or leading.group(5) is None):
        start, end = _times(path, number, leading.groups())
    elif prefix and (after := _BRACKETED_RE.match(prefix[1])):
        start, end = _times(path, number, after.groups())
        prefix = (prefix[0], prefix[1][after.end():])
    elif prefix:
        start, end = None, None
    else:
        return None
    speaker, text = prefix or ("", rest.strip())
    return _Turn(speaker, start, end, [text] if text else [])


def _times(path: Path, number: int, groups: tuple[str | None, ...]) -> tuple[float, float | None]:
    """(start, end) in seconds from a time match's groups: (start, end) pairs, one pair set."""
    for start, end in zip(groups[::2], groups[1::2], strict=True):
        if start is not None:
            return _seconds(path, number, start), (
                None if end is None else _seconds(path, number, end))
    raise AssertionError("a time match without a time")


def _seconds(path: Path, number: int, value: str) -> float:
    *head, last = value.replace(",", ".").split(":")
    if float(last) >= 60 or any(int(p) >= 60 for p in head[1:]):
        raise InputError(path, f"line {number}: {value!r} is not a valid time; "
                               "write times as [h:]mm:ss[.fff]")
    total = 0.0
    for part in head:
        total = total * 60 + int(part)
    return total * 60 + float(last)


def _timed(turns: list[_Turn]) -> list[Segment]:
    segments = []
    cursor = 0.0
    for i, turn in enumerate(turns):
        text = " ".join(turn.lines)
        start = cursor if turn.start is None else turn.start
        end = turn.end
        if end is None:
            words = max(1, len(clean_tags(text)[0].split()))
            end = start + words * SECONDS_PER_WORD
            following = turns[i + 1].start if i + 1 < len(turns) else None
            if following is not None and start <= following < end:
                end = following
        segments.append(Segment(turn.speaker, start, end, text))
        cursor = end
    return segments
