"""Self-contained HTML pages from the templates folder: Jinja2 with autoescaping on, the CSS and
script inlined, and a Content-Security-Policy under which the page loads nothing from anywhere.
Shared by the consultation report and the cohort report.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

from consult_audio.feedback import clock
from consult_audio.render.common import reference_value, short_citation

__all__ = ["asset", "csp", "render_template"]


@cache
def _environment() -> Any:
    # Imported here so that the Markdown and CSV renderers do not pay for Jinja2.
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("consult_audio.render", "templates"),
        autoescape=True,  # every {{ value }} is HTML-escaped; assets go in as Markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["clock"] = clock
    env.filters["cite"] = short_citation
    env.filters["refvalue"] = reference_value
    env.filters["sha"] = lambda s: str(s)[:12]
    return env


def asset(name: str) -> str:
    """A CSS or JavaScript file of the templates folder, as text."""
    return resources.files("consult_audio.render").joinpath("templates", name).read_text(
        encoding="utf-8")


def csp(script: str, *, media: str = "'none'") -> str:
    """A Content-Security-Policy that loads nothing from anywhere: only the page's own inline
    script (pinned by its SHA-256), inline styles, ``data:`` images and the given media source."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    scripts = f"'sha256-{digest}'" if script else "'none'"
    return (f"default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; "
            f"img-src data:; media-src {media}; base-uri 'none'; form-action 'none'")


def render_template(name: str, context: Mapping[str, Any], *, css: Sequence[str],
                    script: str = "", media: str = "'none'") -> str:
    """Render ``templates/<name>`` with the CSS files and script inlined under a strict CSP."""
    from markupsafe import Markup

    env = _environment()
    style = "\n".join(asset(c) for c in css)
    return str(env.get_template(name).render(
        **context, css=Markup(style), script=Markup(script),
        csp=Markup(csp(script, media=media))))  # built here, no outside text
