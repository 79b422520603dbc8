"""The research reference values that feedback compares findings with: the packaged
``consult_audio/data/references.json``, by key (the ``REF_*`` constants name the ones the findings
cite).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from consult_audio.errors import ConsultAudioError
from consult_audio.model import Reference

# Reference keys (data/references.json).
REF_BECKMAN = "opening_redirect_beckman_1984"
REF_BECKMAN_SHARE = "opening_interrupted_share_beckman_1984"
REF_MARVEL = "opening_redirect_marvel_1999"
REF_MARVEL_SOLICITED = "concerns_solicited_marvel_1999"
REF_SINGH_OSPINA = "opening_interrupted_median_singh_ospina_2019"
REF_AGENDA = "agenda_elicited_singh_ospina_2019"
REF_LANGEWITZ = "opening_talking_time_langewitz_2002"
REF_LANGEWITZ_2MIN = "opening_within_2_min_langewitz_2002"
REF_BACKCHANNELS = "backchannel_share_mulder_vos_2023"
REF_ALLIANCE = "alliance_outcome_ferreira_2013"
REF_FOUR_HABITS = "four_habits_frankel_1999"


def load_references() -> dict[str, Reference]:
    """The packaged research reference values (``consult_audio/data/references.json``), by key.

    Raises :class:`~consult_audio.errors.ConsultAudioError` if the packaged file is malformed.
    """
    return dict(_packaged_references())


@cache
def _packaged_references() -> Mapping[str, Reference]:
    source = "consult_audio/data/references.json"
    try:
        text = resources.files("consult_audio").joinpath("data/references.json").read_text(
            encoding="utf-8")
        entries = json.loads(text)["references"]
        refs = [_reference(entry) for entry in entries]
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise ConsultAudioError(
            f"{source}: reference values could not be read ({err}); reinstall consult-audio"
        ) from err
    return {ref.key: ref for ref in refs}


def _reference(entry: Mapping[str, Any]) -> Reference:
    value = entry["value"]
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ValueError(f"reference {entry.get('key')!r}: value must be a number or null")
    names = ("key", "unit", "statement", "citation") if value is not None else (
        "key", "statement", "citation")
    if not all(isinstance(entry[name], str) and entry[name] for name in names):
        raise ValueError(f"reference {entry.get('key')!r}: {', '.join(names)} must be "
                         "non-empty strings")
    return Reference(entry["key"], None if value is None else float(value), str(entry["unit"]),
                     entry["statement"], entry["citation"])
