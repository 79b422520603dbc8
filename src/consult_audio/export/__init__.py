"""Exports of a batch run: tables for statistics (CSV or Parquet) and, per consultation, the
research formats of annotation tools (ELAN ``.eaf``, Praat ``.TextGrid``, ``.rttm``, WebVTT), plus
the analysis JSON that ``consult-audio report`` re-renders.

Layout under the output folder: ``consultations.csv`` and ``events.csv`` (or ``.parquet``), and one
folder per format: ``eaf/<id>.eaf``, ``textgrid/<id>.TextGrid``, ``rttm/<id>.rttm``,
``vtt/<id>.vtt``, ``json/<id>.analysis.json``. Every file is written atomically, readable by its
owner only, and recorded in the run database so that ``consult-audio forget`` can remove it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from consult_audio.batch.database import RunDatabase, RunDirError
from consult_audio.export import eaf, rttm, tables, textgrid, webvtt
from consult_audio.model import AnalysisResult
from consult_audio.output import FILE_MODE, write_all

__all__ = ["CONSULTATION_FORMATS", "TABLE_FORMATS", "ForgetReport", "export_run", "forget"]

log = logging.getLogger(__name__)

TABLE_FORMATS = tables.TABLE_FORMATS
TABLE_NAMES = ("consultations", "events")


def _json(result: AnalysisResult) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


# format -> (file name suffix after the id, renderer)
CONSULTATION_FORMATS: dict[str, tuple[str, Callable[[AnalysisResult], str]]] = {
    "eaf": (eaf.SUFFIX, eaf.render),
    "textgrid": (textgrid.SUFFIX, textgrid.render),
    "rttm": (rttm.SUFFIX, rttm.render),
    "vtt": (webvtt.SUFFIX, webvtt.render),
    "json": (".analysis.json", _json),
}


def export_run(
    run_dir: Path,
    out_dir: Path,
    *,
    table_format: str | None = "csv",
    formats: Sequence[str] = ("eaf", "textgrid", "rttm", "vtt"),
    safe_id: Callable[[str], bool],
) -> list[Path]:
    """Write the tables (``table_format`` ``None``: none) and the per-consultation ``formats`` of
    every stored result; returns the files written. ``safe_id`` is the rule for ids that may name
    files (an id that breaks it, in an edited database, is skipped with a warning)."""
    with RunDatabase(run_dir) as db:
        _make_dir(out_dir)
        written: list[Path] = []
        records: list[tuple[str, str | None, str]] = []
        if table_format is not None:
            for name in TABLE_NAMES:
                path = out_dir / f"{name}.{table_format}"
                write_bytes_atomic(path, _table_bytes(db, name, table_format))
                written.append(path)
                records.append((str(path.resolve()), None, table_format))
        if formats:
            for fmt in formats:
                _make_dir(out_dir / fmt)
            for result, _metadata in tables.results(db):
                cid = result.consultation.id
                if not safe_id(cid):
                    log.warning("skipped %r: not a safe file name", cid)
                    continue
                files = {out_dir / fmt / f"{cid}{CONSULTATION_FORMATS[fmt][0]}":
                         CONSULTATION_FORMATS[fmt][1](result) for fmt in formats}
                write_all(files)
                written += files
                records += [(str(path.resolve()), cid, fmt)
                            for path, fmt in zip(files, formats, strict=True)]
        db.record_exports(records)
    return written


def _table_bytes(db: RunDatabase, name: str, fmt: str) -> bytes:
    table = tables.consultation_table(db) if name == "consultations" else tables.event_table(db)
    return tables.table_bytes(table, fmt)


@dataclass(frozen=True, slots=True)
class ForgetReport:
    """What ``forget`` did: files deleted, tables written again without the consultation."""

    id: str
    deleted: tuple[Path, ...]
    rewritten: tuple[Path, ...]


def forget(run_dir: Path, cid: str) -> ForgetReport:
    """Remove every trace of ``cid`` from the run: its database rows (freed pages overwritten,
    the write-ahead log emptied), its exported files, and its rows in exported tables (written
    again). The inputs themselves are not touched."""
    with RunDatabase(run_dir, lock=True) as db:
        if not db.known(cid):
            raise RunDirError(f"{run_dir}: no consultation {cid!r} in this run; `consult-audio "
                              "export` lists the ids in consultations.csv")
        files = [Path(path) for path, _fmt in db.exports(cid)]
        db.forget(cid)
        deleted = []
        for path in files:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                deleted.append(path)
        rewritten = []
        for path_text, fmt in db.exports(None):
            path = Path(path_text)
            name = path.name.rsplit(".", 1)[0]
            if name in TABLE_NAMES and path.parent.is_dir():
                write_bytes_atomic(path, _table_bytes(db, name, fmt))
                rewritten.append(path)
    return ForgetReport(cid, tuple(deleted), tuple(rewritten))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename, owner-only (as
    :mod:`consult_audio.output` does for text)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _make_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
