"""Output files: how they are named, and safe writing, all or nothing, never a half-written file.

Every file is first written in full to a temporary file in its own directory (owner-only
permissions, ``0o600``: the outputs quote what patients said), flushed to disk, and only then moved
over its final name with :func:`os.replace`, which is atomic on one file system. A reader of the
final name sees the old file or the new one, never a mix; a failure leaves the old file as it was.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from consult_audio.errors import ConsultAudioError

__all__ = ["OUTPUT_SUFFIXES", "OutputError", "UnsafeIdError", "is_safe_id", "os_error_message",
           "require_safe_id", "text_from_writer", "write_all", "write_atomic", "write_outputs"]

log = logging.getLogger(__name__)

FILE_MODE = 0o600  # owner read/write only
# output format -> file name suffix after the consultation id
OUTPUT_SUFFIXES = {"json": ".analysis.json", "md": ".report.md", "csv": ".metrics.csv",
                   "html": ".report.html"}
# letters, digits, "." "_" "-"; not starting with "." (no hidden files, no "." or "..")
_SAFE_ID_RE = re.compile(r"(?!\.)[\w.-]+")


class OutputError(ConsultAudioError):
    """The outputs could not be written (the message names the folder and why)."""


class UnsafeIdError(ConsultAudioError):
    """A consultation id that cannot name output files."""


def is_safe_id(value: str) -> bool:
    """True when ``value`` can name output files: letters, digits, ``._-``, no leading ``.``."""
    return bool(_SAFE_ID_RE.fullmatch(value))


def require_safe_id(consultation_id: str, *, hint: str) -> None:
    """Raise :class:`UnsafeIdError` (ending in ``hint``, what to do) for an unsafe id."""
    if not is_safe_id(consultation_id):
        raise UnsafeIdError(f"consultation id {consultation_id!r} is not a safe file name "
                            f"(letters, digits, '.', '_' and '-', not starting with '.'); {hint}")


def os_error_message(err: OSError) -> str:
    """``FILE: what went wrong`` (the file when the error names one)."""
    where = f"{err.filename}: " if err.filename else ""
    return f"{where}{err.strerror or err}"


def write_outputs(files: Mapping[Path, str], output_dir: Path) -> list[Path]:
    """Write ``files`` (all in ``output_dir``, created if missing) all or nothing; the folders
    made for them are removed again when writing fails. Raises :class:`OutputError`."""
    missing = [d for d in (output_dir, *output_dir.parents) if not d.exists()]
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        write_all(files)
    except BaseException as err:
        for directory in missing:  # the folders this run made, deepest first
            with contextlib.suppress(OSError):  # not empty, or gone: leave it
                directory.rmdir()
        if isinstance(err, OSError):
            raise OutputError(f"cannot write the outputs in {output_dir}: "
                              f"{os_error_message(err)}") from err
        raise
    for path in files:
        log.info("wrote %s", path)
    return list(files)


def write_atomic(path: Path | str, content: str | bytes) -> None:
    """Write ``content`` (text as UTF-8, newlines as given; or bytes) to ``path`` atomically."""
    write_all({Path(path): content})


def write_all(files: Mapping[Path, str | bytes]) -> None:
    """Write several files (path -> UTF-8 text, newlines as given, or bytes) all or nothing.

    Every temporary file is written and synced before the first one is moved into place, so an error
    while writing (a full disk, a missing or read-only directory) leaves none of the new files and
    every earlier file untouched. Raises the :class:`OSError` met; its temporary files are removed.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for path, content in files.items():
            staged.append((_stage(Path(path), content), Path(path)))
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    for directory in {path.parent for _, path in staged}:
        _sync_directory(directory)


def _stage(path: Path, content: str | bytes) -> str:
    """Write ``content`` to a new temporary file beside ``path``; return the temporary file's
    name."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    try:
        os.fchmod(fd, FILE_MODE)  # mkstemp already uses 0o600; say so whatever the platform
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def _sync_directory(directory: Path) -> None:
    # Makes the renames durable; some platforms and file systems cannot open a directory.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def text_from_writer(write: Callable[[Path], object], *, name: str = "output") -> str:
    """The text a renderer that writes to a path produces, without touching the output directory.

    ``write(path)`` runs on a scratch file in a private temporary directory, which is removed after.
    The text is read back as written (UTF-8, newlines untranslated), ready for :func:`write_all`.
    """
    with tempfile.TemporaryDirectory(prefix="consult-audio-") as scratch:
        path = Path(scratch) / name
        write(path)
        with path.open(encoding="utf-8", newline="") as f:
            return f.read()
