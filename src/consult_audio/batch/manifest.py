"""What a batch processes: the rows of a manifest CSV, or the consultations found in a folder.

A manifest has a header row and one row per consultation. Columns:

- ``path`` (required): an audio file or the transcript(s) of one consultation, several separated
  by ``;`` (one file per speaker). Absolute paths are read as written; relative paths are taken
  from the manifest's folder. With ``data_root``, relative paths are taken from it instead and
  every path, absolute or relative, must stay inside it (a confinement for manifests that come
  from elsewhere).
- ``consent`` (required unless consent is recorded elsewhere): an ISO date (``2026-03-01``) or
  ``yes``. A row without it is refused, not processed.
- ``id``, ``clinician_id``, ``date`` (ISO ``YYYY-MM-DD``), ``language``, ``roles``
  (``NAME=ROLE;NAME=ROLE``): optional; any further columns are kept as metadata.

Problems with one row (a missing file, a bad date, an unsafe or duplicate id) make that row a
:class:`BatchItem` with an ``error``: the batch records it as a failure and carries on. Problems
with the whole manifest (not UTF-8, no ``path`` column) raise :class:`ManifestError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from consult_audio.errors import ConsultAudioError
from consult_audio.inputs import NotNameRole, parse_role_assignment
from consult_audio.model import Role
from consult_audio.readers import TRANSCRIPT_SUFFIXES, default_id

__all__ = [
    "BatchItem",
    "ManifestError",
    "STANDARD_COLUMNS",
    "collect_items",
    "read_manifest",
    "scan_folder",
]

STANDARD_COLUMNS = ("path", "id", "clinician_id", "date", "consent", "language", "roles")
CONSENT_ELSEWHERE = "recorded elsewhere (--consent-recorded-elsewhere)"
IdCheck = Callable[[str], bool]  # True for an id that can name output files


class ManifestError(ConsultAudioError):
    """A manifest that cannot be read as a whole: the message says what to fix."""


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One consultation to process, or a row that cannot be (``error`` says why).

    ``kind`` is ``audio`` or ``transcript``; ``consent`` the consent basis (empty when none was
    recorded); ``metadata`` the manifest columns other than ``path`` and ``roles`` (every value a
    string), kept with the result; ``source`` says where it came from (``manifest.csv row 3``).
    """

    id: str
    paths: tuple[Path, ...]
    kind: str
    source: str
    consent: str = ""
    language: str | None = None
    roles: Mapping[str, Role] = field(default_factory=dict)
    metadata: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None
    refused: bool = False  # no consent recorded: listed, not processed


# --- manifest ------------------------------------------------------------------------------------


def read_manifest(
    path: Path,
    *,
    safe_id: IdCheck,
    data_root: Path | None = None,
    consent_elsewhere: bool = False,
    is_audio: Callable[[Path], bool] | None = None,
) -> list[BatchItem]:
    """The rows of a manifest CSV as items; row problems are kept as items with an ``error``.

    ``safe_id`` is the rule for ids that can name files (the CLI passes the one ``analyse --id``
    uses); ``is_audio`` tells audio files by name (default:
    :func:`consult_audio.audio.is_audio_path`). Relative paths are taken from the manifest's
    folder, absolute ones as written; ``data_root`` (opt-in) is the folder relative paths are
    taken from instead, and that every path must stay inside.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError as err:
        raise ManifestError(f"{path}: manifest not found; check the path") from err
    except UnicodeDecodeError as err:
        raise ManifestError(
            f"{path}: the manifest is not UTF-8 text; save it as UTF-8 CSV") from err
    except (OSError, csv.Error) as err:
        raise ManifestError(f"{path}: cannot read the manifest: {err}") from err
    if not rows:
        raise ManifestError(f"{path}: the manifest is empty; it needs a header row with at least "
                            "'path' and 'consent' columns")
    header = [h.strip() for h in rows[0]]
    lowered = [h.lower() for h in header]
    missing = [c for c in ("path", "consent") if c not in lowered]
    if consent_elsewhere and "consent" in missing:
        missing.remove("consent")
    if missing:
        raise ManifestError(
            f"{path}: the manifest has no {' or '.join(map(repr, missing))} column (its columns: "
            f"{', '.join(header) or 'none'}); 'path' names the file(s) of each consultation and "
            "'consent' the date consent was given (or 'yes')"
            + ("" if "consent" not in missing else
               "; pass --consent-recorded-elsewhere if consent is kept in another record"))
    duplicates = sorted({h for h in lowered if lowered.count(h) > 1 and h})
    if duplicates:
        raise ManifestError(f"{path}: column(s) {', '.join(duplicates)} appear more than once")
    base = Path(os.path.abspath(data_root if data_root is not None else path.parent))
    confine = base if data_root is not None else None
    is_audio = is_audio or _is_audio_path
    items = []
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue  # blank line
        source = f"{path.name} row {number}"
        if len(row) != len(header):
            items.append(_bad(source, f"has {len(row)} fields, the header {len(header)}; "
                                      "quote values that contain commas"))
            continue
        values = {name: cell.strip() for name, cell in zip(lowered, row, strict=True)}
        items.append(_row_item(values, header, source=source, base=base, confine=confine,
                               consent_elsewhere=consent_elsewhere, is_audio=is_audio,
                               safe_id=safe_id))
    return mark_duplicates(items)


def _row_item(
    values: Mapping[str, str],
    header: Sequence[str],
    *,
    source: str,
    base: Path,
    confine: Path | None,
    consent_elsewhere: bool,
    is_audio: Callable[[Path], bool],
    safe_id: IdCheck,
) -> BatchItem:
    given_id = values.get("id", "")
    label = given_id or source
    try:
        paths = _row_paths(values.get("path", ""), base=base, confine=confine)
        consultation_id = given_id or default_id(list(paths))
        if not safe_id(consultation_id):
            raise ValueError(f"id {consultation_id!r} is not a safe file name; use letters, "
                             "digits, '.', '_' and '-', not starting with '.'")
        kind = _kind(paths, is_audio)
        roles = parse_roles(values.get("roles", ""))
        date = values.get("date", "")
        if date:
            _iso_date(date, "date")
        consent = values.get("consent", "")
        if consent and consent.lower() != "yes":
            _iso_date(consent, "consent")
    except ValueError as err:
        return _bad(source, str(err), consultation_id=label)
    metadata = {name: values[name.lower()] for name in header
                if name.lower() not in ("path", "id", "roles", "consent")}
    item = BatchItem(
        id=consultation_id, paths=paths, kind=kind, source=source,
        consent=consent or (CONSENT_ELSEWHERE if consent_elsewhere else ""),
        language=values.get("language") or None, roles=roles, metadata=metadata,
    )
    if not item.consent:
        return replace(item, refused=True,
                       error="no consent recorded (the 'consent' cell is empty); give the date "
                             "consent was given or 'yes', or pass --consent-recorded-elsewhere")
    return item


def _row_paths(cell: str, *, base: Path, confine: Path | None) -> tuple[Path, ...]:
    """The files of a ``path`` cell: relative ones taken from ``base`` (absolute), absolute ones
    as written; with ``confine``, each must lie inside that folder."""
    parts = [p.strip() for p in cell.split(";") if p.strip()]
    if not parts:
        raise ValueError("the 'path' cell is empty")
    paths = []
    for part in parts:
        resolved = Path(os.path.normpath(base / part))  # an absolute part replaces base
        if confine is not None and not resolved.is_relative_to(confine):
            raise ValueError(f"path {part!r} leads outside --data-root {confine}; with "
                             "--data-root every manifest path must stay inside it")
        if not resolved.is_file():
            what = "is not a file" if resolved.exists() else "not found"
            raise ValueError(f"{resolved}: {what}; check the 'path' cell")
        paths.append(resolved)
    return tuple(paths)


def _kind(paths: Sequence[Path], is_audio: Callable[[Path], bool]) -> str:
    audio = [p for p in paths if is_audio(p)]
    if audio and len(paths) > 1:
        raise ValueError("an audio consultation is one file; give the transcripts or the audio, "
                         "not several files")
    if audio:
        return "audio"
    unknown = [p.name for p in paths if p.suffix.lower() not in TRANSCRIPT_SUFFIXES]
    if unknown:
        raise ValueError(f"{', '.join(unknown)}: not a transcript or audio file (transcripts: "
                         f"{', '.join(TRANSCRIPT_SUFFIXES)})")
    return "transcript"


def _iso_date(value: str, column: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as err:
        hint = " or 'yes'" if column == "consent" else ""
        raise ValueError(f"{column} {value!r} is not a date as YYYY-MM-DD{hint}") from err


def parse_roles(cell: str) -> dict[str, Role]:
    """``"Dr Lee=clinician;Sam=patient"`` -> speaker label -> role."""
    roles: dict[str, Role] = {}
    for part in cell.split(";"):
        if not part.strip():
            continue
        try:
            name, role = parse_role_assignment(part)
        except NotNameRole as err:
            raise ValueError(
                f"roles {part!r} is not NAME=ROLE (e.g. 'Dr Lee=clinician;Sam=patient')"
            ) from err
        roles[name] = role
    return roles


def _bad(source: str, error: str, *, consultation_id: str | None = None) -> BatchItem:
    return BatchItem(id=consultation_id or source, paths=(), kind="", source=source,
                     error=f"{source}: {error}")


def mark_duplicates(items: Iterable[BatchItem]) -> list[BatchItem]:
    """Every item whose id another item also has becomes a failure naming all of them."""
    items = list(items)
    sources: dict[str, list[str]] = {}
    for item in items:
        if item.error is None or item.refused:
            sources.setdefault(item.id, []).append(item.source)
    out = []
    for item in items:
        where = sources.get(item.id, [])
        if len(where) > 1 and (item.error is None or item.refused):
            item = replace(item, refused=False,
                           error=f"id {item.id!r} is given to {len(where)} consultations "
                                 f"({', '.join(where)}); ids must be unique")
        out.append(item)
    return out


# --- folder --------------------------------------------------------------------------------------


def scan_folder(
    folder: Path,
    *,
    safe_id: IdCheck,
    consent_elsewhere: bool = False,
    kind: str = "auto",
    is_audio: Callable[[Path], bool] | None = None,
) -> list[BatchItem]:
    """The consultations in ``folder`` (not its subfolders).

    ``kind`` ``auto`` takes the audio files when the folder has any, else the transcripts;
    ``audio`` or ``transcript`` takes only those. Each audio file is one consultation, its id the
    file name up to the last suffix. Transcripts are one consultation per file, except files named
    ``<id>_<speaker>.<suffix>`` whose speaker part has no digit and which share ``<id>``
    (``day1_consultation01_doctor.TextGrid`` + ``..._patient.TextGrid``): those are one
    consultation, one file per speaker. A folder has no consent column, so every item is refused
    unless ``consent_elsewhere``.
    """
    if not folder.is_dir():
        raise ManifestError(f"{folder}: not a folder or a manifest .csv")
    is_audio = is_audio or _is_audio_path
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    audio = [p for p in files if is_audio(p)]
    transcripts = [p for p in files if p.suffix.lower() in TRANSCRIPT_SUFFIXES]
    if kind == "auto":
        kind = "audio" if audio else "transcript"
    groups: list[tuple[str, tuple[Path, ...]]]
    if kind == "audio":
        groups = [(p.name.rsplit(".", 1)[0], (p,)) for p in audio]
    else:
        groups = _group_transcripts(transcripts)
    consent = CONSENT_ELSEWHERE if consent_elsewhere else ""
    items = []
    for consultation_id, paths in groups:
        source = paths[0].name if len(paths) == 1 else f"{paths[0].name} (+{len(paths) - 1})"
        item = BatchItem(id=consultation_id, paths=paths, kind=kind, source=source,
                         consent=consent)
        if not safe_id(consultation_id):
            item = replace(item, error=f"{source}: id {consultation_id!r} from the file name is "
                                       "not a safe file name; rename the file or use a manifest")
        elif not consent:
            item = replace(item, refused=True,
                           error="no consent recorded: a folder has no consent column; use a "
                                 "manifest with a 'consent' column, or pass "
                                 "--consent-recorded-elsewhere")
        items.append(item)
    return mark_duplicates(items)


def _group_transcripts(paths: Sequence[Path]) -> list[tuple[str, tuple[Path, ...]]]:
    by_prefix: dict[str, list[Path]] = {}
    for path in paths:
        stem = path.name.split(".")[0]
        prefix, sep, part = stem.rpartition("_")
        if sep and prefix and part and not any(ch.isdigit() for ch in part):
            by_prefix.setdefault(prefix, []).append(path)
    grouped = {p for group in by_prefix.values() if len(group) > 1 for p in group}
    out = [(prefix, tuple(group)) for prefix, group in by_prefix.items() if len(group) > 1]
    out += [(path.name.split(".")[0], (path,)) for path in paths if path not in grouped]
    return sorted(out)


def _is_audio_path(path: Path) -> bool:
    # The audio package decides what is audio (by suffix; importing it loads no model).
    try:
        check = importlib.import_module("consult_audio.audio").is_audio_path
    except (ImportError, AttributeError):  # no audio package: know audio by its usual suffixes
        return path.suffix.lower() in _FALLBACK_AUDIO_SUFFIXES
    return bool(check(path))


# Used only when the audio package is absent: such files then fail with a clear message.
_FALLBACK_AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".ogg", ".mp3", ".m4a", ".opus", ".webm"})


def collect_items(
    source: Path,
    *,
    safe_id: IdCheck,
    data_root: Path | None = None,
    consent_elsewhere: bool = False,
    kind: str = "auto",
) -> list[BatchItem]:
    """The items of a manifest (``source`` a ``.csv`` file) or a folder (see :func:`scan_folder`
    for ``kind``)."""
    if source.is_file() or source.suffix.lower() == ".csv":
        if data_root is not None and not data_root.is_dir():
            raise ManifestError(f"--data-root {data_root}: not a folder")
        return read_manifest(source, data_root=data_root, consent_elsewhere=consent_elsewhere,
                             safe_id=safe_id)
    if data_root is not None:
        raise ManifestError("--data-root applies to a manifest; INPUT is a folder")
    return scan_folder(source, consent_elsewhere=consent_elsewhere, kind=kind, safe_id=safe_id)
