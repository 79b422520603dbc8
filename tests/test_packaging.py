"""The package metadata in pyproject.toml, read as TOML (no build)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
# The first setuptools that reads project.license as an SPDX expression (PEP 639).
SPDX_LICENSE_SETUPTOOLS = 77


def test_license_is_an_spdx_expression_that_the_build_backend_reads() -> None:
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    # A table ({text = ...}) is deprecated by setuptools >= 77 and warns at every install.
    assert data["project"]["license"] == "MIT"
    (requirement,) = [r for r in data["build-system"]["requires"] if r.startswith("setuptools")]
    minimum = re.fullmatch(r"setuptools\s*>=\s*(\d+)(\.\d+)*", requirement)
    assert minimum is not None, requirement
    assert int(minimum.group(1)) >= SPDX_LICENSE_SETUPTOOLS
