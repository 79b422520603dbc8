"""Text helpers shared by readers and metrics: transcription tags, sentences, tokens."""

from __future__ import annotations

import re

# PriMock57-style transcription tags. <UNSURE>x</UNSURE> keeps x; the others stand for speech
# that could not be transcribed. <VOCALISATION/> is the audio pipeline's: a listener's voice
# heard over the speaker (overlapped-speech detection) with no word recognised.
_TAG_NAMES = {
    "vocalisation": "vocalisation",
    "unsure": "unsure",
    "unin": "unintelligible",
    "inaudible_speech": "inaudible",
    "inaudible": "inaudible",
    "unintelligible": "unintelligible",
}
_TAG_RE = re.compile(r"</?\s*([A-Za-z_]+)\s*/?>")
_BRACKET_RE = re.compile(r"\[(?:inaudible|unintelligible|crosstalk|laughs?|laughter)[^\]]*\]", re.I)
_SPACE_RE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+([,.?!;:])")

_SENTENCE_RE = re.compile(r"[^.?!]+(?:[.?!]+|$)")
_TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def clean_tags(raw: str) -> tuple[str, tuple[str, ...]]:
    """Remove transcription tags. Returns the clean text and the names of the tags met, in order
    of first appearance (``unsure``, ``unintelligible``, ``inaudible`` or the tag's own name)."""
    found: list[str] = []

    def _sub(match: re.Match[str]) -> str:
        name = _TAG_NAMES.get(match.group(1).lower(), match.group(1).lower())
        if name not in found:
            found.append(name)
        return " "

    text = _TAG_RE.sub(_sub, raw)
    if _BRACKET_RE.search(text):
        text = _BRACKET_RE.sub(" ", text)
        if "inaudible" not in found:
            found.append("inaudible")
    text = _SPACE_RE.sub(" ", text).strip()
    text = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", text)
    text = re.sub(r"^[,.;:]\s*", "", text)
    return text, tuple(found)


def sentences(text: str) -> list[tuple[int, int, str]]:
    """Split ``text`` into sentences at ``.``, ``?`` and ``!``.

    Returns ``(start_char, end_char, sentence)`` with surrounding spaces stripped.
    """
    out = []
    for m in _SENTENCE_RE.finditer(text):
        s = m.group(0)
        stripped = s.strip()
        if not stripped or not re.search(r"\w", stripped):
            continue
        lead = len(s) - len(s.lstrip())
        out.append((m.start() + lead, m.start() + lead + len(stripped), stripped))
    return out


def tokens(text: str) -> list[str]:
    """Lower-case word tokens (apostrophes kept: ``don't``, ``what's``)."""
    return _TOKEN_RE.findall(text.lower().replace("\u2019", "'"))
