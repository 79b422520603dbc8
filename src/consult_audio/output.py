"""Safe writing of output files: all or nothing, never a half-written file.

Every file is first written in full to a temporary file in its own directory (owner-only
permissions, ``0o600``: the outputs quote what patients said), flushed to disk, and only then moved
over its final name with :func:`os.replace`, which is atomic on one file system. A reader of the
final name sees the old file or the new one, never a mix; a failure leaves the old file as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = ["text_from_writer", "write_all", "write_atomic"]

FILE_MODE = 0o600  # owner read/write only


def write_atomic(path: Path | str, text: str) -> None:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically."""
    write_all({Path(path): text})


def write_all(files: Mapping[Path, str]) -> None:
    """Write several files (path -> UTF-8 text, newlines as given) all or nothing.

    Every temporary file is written and synced before the first one is moved into place, so an error
    while writing (a full disk, a missing or read-only directory) leaves none of the new files and
    every earlier file untouched. Raises the :class:`OSError` met; its temporary files are removed.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in files.items():
            staged.append((_stage(Path(path), text), Path(path)))
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    for directory in {path.parent for _, path in staged}:
        _sync_directory(directory)


def _stage(path: Path, text: str) -> str:
    """Write ``text`` to a new temporary file beside ``path``; return the temporary file's name."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)  # mkstemp already uses 0o600; say so whatever the platform
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
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
