"""The run as tables: ``consultations`` (one row per consultation: id, the headline metrics of
``<id>.metrics.csv`` and the manifest metadata) and ``events`` (one row per coded event). Columns
are documented in ``docs/codebook.md``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from consult_audio.batch.database import RunDatabase
from consult_audio.errors import ConsultAudioError, SchemaError
from consult_audio.model import AnalysisResult
from consult_audio.render.csv import COLUMNS, HEADLINE_COLUMNS

__all__ = ["EVENT_COLUMNS", "TABLE_FORMATS", "consultation_table", "event_table", "load_result",
           "table_bytes"]

TABLE_FORMATS = ("csv", "parquet")
# Metadata columns that come first, in this order; further manifest columns follow as given.
STANDARD_METADATA = ("clinician_id", "date", "consent", "language")
EVENT_COLUMNS = ("id", "event", "type", "label", "start_s", "end_s", "role", "speaker",
                 "utterance", "text", "tags", "rule", "matched")

Table = tuple[list[str], list[dict[str, Any]]]  # column names, rows


def load_result(cid: str, analysis: str) -> AnalysisResult:
    """A stored analysis JSON as a result; :class:`SchemaError` naming the id when it is not."""
    try:
        return AnalysisResult.from_dict(json.loads(analysis))
    except (ValueError, TypeError, KeyError) as err:
        raise SchemaError(f"stored analysis of {cid!r} cannot be read: {err}") from err


def results(db: RunDatabase) -> Iterator[tuple[AnalysisResult, dict[str, Any]]]:
    """Every stored result with its metadata, by id."""
    for cid, metadata, analysis in db.analyses():
        yield load_result(cid, analysis), json.loads(metadata)


def consultation_table(db: RunDatabase) -> Table:
    """One row per consultation: the columns of ``<id>.metrics.csv`` (:data:`HEADLINE_COLUMNS`,
    stored by :func:`~consult_audio.render.csv.headline_row` when the result was), then the
    metadata columns (a manifest column named like a headline column gets a ``meta_`` prefix)."""
    headline = [name for name, _ in HEADLINE_COLUMNS]
    flags = {c.name for c in COLUMNS if c.unit == "True/False"}  # SQLite keeps booleans as 0/1
    stored: dict[str, dict[str, Any]] = {}
    for cid, name, value in db.conn.execute("SELECT consultation_id, name, value FROM metrics"):
        stored.setdefault(cid, {})[name] = bool(value) if name in flags and value is not None \
            else value
    rows: list[dict[str, Any]] = []
    extra: dict[str, None] = {}
    for cid, metadata_text in db.conn.execute("SELECT id, metadata FROM consultations "
                                              "ORDER BY id"):
        row = {name: stored.get(cid, {}).get(name) for name in headline}
        metadata = json.loads(metadata_text)
        for key, value in metadata.items():
            name = f"meta_{key}" if key in row else key
            row[name] = value
            if key not in STANDARD_METADATA:
                extra[name] = None
        rows.append(row)
    columns = headline + list(STANDARD_METADATA) + list(extra)
    return columns, rows


def event_table(db: RunDatabase) -> Table:
    """One row per event, in consultation and time order."""
    cursor = db.conn.execute(
        "SELECT consultation_id, idx, type, label, start_s, end_s, role, speaker, utterance, "
        "text, tags, rule, matched FROM events ORDER BY consultation_id, idx")
    return list(EVENT_COLUMNS), [dict(zip(EVENT_COLUMNS, row, strict=True)) for row in cursor]


def table_bytes(table: Table, fmt: str) -> bytes:
    """The table as CSV (UTF-8, empty cell for a missing value) or Parquet."""
    columns, rows = table
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue().encode("utf-8")
    if fmt == "parquet":
        return _parquet(columns, rows)
    raise ConsultAudioError(f"unknown table format {fmt!r}; use {' or '.join(TABLE_FORMATS)}")


def _parquet(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> bytes:
    try:
        # pyarrow ships no type information (no py.typed, no stubs)
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ImportError as err:
        raise ConsultAudioError("Parquet needs pyarrow: pip install 'consult-audio[parquet]'"
                                ) from err
    arrays = {}
    for name in columns:
        values = [row.get(name) for row in rows]
        try:
            arrays[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types: keep them as text
            arrays[name] = pa.array([None if v is None else str(v) for v in values])
    sink = io.BytesIO()
    pq.write_table(pa.table(arrays), sink)
    return sink.getvalue()


def table_path(out_dir: Path, name: str, fmt: str) -> Path:
    return out_dir / f"{name}.{fmt}"
