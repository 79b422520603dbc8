"""Renderers: the analysis result as a Markdown report, a self-contained HTML report and a CSV
row of headline metrics; many results as a cohort report (HTML and Markdown).

They read only the :class:`~consult_audio.model.AnalysisResult`, so a saved analysis can be
re-rendered without analysing again.
"""

from consult_audio.render.cohort import render_cohort_html, render_cohort_markdown
from consult_audio.render.csv import HEADLINE_COLUMNS, headline_row, write_metrics_csv
from consult_audio.render.html import ReportAudio, audio_from_file, render_html
from consult_audio.render.markdown import render_markdown

__all__ = ["HEADLINE_COLUMNS", "ReportAudio", "audio_from_file", "headline_row",
           "render_cohort_html", "render_cohort_markdown", "render_html", "render_markdown",
           "write_metrics_csv"]
