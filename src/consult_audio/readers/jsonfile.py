"""JSON transcripts.

Two shapes are read:

- the analysis JSON this package writes (``"schema": "consult-audio/analysis/v1"``): its
  ``utterances`` list of ``{start_s, end_s, speaker, role, text}`` (the roles are decided again);
- a plain list, or ``{"utterances": [...]}``, of ``{"speaker", "start" or "start_s",
  "end" or "end_s", "text"}`` with times in seconds and optional ``"words"``: a list of
  ``{"word" or "text", "start", "end", "probability"?}``.

Files over :data:`MAX_BYTES` and JSON nested deeper than
:data:`~consult_audio.readers.base.MAX_JSON_DEPTH` are refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from consult_audio.errors import InputError
from consult_audio.model import SCHEMA, Word
from consult_audio.readers import base
from consult_audio.readers.base import Segment, read_utf8

MAX_BYTES = base.MAX_FILE_BYTES  # largest JSON file read, bytes


def read(path: Path) -> list[Segment]:
    data = load_json(path)
    if isinstance(data, Mapping):
        schema = data.get("schema")
        if schema is not None and schema != SCHEMA:
            raise InputError(path, f"JSON schema is {schema!r}; only {SCHEMA!r} analysis files "
                                   "and plain utterance lists can be read")
        data = data.get("utterances")
    if not isinstance(data, list):
        raise InputError(path, "expected a list of utterances (or an object with an "
                               "'utterances' list) of {speaker, start, end, text}")
    return [_segment(path, i, item) for i, item in enumerate(data)]


def load_json(path: Path) -> Any:
    """The parsed JSON of ``path``; :class:`InputError` naming it when it is too big, not UTF-8 or
    not valid JSON."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError(path, f"JSON file of {size / 2**20:.0f} MB is over the "
                               f"{MAX_BYTES // 2**20} MB limit; is this the right file?")
    text = read_utf8(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(path, f"not valid JSON: {err.msg} at line {err.lineno}, "
                               f"column {err.colno}") from err
    except RecursionError as err:
        raise InputError(path, "JSON nested too deeply to read; is this a transcript?") from err
    if json_depth(data) > base.MAX_JSON_DEPTH:
        raise InputError(path, f"JSON nested too deeply to read (more than {base.MAX_JSON_DEPTH} "
                               "levels of arrays and objects); is this a transcript?")
    return data


def json_depth(data: Any) -> int:
    """How deeply arrays and objects nest in parsed JSON (a scalar: 0, ``[]``: 1). Iterative, so
    it cannot itself run out of stack."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, Mapping):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def word_from_dict(path: Path, where: str, item: Any, *, speaker: str | None = None) -> Word:
    """A :class:`Word` from ``{"word" or "text", "start", "end", "probability"?}`` (seconds)."""
    if not isinstance(item, Mapping):
        raise InputError(path, f"{where}: expected an object, got {type(item).__name__}")
    text = item.get("word", item.get("text"))
    if not isinstance(text, str):
        raise InputError(path, f"{where}: needs a 'word' (or 'text') string")
    probability = item.get("probability")
    return Word(
        text.strip(),
        _number(path, where, item, "start"),
        _number(path, where, item, "end"),
        None if probability is None else _number(path, where, item, "probability"),
        speaker,
    )


def _segment(path: Path, index: int, item: Any) -> Segment:
    where = f"utterance {index + 1}"
    if not isinstance(item, Mapping):
        raise InputError(path, f"{where}: expected an object, got {type(item).__name__}")
    speaker = item.get("speaker", "")
    if not isinstance(speaker, str | int) or isinstance(speaker, bool):
        raise InputError(path, f"{where}: 'speaker' must be a string")
    text = item.get("text", "")
    if not isinstance(text, str):
        raise InputError(path, f"{where}: 'text' must be a string")
    start = _number(path, where, item, "start_s" if "start_s" in item else "start")
    end = _number(path, where, item, "end_s" if "end_s" in item else "end")
    words = item.get("words") or []
    if not isinstance(words, list):
        raise InputError(path, f"{where}: 'words' must be a list")
    speaker = str(speaker)
    return Segment(speaker, start, end, text, tuple(
        word_from_dict(path, f"{where}, word {j + 1}", w, speaker=speaker)
        for j, w in enumerate(words)))


def _number(path: Path, where: str, item: Mapping[str, Any], key: str) -> float:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(path, f"{where}: {key!r} must be a number (times in seconds), "
                               f"got {value!r}")
    return float(value)
