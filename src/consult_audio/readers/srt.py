"""SubRip (.srt) subtitles (read with webvtt-py): one segment per cue.

SRT has no speaker field: the speaker is a ``Name:`` prefix of the cue text (a name of 1-4 words,
see :func:`consult_audio.readers.base.split_speaker_prefix`), else ``""`` (the loader then takes
the speaker from the file name). ``<i>``/``<b>``/``<u>`` markup is removed.
"""

from __future__ import annotations

from pathlib import Path

import webvtt

from consult_audio.errors import InputError
from consult_audio.readers.base import Segment
from consult_audio.readers.webvtt import MALFORMED_ERRORS, caption_segment


def read(path: Path) -> list[Segment]:
    try:
        captions = webvtt.from_srt(str(path), encoding="utf-8").captions
    except MALFORMED_ERRORS as err:
        raise InputError(path, f"malformed SRT ({err}); each cue must be a number, a line such as "
                               "'00:00:01,000 --> 00:00:04,000' and its text, cues separated by "
                               "blank lines") from err
    return [caption_segment(c, voice_tags=False) for c in captions]
