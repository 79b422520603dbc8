"""Exports of analysis results: tables for statistics (CSV or Parquet) and, per consultation, the
research formats of annotation tools (ELAN ``.eaf``, Praat ``.TextGrid``, ``.rttm``, WebVTT), plus
the analysis JSON that ``consult-audio report`` re-renders.

Layout under the output folder: ``consultations.csv`` and ``events.csv`` (or ``.parquet``), and one
folder per format: ``eaf/<id>.eaf``, ``textgrid/<id>.TextGrid``, ``rttm/<id>.rttm``,
``vtt/<id>.vtt``, ``json/<id>.analysis.json``. Every file is written atomically and readable by
its owner only. Everything here reads :class:`~consult_audio.model.AnalysisResult` values (with
the metadata they were stored with); a batch run's results come from
:mod:`consult_audio.batch.outputs`, which also records the files written.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from consult_audio.export import eaf, rttm, tables, textgrid, webvtt
from consult_audio.export.tables import TABLE_FORMATS, TABLE_NAMES, Stored, Tables
from consult_audio.model import AnalysisResult
from consult_audio.output import write_all, write_atomic

__all__ = ["CONSULTATION_FORMATS", "TABLE_FORMATS", "TABLE_NAMES", "Exported", "export_results",
           "write_table"]

log = logging.getLogger(__name__)


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


@dataclass(frozen=True, slots=True)
class Exported:
    """One file written: its path, the consultation (``None`` for a table) and the format."""

    path: Path
    id: str | None
    format: str


def export_results(
    stored: Iterable[Stored],
    out_dir: Path,
    *,
    table_format: str | None = "csv",
    formats: Sequence[str] = ("eaf", "textgrid", "rttm", "vtt"),
    safe_id: Callable[[str], bool],
) -> list[Exported]:
    """Write the tables (``table_format`` ``None``: none) of these results and, for each, the
    ``formats``; returns the files written, the tables first. ``safe_id`` is the rule for ids that
    may name files (an id that breaks it is skipped with a warning)."""
    _make_dir(out_dir)
    for fmt in formats:
        _make_dir(out_dir / fmt)
    collected = Tables()
    written: list[Exported] = []
    for result, metadata in stored:
        collected.add(result, metadata)
        cid = result.consultation.id
        if not formats:
            continue
        if not safe_id(cid):
            log.warning("skipped %r: not a safe file name", cid)
            continue
        files = {out_dir / fmt / f"{cid}{CONSULTATION_FORMATS[fmt][0]}":
                 CONSULTATION_FORMATS[fmt][1](result) for fmt in formats}
        write_all(files)
        written += [Exported(path, cid, fmt) for path, fmt in zip(files, formats, strict=True)]
    if table_format is None:
        return written
    paths = [out_dir / f"{name}.{table_format}" for name in TABLE_NAMES]
    for path, name in zip(paths, TABLE_NAMES, strict=True):
        write_table(path, collected, name, table_format)
    return [Exported(path, None, table_format) for path in paths] + written


def write_table(path: Path, collected: Tables, name: str, fmt: str) -> None:
    """Write the table ``name`` of ``collected`` to ``path`` as ``fmt`` (CSV or Parquet)."""
    write_atomic(path, tables.table_bytes(collected.table(name), fmt))


def _make_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
