"""Praat TextGrid (long or short text format): every interval tier is one speaker."""

from __future__ import annotations

from pathlib import Path

from praatio import textgrid as praat_textgrid
from praatio.utilities.errors import PraatioException

from consult_audio.errors import InputError
from consult_audio.readers.base import Segment


def read(path: Path) -> list[Segment]:
    try:
        tg = praat_textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    except (PraatioException, ValueError, IndexError) as err:
        raise InputError(path, f"malformed TextGrid: {err}") from err
    segments: list[Segment] = []
    for name in tg.tierNames:
        tier = tg.getTier(name)
        if tier.tierType != praat_textgrid.INTERVAL_TIER:
            continue  # point tiers carry events, not speech
        segments.extend(Segment(name, float(e.start), float(e.end), e.label) for e in tier.entries)
    return segments
