"""Text cues shared by the metrics: normalisation, fillers, backchannel-like utterances."""

from __future__ import annotations

import re

from consult_audio.model import Utterance
from consult_audio.rules import Rules
from consult_audio.text import tokens

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
_NON_WORD_EDGE = re.compile(r"^[\W_]+|[\s,;:\-]+$")


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, single spaces."""
    return re.sub(r"\s+", " ", text.translate(_APOSTROPHES).lower()).strip()


def strip_leading_markers(sentence: str, rules: Rules) -> str:
    """Drop fillers and discourse markers at the start (``Um, so, OK, how...`` -> ``how...``) and
    collapse an immediate restart (``is that, is it there`` keeps ``is it there``)."""
    markers = sorted(rules.phrases("discourse_markers") + rules.phrases("fillers"), key=len,
                     reverse=True)
    text = normalise(sentence)
    changed = True
    while changed and text:
        changed = False
        text = _NON_WORD_EDGE.sub("", text)
        for marker in markers:
            if text == marker:
                return ""
            if text.startswith(marker) and not text[len(marker)].isalnum() \
                    and text[len(marker)] != "'":
                text = text[len(marker):]
                changed = True
                break
    text = _NON_WORD_EDGE.sub("", text)
    fillers = "|".join(re.escape(f) for f in rules.phrases("fillers"))
    text = re.sub(rf"\b({fillers})\b,?\s*", "", text).strip()
    # A restart: "can i, can i just check" -> "can i just check".
    while (m := _RESTART.match(text)) is not None:
        text = text[m.end(1) + 1:].lstrip(" ,")
    return text


_RESTART = re.compile(r"^(\S.{0,40}?),?\s+\1\b")


def content_words(text: str, rules: Rules) -> list[str]:
    """Tokens without fillers."""
    fillers = rules.words("fillers")
    return [t for t in tokens(text) if t not in fillers]


def is_backchannel_text(text: str, rules: Rules) -> bool:
    """True when every word is an acknowledgement token (``mm``, ``yeah``, ``okay``, ``I see``,
    ``sure``...) and there are at most ``backchannel_max_words`` distinct-purpose words.

    Repeated tokens count once (``yeah yeah yeah``)."""
    fillers = rules.words("fillers")
    words = [w for w in tokens(text) if w not in fillers]
    if not words:
        return False
    allowed = rules.words("backchannel", "tokens")
    if any(w not in allowed for w in words):
        return False
    distinct = list(dict.fromkeys(words))
    not_alone = rules.words("backchannel", "not_alone")
    if all(w in not_alone for w in distinct):
        return False  # "no", "I", "you" alone are answers or starts, not acknowledgements
    return len(distinct) <= rules.timing("backchannel_max_words") + 1 and \
        len(words) <= 2 * rules.timing("backchannel_max_words") + 2


def is_encourager(text: str, rules: Rules) -> bool:
    """Backchannel tokens plus encouragers such as ``go on``: invites the speaker to continue."""
    norm = _NON_WORD_EDGE.sub("", normalise(text))
    for phrase in rules.phrases("backchannel", "encouragers"):
        norm = re.sub(rf"\b{re.escape(phrase)}\b", " ", norm)
    norm = norm.strip(" ,.?!")
    return not norm or is_backchannel_text(norm, rules)


def is_repeat(listener: Utterance, speaker: Utterance, rules: Rules) -> bool:
    """The listener repeats words of the speaker (``some ringing in your ear``)."""
    acknowledgements = rules.words("backchannel", "tokens")
    words = [w for w in content_words(listener.text, rules) if w not in acknowledgements]
    if not words or len(words) > rules.timing("backchannel_max_repeat_words"):
        return False
    said = set(content_words(speaker.text, rules))
    return all(w in said for w in words)


def is_tag_only(utterance: Utterance) -> bool:
    """No intelligible word: only transcription tags (``<UNIN/>``) or single letters (``K. O``),
    speech whose words are unknown."""
    return not any(len(t) > 1 or t in {"i", "a"} for t in tokens(utterance.text))
