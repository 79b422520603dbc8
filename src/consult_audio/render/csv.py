"""Headline metrics as one CSV row (a header and one row per file), for spreadsheets and stats.

The columns are the catalogue's headline metrics (:data:`consult_audio.catalogue.HEADLINE`),
documented in ``docs/csv-columns.md``; definitions follow the coding manual. Shares and
fractions are 0-1, times are seconds, an empty cell means the value could not be measured.
"""

from __future__ import annotations

import csv
from pathlib import Path

from consult_audio.catalogue import HEADLINE, headline_values
from consult_audio.model import AnalysisResult

__all__ = ["HEADLINE_COLUMNS", "headline_row", "write_metrics_csv"]

# (name, description) of each column, in order: the catalogue's, named for the CSV.
HEADLINE_COLUMNS: list[tuple[str, str]] = [(c.name, c.description) for c in HEADLINE]
headline_row = headline_values  # one row: the catalogue's headline values of a result


def write_metrics_csv(result: AnalysisResult, path: Path | str) -> None:
    """Write a header and one row of headline metrics to ``path`` (UTF-8, empty cell for None)."""
    with Path(path).open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[c.name for c in HEADLINE])
        writer.writeheader()
        writer.writerow(headline_values(result))
