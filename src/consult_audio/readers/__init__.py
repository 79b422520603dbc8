"""Transcript readers. Each format is a small module with ``read(path) -> list[Segment]``;
:func:`load_consultation` turns the segments of one or more files into a :class:`Consultation`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from consult_audio.errors import InputError
from consult_audio.model import Consultation, Role, Speaker, Utterance
from consult_audio.readers import base
from consult_audio.readers.base import (
    Segment,
    generic_speaker_name,
    not_utf8,
    speaker_from_filename,
)
from consult_audio.text import clean_tags

__all__ = ["Segment", "load_consultation", "read_segments", "FORMATS", "TRANSCRIPT_SUFFIXES"]

Reader = Callable[[Path], list[Segment]]


def _reader(name: str) -> Reader:
    import importlib

    module = importlib.import_module(f"consult_audio.readers.{name}")
    # A module imported by name is untyped to mypy; every reader module defines ``read`` with
    # the Reader signature (each is type-checked in its own file).
    read: Reader = module.read
    return read


# Formats parsed from XML or JSON, where line counts say nothing about the size of the content.
_UNLINED = frozenset({".json", ".eaf"})

# suffix -> reader module
FORMATS: dict[str, str] = {
    ".textgrid": "textgrid",
    ".vtt": "webvtt",
    ".srt": "srt",
    ".txt": "plaintext",
    ".rttm": "rttm",
    ".json": "jsonfile",
    ".eaf": "elan",
}
TRANSCRIPT_SUFFIXES = tuple(FORMATS)


def read_segments(path: Path) -> list[Segment]:
    """Read one transcript file into segments, choosing the reader by the file suffix."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found; check the path")
    if not path.is_file():
        raise InputError(path, "not a file")
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise InputError(path, f"unknown transcript format {suffix or '(no suffix)'!r}; "
                               f"supported: {known}")
    try:
        _check_limits(path, suffix)
        segments = _reader(FORMATS[suffix])(path)
    except InputError:
        raise
    except UnicodeDecodeError as err:
        raise not_utf8(path, err) from err
    except OSError as err:
        raise InputError(path, f"cannot read the file: {err.strerror or err}") from err
    except RecursionError as err:
        raise InputError(path, f"{FORMATS[suffix]} file nested too deeply to read") from err
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as err:
        raise InputError(path, f"malformed {FORMATS[suffix]} file: {err}") from err
    base.check_segments(path, sum(1 for seg in segments if seg.text.strip()))
    for seg in segments:
        _check_segment(path, seg)
    return segments


def _check_limits(path: Path, suffix: str) -> None:
    """Size (and, for line-based formats, line) limits, checked before any parser runs."""
    base.check_size(path)
    if suffix not in _UNLINED:
        base.check_lines(path, path.read_bytes())


def _check_segment(path: Path, seg: Segment) -> None:
    if not (math.isfinite(seg.start) and math.isfinite(seg.end)):
        raise InputError(path, f"non-finite time in segment {seg.text[:40]!r}")
    if seg.start < 0:
        raise InputError(path, f"negative time {seg.start:.3f} s in segment {seg.text[:40]!r}")
    if seg.end < seg.start:
        raise InputError(path, f"segment ends ({seg.end:.3f} s) before it starts "
                               f"({seg.start:.3f} s): {seg.text[:40]!r}")


def load_consultation(
    paths: Sequence[Path | str],
    *,
    consultation_id: str | None = None,
    roles: Mapping[str, Role] | None = None,
    infer: Callable[[Sequence[Utterance], Sequence[str]], Mapping[str, Speaker]] | None = None,
) -> Consultation:
    """Read transcript files as one consultation.

    Several files are one consultation, one file per speaker (or any mix). A file's speaker comes
    from its tiers or voice tags; where that name is generic (``Speaker``, ``Tier 1``) the last
    ``_``-separated part of the file name is used (``x_doctor.TextGrid`` -> ``doctor``).
    ``roles`` maps speaker labels (case-insensitive) to roles; the rest are inferred by ``infer``
    (default :func:`consult_audio.roles.assign_roles`).
    """
    if not paths:
        raise InputError("(no input)", "no transcript file given")
    files = [Path(p) for p in paths]
    segments: list[Segment] = []
    for path in files:
        file_segments = read_segments(path)
        for seg in file_segments:
            speaker = seg.speaker
            if not speaker or generic_speaker_name(speaker):
                speaker = speaker_from_filename(path) if len(files) > 1 or not speaker else speaker
            segments.append(Segment(speaker, seg.start, seg.end, seg.text, seg.words))
    return consultation_from_segments(segments, sources=files, consultation_id=consultation_id,
                                      roles=roles, infer=infer)


def consultation_from_segments(
    segments: Sequence[Segment],
    *,
    sources: Sequence[Path],
    consultation_id: str | None = None,
    roles: Mapping[str, Role] | None = None,
    infer: Callable[[Sequence[Utterance], Sequence[str]], Mapping[str, Speaker]] | None = None,
    duration: float | None = None,
    language: str | None = None,
) -> Consultation:
    """Speaker segments (from transcripts or the audio pipeline) as one consultation, with roles.

    ``duration`` is the recording's length when known (else the end of the last segment).
    """
    where = ", ".join(map(str, sources))
    utterances = build_utterances(segments)
    if not utterances:
        raise InputError(where, "no speech: the transcript has no text")
    labels = list(dict.fromkeys(u.speaker for u in utterances))
    if len(labels) < 2:
        raise InputError(where,
                         f"only one speaker ({labels[0]!r}); a consultation needs the clinician "
                         "and the patient. Give one file per speaker, or label each line "
                         "with its speaker")
    if infer is None:
        from consult_audio.roles import assign_roles

        speakers = assign_roles(utterances, labels, given=roles or {})
    else:
        speakers = dict(infer(utterances, labels))
    ordered = _sort_by_role(utterances, speakers)
    return Consultation(
        id=consultation_id or default_id(list(sources)),
        duration=max(duration or 0.0, max(u.end for u in ordered)),
        speakers=tuple(speakers[label] for label in labels),
        utterances=ordered,
        language=language,
        sources=tuple(str(p) for p in sources),
    )


def build_utterances(segments: Iterable[Segment]) -> list[Utterance]:
    """Segments with text (tag-only texts kept) to utterances; empty segments dropped."""
    out = []
    for seg in segments:
        raw = seg.text.strip()
        if not raw:
            continue
        text, tags = clean_tags(raw)
        out.append(Utterance(seg.speaker, seg.start, seg.end, text, raw, tags, seg.words))
    return out


def _sort_by_role(
    utterances: list[Utterance], speakers: Mapping[str, Speaker]
) -> tuple[Utterance, ...]:
    # Stable sort by start time; on equal starts the clinician comes first.
    order = {Role.CLINICIAN: 0, Role.PATIENT: 1, Role.OTHER: 2}
    return tuple(sorted(utterances, key=lambda u: (u.start, order[speakers[u.speaker].role])))


def default_id(paths: Sequence[Path]) -> str:
    """The consultation id from the file names: their common stem, less a trailing speaker part.

    ``day1_consultation01_doctor.TextGrid`` + ``..._patient.TextGrid`` -> ``day1_consultation01``.
    """
    stems = [p.name.split(".")[0] for p in paths]
    if len(stems) == 1:
        return stems[0]
    parts = [s.split("_") for s in stems]
    common: list[str] = []
    for group in zip(*parts, strict=False):
        if len(set(group)) != 1:
            break
        common.append(group[0])
    return "_".join(common) or stems[0]
