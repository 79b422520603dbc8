"""What is done with a batch run's stored results after the run: :func:`export_run` writes them
out (:mod:`consult_audio.export`), :func:`forget` removes one consultation from the run and its
exports, and :func:`agreement` compares them with a researcher's codes
(:mod:`consult_audio.agreement`). This module opens the run database; the exports and the
agreement read only the analysis results it hands them.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from consult_audio.agreement import AgreementError, TypeAgreement, compare_codes, read_codes
from consult_audio.batch.database import RunDatabase, RunDirError
from consult_audio.errors import SchemaError
from consult_audio.export import TABLE_NAMES, export_results, write_table
from consult_audio.export.tables import Stored, tables_of
from consult_audio.model import AnalysisResult

__all__ = ["ForgetReport", "agreement", "export_run", "forget", "load_result", "stored_results"]


def load_result(cid: str, analysis: str) -> AnalysisResult:
    """A stored analysis JSON as a result; :class:`SchemaError` naming the id when it is not."""
    try:
        return AnalysisResult.from_dict(json.loads(analysis))
    except (ValueError, TypeError, KeyError) as err:
        raise SchemaError(f"stored analysis of {cid!r} cannot be read: {err}") from err


def stored_results(db: RunDatabase, ids: Sequence[str] | None = None) -> Iterator[Stored]:
    """Every stored result (or those of ``ids``) with its metadata, by id, one at a time."""
    for cid, metadata, analysis in db.analyses(ids):
        yield load_result(cid, analysis), json.loads(metadata)


def export_run(
    run_dir: Path,
    out_dir: Path,
    *,
    table_format: str | None = "csv",
    formats: Sequence[str] = ("eaf", "textgrid", "rttm", "vtt"),
    safe_id: Callable[[str], bool],
) -> list[Path]:
    """Export every stored result of the run (:func:`consult_audio.export.export_results`) and
    record the files in the run database, so that :func:`forget` can remove them; returns the
    files written."""
    with RunDatabase(run_dir) as db:
        written = export_results(stored_results(db), out_dir, table_format=table_format,
                                 formats=formats, safe_id=safe_id)
        db.record_exports([(str(e.path.resolve()), e.id, e.format) for e in written])
    return [e.path for e in written]


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
        tables = [(Path(path), fmt) for path, fmt in db.exports(None)]
        tables = [(path, fmt) for path, fmt in tables
                  if path.name.rsplit(".", 1)[0] in TABLE_NAMES and path.parent.is_dir()]
        if tables:
            remaining = tables_of(stored_results(db))
            for path, fmt in tables:
                write_table(path, remaining, path.name.rsplit(".", 1)[0], fmt)
    return ForgetReport(cid, tuple(deleted), tuple(path for path, _ in tables))


def agreement(run_dir: Path, codes_path: Path) -> list[TypeAgreement]:
    """Per event type used in the codes file, the agreement of the run's results with the codes
    over the consultations it names (:func:`consult_audio.agreement.compare_codes`)."""
    codes = read_codes(codes_path)
    if not codes:
        raise AgreementError(f"{codes_path}: no codes")
    ids = list(dict.fromkeys(code.id for code in codes))
    with RunDatabase(run_dir) as db:
        results = {result.consultation.id: result for result, _ in stored_results(db, ids)}
    return compare_codes(codes, results, codes_path)
