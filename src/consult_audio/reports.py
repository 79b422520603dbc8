"""The outputs of one analysis rendered in memory (JSON, Markdown, CSV, HTML), and a saved analysis
read back, so that ``consult-audio report`` renders again what ``analyse`` wrote."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from consult_audio.errors import InputError, SchemaError
from consult_audio.model import AnalysisResult
from consult_audio.output import text_from_writer

if TYPE_CHECKING:
    from consult_audio.render.html import ReportAudio

__all__ = ["load_analysis", "render_outputs"]


def render_outputs(
    result: AnalysisResult, formats: Sequence[str], *, audio: ReportAudio | None = None
) -> dict[str, str]:
    """Every requested output as text (format -> text, in the order asked), rendered in memory.
    ``audio`` adds a player to the HTML report."""
    texts: dict[str, str] = {}
    if "json" in formats:
        texts["json"] = json.dumps(result.to_dict(), indent=2) + "\n"
    if "html" in formats:
        from consult_audio.render.html import render_html

        texts["html"] = render_html(result, audio=audio)
    if "md" in formats or "csv" in formats:
        # Imported here so that --format json works without the renderers' dependencies.
        from consult_audio import render

        if "md" in formats:
            texts["md"] = render.render_markdown(result)
        if "csv" in formats:
            texts["csv"] = text_from_writer(
                lambda path: render.write_metrics_csv(result, path), name="metrics.csv")
    return {fmt: texts[fmt] for fmt in formats}


def load_analysis(path: Path) -> AnalysisResult:
    """A saved ``*.analysis.json``; :class:`SchemaError` when it is not one."""
    from consult_audio.readers.base import MAX_JSON_DEPTH, check_size
    from consult_audio.readers.jsonfile import json_depth

    try:
        check_size(path)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise InputError(path, "file not found; check the path") from err
    except UnicodeDecodeError as err:
        raise SchemaError(f"not a consult-audio analysis v1 file: {path}: not UTF-8 text") from err
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("the file does not hold a JSON object")
        if json_depth(data) > MAX_JSON_DEPTH:
            raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep")
        return AnalysisResult.from_dict(data)
    except RecursionError as err:
        raise SchemaError(f"not a consult-audio analysis v1 file: {path}: "
                          "JSON nested too deeply to read") from err
    except (ValueError, TypeError, KeyError) as err:  # JSONDecodeError is a ValueError
        raise SchemaError(f"not a consult-audio analysis v1 file: {path}: {err}") from err
