"""How feedback phrases what it found: times as ``mm:ss``, quotes shortened at a word boundary,
the sentence a rule matched, counted nouns and lists in words. The reports use the same helpers,
so a time or a quote reads the same everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from consult_audio.model import Event
from consult_audio.text import sentences, tokens

QUOTE_CHARS = 140  # longest quote in a message, in characters

_DOUBLE_STOP = re.compile(r'([.?!])"([.])(?=\s|$)')


def clock(seconds: float) -> str:
    """``mm:ss`` (``h:mm:ss`` from one hour) for a time in seconds."""
    total = max(0, int(round(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def quote(text: str, *, limit: int = QUOTE_CHARS) -> str:
    """``text`` in double quotes, shortened at a word boundary to about ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) > limit:
        cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
        text = cut + "..."
    return f'"{text}"'


def unsure_note(e: Event) -> str:
    """``(recogniser unsure of: ...; check the recording)`` when the speech recogniser gave a
    low probability to words the event rests on (``evidence["asr_unsure"]``), else ``""``."""
    words = e.evidence.get("asr_unsure")
    if not words:
        return ""
    return f"(recogniser unsure of: {', '.join(map(str, words))}; check the recording)"


def matched_sentence(e: Event) -> str:
    """The sentence of ``e.text`` that holds the words its rule matched (the whole text when
    the match cannot be placed), so a quote shows the point and not the rest of the turn."""
    matched = " ".join(tokens(str(e.evidence.get("matched", ""))))
    if matched:
        for _, _, sentence in sentences(e.text):
            if f" {matched} " in f" {' '.join(tokens(sentence))} ":
                return sentence
    return e.text


def plural(n: int, one: str, many: str | None = None) -> str:
    """"1 time", "3 times"."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def join_and(parts: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def tidy(text: str) -> str:
    """Drop the full stop after a quote that already ends a sentence: ``"Why?".`` -> ``"Why?"``."""
    return _DOUBLE_STOP.sub(r'\1"', text)
