"""SHA-256 of files, read in chunks: the inputs of an analysis (recorded in its provenance and in
the batch keys) and the files of the speech models (checked before they load).

Imports nothing of the package, so that every layer can use it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

__all__ = ["HASH_CHUNK", "sha256_of"]

HASH_CHUNK = 1 << 20  # bytes read at a time


def sha256_of(paths: Iterable[Path]) -> str:
    """Hex SHA-256 of the bytes of ``paths``, one after another (one file, or the parts of a
    file stored in pieces). Raises the :class:`OSError` of a file that cannot be read."""
    digest = hashlib.sha256()
    for path in paths:
        with Path(path).open("rb") as f:
            while chunk := f.read(HASH_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()
