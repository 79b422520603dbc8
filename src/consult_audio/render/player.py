"""The recording that an HTML report's player plays: embedded in the page as a ``data:`` URI, or a
link to a local file beside the report (never a URL: the page makes no request to any host).
"""

from __future__ import annotations

import base64
import logging
import os
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from consult_audio.errors import InputError

__all__ = ["AUDIO_TYPES", "ReportAudio", "audio_from_file"]

log = logging.getLogger(__name__)

# Audio file suffix -> MIME type for the player. Browsers play WAV, MP3, Ogg/Opus, FLAC and AAC/MP4.
AUDIO_TYPES: Mapping[str, str] = {
    ".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".oga": "audio/ogg",
    ".opus": "audio/ogg", ".flac": "audio/flac", ".m4a": "audio/mp4", ".mp4": "audio/mp4",
    ".aac": "audio/aac", ".webm": "audio/webm",
}
LARGE_EMBED_BYTES = 50 * 1024 * 1024  # bytes; above this, embedding makes a slow page: warn
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True, slots=True)
class ReportAudio:
    """The recording the report's player plays: ``src`` is a ``data:`` URI (embedded) or a
    relative or absolute path (a link to a file beside the report)."""

    src: str
    embedded: bool
    mime: str | None = None

    @classmethod
    def embed(cls, data: bytes, mime: str) -> ReportAudio:
        """The recording inside the page, as a base64 ``data:`` URI."""
        return cls(f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}", True, mime)

    @classmethod
    def link(cls, href: str, mime: str | None = None) -> ReportAudio:
        """A link to a local file; ``href`` is a URL path (percent-encoded), never a URL with a
        scheme, so the page still makes no request to another host."""
        if _URL_SCHEME.match(href) or href.startswith("//"):
            raise ValueError(f"{href!r} is a URL; the report links only to local files")
        return cls(href, False, mime)


def audio_from_file(path: Path, *, embed: bool, report_dir: Path | None = None) -> ReportAudio:
    """A :class:`ReportAudio` for the recording at ``path``.

    ``embed`` puts the bytes in the page (opt-in: the recording is health data); otherwise the
    page links to the file by a path relative to ``report_dir`` (the folder the report is written
    to), so the two can be moved together. Raises :class:`InputError` for a URL, an unknown audio
    type, or (when embedding) a file that cannot be read.
    """
    text = str(path)
    if _URL_SCHEME.match(text) and not re.match(r"^[A-Za-z]:[\\/]", text):
        raise InputError(path, "give the path of a local audio file, not a URL: the report "
                               "makes no requests to other hosts")
    mime = AUDIO_TYPES.get(path.suffix.lower())
    if mime is None:
        raise InputError(path, f"not an audio file the report can play; use one of "
                               f"{', '.join(sorted(AUDIO_TYPES))}")
    if embed:
        try:
            data = path.read_bytes()
        except FileNotFoundError as err:
            raise InputError(path, "file not found; check the path") from err
        except OSError as err:
            raise InputError(path, f"cannot read the file: {err.strerror or err}") from err
        if len(data) > LARGE_EMBED_BYTES:
            log.warning("%s is %.0f MB; the report will be slow to open. A compressed copy "
                        "(Opus, MP3) or --audio-href keeps it small.", path, len(data) / 1e6)
        return ReportAudio.embed(data, mime)
    if not path.exists():
        log.warning("%s does not exist; the report's player will find nothing there", path)
    target = path.resolve() if report_dir is not None else path
    rel = os.path.relpath(target, report_dir.resolve()) if report_dir is not None else str(path)
    return ReportAudio.link(urllib.parse.quote(Path(rel).as_posix()), mime)
