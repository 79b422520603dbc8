"""ELAN annotation files (.eaf, read with pympi-ling).

Every top-level tier with time-aligned annotations is one speaker: the tier's ``PARTICIPANT``
attribute when set, else the tier name. Child tiers (translations, words, glosses: tiers with a
parent) are skipped. ELAN times are milliseconds; segments are in seconds.
"""

from __future__ import annotations

from pathlib import Path

from pympi.Elan import Eaf

from consult_audio.errors import InputError
from consult_audio.readers.base import Segment, read_utf8


def read(path: Path) -> list[Segment]:
    read_utf8(path)  # ELAN writes UTF-8: a clear error for anything else, before the XML parser's
    try:
        eaf = Eaf(str(path), suppress_version_warning=True)
    except Exception as err:  # pympi raises a bare Exception for XML it cannot parse
        raise InputError(path, f"malformed ELAN file ({err}); open and save it in ELAN") from err
    segments = []
    for name, (aligned, _refs, attributes, _order) in eaf.tiers.items():
        if not aligned or attributes.get("PARENT_REF"):
            continue
        speaker = (attributes.get("PARTICIPANT") or "").strip() or name
        for annotation, (slot1, slot2, value, _svg) in aligned.items():
            start, end = eaf.timeslots.get(slot1), eaf.timeslots.get(slot2)
            if start is None or end is None:
                raise InputError(path, f"annotation {annotation} on tier {name!r} has no time; "
                                       "align it in ELAN")
            segments.append(Segment(speaker, start / 1000, end / 1000, value or ""))
    return sorted(segments, key=lambda s: (s.start, s.speaker))
