"""Opening report pages in Debian's Chromium through Playwright, recording what they do.

The tests that use this skip, with the reason, when the Playwright package or a Chromium
executable is missing (``scripts/setup.sh`` installs both). Set ``CONSULT_AUDIO_CHROMIUM`` to use
another Chromium. ``playwright install`` is never needed: the system browser is used.
"""

from __future__ import annotations

import os
import shutil
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

# Flags that keep Chromium off the network (no update, sync or field-trial requests), so that
# every request the tests see comes from the page itself.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str | None:
    override = os.environ.get("CONSULT_AUDIO_CHROMIUM")
    if override:
        return override
    for candidate in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[Any]:
    """A headless Chromium, shared by the tests of a module (one Playwright at a time)."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed; run "
                                      "scripts/setup.sh (pip install -e '.[dev]')")
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium executable (/usr/bin/chromium); install the Debian package "
                    "chromium (scripts/setup.sh does) or set CONSULT_AUDIO_CHROMIUM")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@dataclass
class PageLog:
    """What a page did: console messages by type, uncaught errors, requests, dialogs."""

    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    @property
    def console_errors(self) -> list[str]:
        return [text for kind, text in self.console if kind == "error"]

    def foreign_requests(self, page_url: str, *allowed: str) -> list[str]:
        """Requests for anything but the page itself, ``data:`` URIs and ``allowed`` URLs."""
        page = page_url.split("#", 1)[0]
        return [url for url in self.requests
                if url != page and not url.startswith("data:") and url not in allowed]


def open_page(browser: Any, path: Path, *, viewport: tuple[int, int] = (1280, 900)
              ) -> tuple[Any, PageLog]:
    """A new page showing the file at ``path``, loaded, with its :class:`PageLog`."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    log = PageLog()
    page.on("console", lambda m: log.console.append((m.type, m.text)))
    page.on("pageerror", lambda e: log.errors.append(str(e)))
    page.on("request", lambda r: log.requests.append(r.url))

    def on_dialog(dialog: Any) -> None:
        log.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(path.resolve().as_uri(), wait_until="load")
    return page, log


def write_wav(path: Path, seconds: float, *, rate: int = 8000) -> Path:
    """A quiet 440 Hz tone, 16-bit mono, ``seconds`` long: enough for a player to seek in."""
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.05 * 32767 * np.sin(2 * np.pi * 440.0 * t)).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return path
