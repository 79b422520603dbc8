"""Figures the README quotes are the ones measured in docs/."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _text(name: str) -> str:
    return " ".join((REPO / name).read_text(encoding="utf-8").split())  # lines joined


def test_readme_speed_is_the_real_time_factor_measured() -> None:
    readme, validation = _text("README.md"), _text("docs/validation.md")
    quoted = re.search(r"(\d+\.\d+)x real time over the (\d+) PriMock57 renderings "
                       r"\((\d+\.\d+-\d+\.\d+)x per file", readme)
    assert quoted is not None, "the README gives the measured real-time factor"
    factor, files, per_file = quoted.groups()
    assert f"{factor}x over the {files} renderings ({per_file}x per file)" in validation
    # The renderings are synthetic voices: the README gives real speech's figure too.
    real = re.search(r"real recorded speech \(the four OSCE recordings, ([\d.]+) minutes of "
                     r"human voices\) the pipeline ran at (\d+\.\d+)x real time "
                     r".*?\((\d+\.\d+-\d+\.\d+)x per file", readme)
    assert real is not None and "synthetic (espeak-ng) renderings" in readme
    minutes, factor, per_file = real.groups()
    assert f"**{factor}x** ({per_file}x per file)" in validation
    assert f"{minutes} minutes in all" in validation
