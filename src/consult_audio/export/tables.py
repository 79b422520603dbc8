"""Results as tables: ``consultations`` (one row per consultation: id, the headline metrics of
``<id>.metrics.csv`` and the manifest metadata) and ``events`` (one row per coded event). Columns
are documented in ``docs/codebook.md``. The tables are made from analysis results (and the
metadata they were stored with), so they are the same whether the results come from a run
database or from analysis files."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from consult_audio.catalogue import HEADLINE, headline_values
from consult_audio.errors import ConsultAudioError
from consult_audio.model import AnalysisResult

__all__ = ["EVENT_COLUMNS", "TABLE_FORMATS", "TABLE_NAMES", "Stored", "Tables", "event_rows",
           "table_bytes", "tables_of", "utterance_rows"]

TABLE_FORMATS = ("csv", "parquet")
TABLE_NAMES = ("consultations", "events")
# Metadata columns that come first, in this order; further manifest columns follow as given.
STANDARD_METADATA = ("clinician_id", "date", "consent", "language")
EVENT_COLUMNS = ("id", "event", "type", "label", "start_s", "end_s", "role", "speaker",
                 "utterance", "text", "tags", "rule", "matched")

Table = tuple[list[str], list[dict[str, Any]]]  # column names, rows
Stored = tuple[AnalysisResult, Mapping[str, Any]]  # a result and the metadata stored with it


def utterance_rows(result: AnalysisResult) -> list[tuple[Any, ...]]:
    """``(idx, start_s, end_s, speaker, role, text)`` of every utterance, as in the JSON."""
    return [(i, u["start_s"], u["end_s"], u["speaker"], u["role"], u["text"])
            for i, u in enumerate(result.to_dict()["utterances"])]


def event_rows(result: AnalysisResult) -> list[tuple[Any, ...]]:
    """``(idx, type, label, start_s, end_s, role, speaker, utterance, text, tags, rule,
    matched)`` of every event, as in the analysis JSON (tags joined by ``;``; the rule and the
    words it matched from the evidence)."""
    return [(i, e["type"], e["label"], e["start_s"], e["end_s"], e["role"], e["speaker"],
             e["utterance"], e["text"], ";".join(e["tags"]), _evidence(e, "rule"),
             _evidence(e, "matched"))
            for i, e in enumerate(result.to_dict()["events"])]


def _evidence(event: Mapping[str, Any], key: str) -> str | None:
    evidence = event.get("evidence")
    value = evidence.get(key) if isinstance(evidence, Mapping) else None
    return None if value is None else str(value)


class Tables:
    """The ``consultations`` and ``events`` tables, filled one result at a time (see
    :func:`tables_of`)."""

    def __init__(self) -> None:
        self._consultations: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []

    def add(self, result: AnalysisResult, metadata: Mapping[str, Any]) -> None:
        """One consultation: a row of its headline metrics and ``metadata`` (a manifest column
        named like a headline column gets a ``meta_`` prefix), and a row per event."""
        row = headline_values(result)
        for key, value in metadata.items():
            row[f"meta_{key}" if key in row else key] = value
        self._consultations.append(row)
        self._events += [dict(zip(EVENT_COLUMNS, (result.consultation.id, *event), strict=True))
                         for event in event_rows(result)]

    def consultations(self) -> Table:
        """One row per consultation, in the order added: the columns of ``<id>.metrics.csv``
        (the catalogue's :data:`~consult_audio.catalogue.HEADLINE` metrics), then the standard
        metadata columns, then any others in the order first met."""
        headline = [metric.name for metric in HEADLINE]
        extra = {name: None for row in self._consultations for name in list(row)[len(headline):]
                 if name not in STANDARD_METADATA}
        return headline + list(STANDARD_METADATA) + list(extra), self._consultations

    def events(self) -> Table:
        """One row per event, in the order the consultations were added, then in time order."""
        return list(EVENT_COLUMNS), self._events

    def table(self, name: str) -> Table:
        """The table called ``name`` (one of :data:`TABLE_NAMES`)."""
        return self.consultations() if name == "consultations" else self.events()


def tables_of(stored: Iterable[Stored]) -> Tables:
    """Both tables of these results, in the order given."""
    tables = Tables()
    for result, metadata in stored:
        tables.add(result, metadata)
    return tables


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
