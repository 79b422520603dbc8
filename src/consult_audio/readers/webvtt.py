"""WebVTT captions (read with webvtt-py): one segment per cue.

The speaker is the cue's voice tag (``<v Dr Jones>``; a cue holds one, the first is used) or,
without one, a ``Name:`` prefix of the cue text; a cue with neither has speaker ``""`` (the loader
then takes the speaker from the file name). WebVTT markup (voice, class, bold/italic/underline,
ruby, language and inline timestamp tags) is removed; transcription tags such as ``<UNSURE>`` and
``<UNIN/>`` are kept for :func:`consult_audio.text.clean_tags`.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError
from webvtt.models import Caption

from consult_audio.errors import InputError
from consult_audio.readers.base import Segment, split_speaker_prefix

_VOICE_RE = re.compile(r"<v(?:\.[\w-]+)*[ \t]+([^>]*?)[ \t]*>")
# WebVTT's own cue tags only (they are lower case); <UNSURE>, <UNIN/> and the like stay.
_MARKUP_RE = re.compile(r"</?(?:v|c|i|b|u|ruby|rt|lang)(?:[.\s][^>]*)?>|<\d[\d:.]*>")

MALFORMED_ERRORS = (MalformedFileError, MalformedCaptionError)


def read(path: Path) -> list[Segment]:
    try:
        captions = webvtt.read(str(path), encoding="utf-8", strict=True).captions
    except MALFORMED_ERRORS as err:
        raise InputError(path, f"malformed WebVTT ({err}); the file must start with 'WEBVTT' and "
                               "hold cues such as '00:00:01.000 --> 00:00:04.000' followed by "
                               "their text, separated by blank lines") from err
    return [caption_segment(c, voice_tags=True) for c in captions]


def caption_segment(caption: Caption, *, voice_tags: bool) -> Segment:
    """One caption as a segment: times in seconds, lines joined with spaces, speaker from the voice
    tag (when ``voice_tags``) or a ``Name:`` prefix, else ``""``."""
    raw = " ".join(line.strip() for line in caption.lines)
    match = _VOICE_RE.search(raw) if voice_tags else None
    speaker = html.unescape(match.group(1)) if match else ""
    # character references (&amp; &lt; &gt;...) stand for the characters WebVTT reserves
    text = html.unescape(_MARKUP_RE.sub("", raw)).strip()
    if not speaker and (prefix := split_speaker_prefix(text)):
        speaker, text = prefix
    start = caption.start_time.in_milliseconds() / 1000
    end = caption.end_time.in_milliseconds() / 1000
    return Segment(speaker, start, end, text)
