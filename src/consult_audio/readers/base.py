"""What every reader returns, and speaker-name helpers shared by the readers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from consult_audio.errors import InputError
from consult_audio.model import Span, Word

# Limits on what one transcript file may hold. A consultation of four hours transcribed word by word
# stays far below them; anything beyond is a wrong file or an attack on memory and time.
MAX_FILE_BYTES = 64 * 1024 * 1024  # largest transcript file read, bytes
MAX_LINES = 1_000_000  # most lines in a text transcript (a word-level TextGrid of 4 h: ~350,000)
MAX_SEGMENTS = 200_000  # most non-empty segments (intervals, cues, turns, words) in one file
MAX_JSON_DEPTH = 64  # deepest nesting of arrays and objects accepted in a JSON file

# Tier or voice names that say nothing about who speaks.
_GENERIC_RE = re.compile(r"^(speaker|tier|transcript(ion)?|words?|utterances?|text|default)"
                         r"[\s_-]*\d*$", re.I)


@dataclass(frozen=True, slots=True)
class Segment:
    """A timed piece of one speaker's transcript, as read (tags not yet removed): what every
    reader returns, and what the audio pipeline builds from recognised words. ``start`` and
    ``end`` are seconds."""

    speaker: str
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()

    @property
    def span(self) -> Span:
        return Span(self.start, self.end)


def generic_speaker_name(name: str) -> bool:
    """True for tier names such as ``Speaker``, ``Tier 1`` or ``transcription``."""
    return bool(_GENERIC_RE.match(name.strip()))


def speaker_from_filename(path: Path) -> str:
    """The last ``_``-separated part of the file name: ``day2_consultation01_doctor.TextGrid`` ->
    ``doctor``."""
    stem = path.name.split(".")[0]
    return stem.rsplit("_", 1)[-1]


# "Name: text": a name of 1-4 words, the first starting with a letter and the others with a capital,
# a digit or "(" ("Dr. Smith", "Speaker 1", "Patient (Mrs Jones)"), then a colon and a space. The
# capitals rule keeps a sentence such as "He said: stop" from reading as a speaker "He said".
_PREFIX_RE = re.compile(
    r"\s*([^\W\d_][\w'.&-]*(?:[ \t]+[A-Z0-9(][\w'.()&-]*){0,3})[ \t]*:(?:\s+|$)(.*)", re.S
)


def split_speaker_prefix(text: str) -> tuple[str, str] | None:
    """``"Doctor: How are you?"`` -> ``("Doctor", "How are you?")``; ``None`` without a prefix."""
    match = _PREFIX_RE.match(text)
    if not match:
        return None
    return match.group(1), match.group(2).strip()


def check_size(path: Path, *, max_bytes: int | None = None) -> int:
    """The size of ``path`` in bytes; :class:`InputError` when it is over ``max_bytes``
    (default :data:`MAX_FILE_BYTES`)."""
    limit = MAX_FILE_BYTES if max_bytes is None else max_bytes
    size = path.stat().st_size
    if size > limit:
        raise InputError(path, f"file of {size / 2**20:.0f} MB is over the {limit // 2**20} MB "
                               "limit for one transcript; is this the right file?")
    return size


def check_lines(path: Path, data: bytes, *, max_lines: int | None = None) -> None:
    """:class:`InputError` when ``data`` (the bytes of ``path``) has more than ``max_lines``
    lines (default :data:`MAX_LINES`). Counted before parsing, so a huge file fails fast."""
    limit = MAX_LINES if max_lines is None else max_lines
    lines = data.count(b"\n")
    if lines > limit:
        raise InputError(path, f"{lines:,} lines, over the limit of {limit:,} for one "
                               "transcript; split it or check that it is a transcript")


def check_segments(path: Path, count: int, *, max_segments: int | None = None) -> None:
    """:class:`InputError` when a file holds more than ``max_segments`` segments (default
    :data:`MAX_SEGMENTS`)."""
    limit = MAX_SEGMENTS if max_segments is None else max_segments
    if count > limit:
        raise InputError(path, f"{count:,} intervals or turns, over the limit of {limit:,} for "
                               "one consultation; split the transcript")


def read_utf8(path: Path) -> str:
    """The text of ``path`` (UTF-8, a byte-order mark dropped); :class:`InputError` naming the file
    when it is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise not_utf8(path, err) from err


def not_utf8(path: Path | str, err: UnicodeDecodeError) -> InputError:
    """The error for a file that is not UTF-8 text."""
    return InputError(path, f"not UTF-8 text ({err.reason} at byte {err.start}); "
                            "save the file as UTF-8")
