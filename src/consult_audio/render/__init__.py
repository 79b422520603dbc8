"""Renderers: the analysis result as a Markdown report and as a CSV row of headline metrics.

They read only the :class:`~consult_audio.model.AnalysisResult`, so a saved analysis can be
re-rendered without analysing again.
"""

from consult_audio.render.csv import HEADLINE_COLUMNS, headline_row, write_metrics_csv
from consult_audio.render.markdown import render_markdown

__all__ = ["HEADLINE_COLUMNS", "headline_row", "render_markdown", "write_metrics_csv"]
