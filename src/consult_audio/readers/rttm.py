"""RTTM speaker turns plus a words file beside them: one segment per turn.

RTTM ``SPEAKER`` lines (``SPEAKER file 1 start dur <NA> <NA> speaker <NA> <NA>``, seconds) give the
turns; other record types are ignored. The words come from the first of these beside the RTTM:

- ``<stem>.words.json``: ``[{"word" or "text", "start", "end", "probability"?}]``, or an object
  with that list under ``"words"``, or whisper-style ``{"segments": [{"words": [...]}]}``;
- ``<stem>.words.tsv``: tab-separated with a header naming ``word`` (or ``text``), ``start``,
  ``end`` (seconds) and optionally ``probability`` (or ``conf``); without a header, CTM columns;
- ``<stem>.words.ctm`` or ``<stem>.ctm``: CTM, ``file chan start dur word [conf]``.

Each word goes to the turn it overlaps most in time; a word overlapping no turn, or two turns
equally, goes to the nearest (by gap, then by distance between midpoints). A turn's text is its
words in time order, joined with spaces.

:func:`read_turns` reads the turns alone, of every recording in the file (a reference RTTM of a
diarisation benchmark), and :func:`read_uem` the scored regions that go with it (UEM:
``file channel start end``, seconds).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from consult_audio.errors import InputError
from consult_audio.model import Span, Turn, Word
from consult_audio.readers.base import Segment, read_utf8
from consult_audio.readers.jsonfile import load_json, word_from_dict

__all__ = ["WORDS_SUFFIXES", "assign_words", "read", "read_turns", "read_uem"]

WORDS_SUFFIXES = (".words.json", ".words.tsv", ".words.ctm", ".ctm")


def read(path: Path) -> list[Segment]:
    turns = _turns(path)
    words_path = next((p for p in _words_candidates(path) if p.is_file()), None)
    if words_path is None:
        names = ", ".join(p.name for p in _words_candidates(path))
        raise InputError(path, f"RTTM gives speakers but no words: put a words file beside it "
                               f"({names} in {path.parent})")
    words = _read_words(words_path)
    buckets: list[list[Word]] = [[] for _ in turns]
    for word, index in zip(words, assign_words(turns, words), strict=True):
        buckets[index].append(word)
    segments = []
    for turn, bucket in zip(turns, buckets, strict=True):
        own = sorted(bucket, key=lambda w: w.start)
        own_words = tuple(Word(w.text, w.start, w.end, w.probability, turn.speaker) for w in own)
        segments.append(Segment(turn.speaker, turn.start, turn.end,
                                " ".join(w.text for w in own), own_words))
    return segments


def assign_words(turns: Sequence[Turn], words: Sequence[Word]) -> list[int]:
    """For each word, the index of its turn: the largest time overlap, then the smallest gap, then
    the closest midpoint."""
    starts = np.array([t.start for t in turns])
    ends = np.array([t.end for t in turns])
    mids = (starts + ends) / 2
    owner = []
    for w in words:
        overlap = np.clip(np.minimum(ends, w.end) - np.maximum(starts, w.start), 0, None)
        gap = np.maximum(np.maximum(starts - w.end, w.start - ends), 0)
        distance = np.abs(mids - (w.start + w.end) / 2)
        # np.lexsort sorts by the last key first
        owner.append(int(np.lexsort((distance, gap, -overlap))[0]))
    return owner


def _words_candidates(path: Path) -> list[Path]:
    return [path.with_name(path.stem + suffix) for suffix in WORDS_SUFFIXES]


def read_turns(path: Path) -> dict[str, list[Turn]]:
    """The ``SPEAKER`` turns of an RTTM file by recording (its second field), in file order;
    other record types and ``;;`` comments are ignored. :class:`InputError` on a ``SPEAKER`` line
    with too few fields or a time that is not a number."""
    out: dict[str, list[Turn]] = {}
    for number, line in enumerate(read_utf8(path).splitlines(), 1):
        fields = line.split()
        if not fields or fields[0] != "SPEAKER":
            continue
        if len(fields) < 8:
            raise InputError(path, f"line {number}: a SPEAKER line needs at least 8 fields "
                                   "(SPEAKER file channel start duration <NA> <NA> speaker)")
        start, duration = _float(path, number, fields[3]), _float(path, number, fields[4])
        out.setdefault(fields[1], []).append(Turn(start, start + duration, fields[7]))
    return out


def read_uem(path: Path) -> dict[str, Span]:
    """The scored region of each recording of a UEM file (``file channel start end``, seconds);
    ``;;`` comments and blank lines are skipped. :class:`InputError` on a line with too few
    fields, a time that is not a number, an end before the start, or a second region for one
    recording (one region a recording is supported)."""
    out: dict[str, Span] = {}
    for number, line in enumerate(read_utf8(path).splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith(";;"):
            continue
        if len(fields) < 4:
            raise InputError(path, f"line {number}: a UEM line needs 'file channel start end'")
        span = Span(_float(path, number, fields[2]), _float(path, number, fields[3]))
        if span.end < span.start:
            raise InputError(path, f"line {number}: the region ends before it starts")
        if fields[0] in out:
            raise InputError(path, f"line {number}: a second scored region for {fields[0]!r}; "
                                   "give one region a recording")
        out[fields[0]] = span
    return out


def _turns(path: Path) -> list[Turn]:
    by_file = read_turns(path)
    if not by_file:
        raise InputError(path, "no SPEAKER lines; is this an RTTM file?")
    if len(by_file) > 1:
        names = ", ".join(sorted(by_file))
        raise InputError(path, f"turns of {len(by_file)} recordings ({names}); give one RTTM file "
                               "per consultation")
    return next(iter(by_file.values()))


def _read_words(path: Path) -> list[Word]:
    if path.suffix == ".json":
        data = load_json(path)
        if isinstance(data, dict):
            if "segments" in data and "words" not in data:
                data = [w for s in data["segments"] if isinstance(s, dict)
                        for w in s.get("words", [])]
            else:
                data = data.get("words")
        if not isinstance(data, list):
            raise InputError(path, "expected a list of words (or an object with a 'words' list) "
                                   "of {word, start, end}")
        return [word_from_dict(path, f"word {i + 1}", w) for i, w in enumerate(data)]
    text = read_utf8(path)
    if path.suffix == ".tsv":
        rows = list(csv.reader(text.splitlines(), delimiter="\t"))
        header = [h.strip().lower() for h in rows[0]] if rows else []
        if "start" in header and "end" in header and {"word", "text"} & set(header):
            return _tsv_words(path, header, rows[1:])
        return _ctm_words(path, enumerate(rows, 1))
    return _ctm_words(path, enumerate((line.split() for line in text.splitlines()), 1))


def _tsv_words(path: Path, header: list[str], rows: list[list[str]]) -> list[Word]:
    col = {name: i for i, name in enumerate(header)}
    text_col = col["word"] if "word" in col else col["text"]
    prob_col = col.get("probability", col.get("conf"))
    words = []
    for number, row in enumerate(rows, 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise InputError(path, f"line {number}: {len(row)} columns, the header has "
                                   f"{len(header)}")
        prob = row[prob_col].strip() if prob_col is not None else ""
        words.append(Word(row[text_col].strip(), _float(path, number, row[col["start"]]),
                          _float(path, number, row[col["end"]]),
                          _float(path, number, prob) if prob else None))
    return words


def _ctm_words(path: Path, rows: Iterable[tuple[int, list[str]]]) -> list[Word]:
    words = []
    for number, fields in rows:
        if not fields or fields[0].startswith(";;"):
            continue
        if len(fields) < 5:
            raise InputError(path, f"line {number}: a CTM line needs 'file channel start "
                                   "duration word [confidence]'")
        start = _float(path, number, fields[2])
        conf = _confidence(fields[5]) if len(fields) > 5 else None
        words.append(Word(fields[4], start, start + _float(path, number, fields[3]), conf))
    return words


def _confidence(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None  # "NA" and the like


def _float(path: Path, number: int, value: str) -> float:
    try:
        return float(value)
    except ValueError as err:
        raise InputError(path, f"line {number}: {value!r} is not a number") from err
