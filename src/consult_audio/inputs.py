"""What one consultation is read from: its files (with their SHA-256), the speaker roles the user
gave as ``NAME=ROLE``, and the check that every speaker so named is in what was read.

The command line, the batch manifest and the batch workers all take these from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from consult_audio.errors import InputError
from consult_audio.hashing import sha256_of
from consult_audio.model import Consultation, Role
from consult_audio.roles import parse_role

__all__ = ["InputFile", "NotNameRole", "UnknownSpeakerError", "file_sha256", "hash_inputs",
           "parse_role_assignment", "require_known_speakers", "unreadable"]


def unreadable(path: Path, err: OSError) -> InputError:
    """The error for an input file that exists in name but cannot be read."""
    return InputError(path, f"cannot read the file: {err.strerror or err}")


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of an input file; :class:`InputError` when it cannot be read."""
    try:
        return sha256_of([path])
    except OSError as err:
        raise unreadable(path, err) from err


@dataclass(frozen=True, slots=True)
class InputFile:
    """One input file as the provenance records it: its name (no folder) and SHA-256."""

    name: str
    sha256: str

    @classmethod
    def of(cls, path: Path, sha256: str | None = None) -> InputFile:
        """``path``'s record, hashing the file unless its ``sha256`` is known."""
        return cls(path.name, sha256 if sha256 is not None else file_sha256(path))

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "sha256": self.sha256}


def hash_inputs(paths: Iterable[Path]) -> tuple[InputFile, ...]:
    """The record of each input file, in order."""
    return tuple(InputFile.of(Path(p)) for p in paths)


class NotNameRole(ValueError):
    """A role assignment that is not ``NAME=ROLE``."""


def parse_role_assignment(text: str) -> tuple[str, Role]:
    """``"Dr Lee=clinician"`` -> ``("Dr Lee", Role.CLINICIAN)``; the last ``=`` splits, so a
    name may hold one. Raises :class:`NotNameRole` without a name and an ``=``, and
    :class:`ValueError` for a role that is not clinician, patient or other."""
    name, sep, role = text.rpartition("=")
    if not sep or not name.strip():
        raise NotNameRole(text)
    return name.strip(), parse_role(role)


class UnknownSpeakerError(InputError):
    """Roles were given for speakers that are not in the consultation read."""

    def __init__(self, path: object, unknown: Sequence[str], speakers: Sequence[str]) -> None:
        self.unknown = tuple(unknown)
        self.speakers = tuple(speakers)
        super().__init__(path, f"roles name {', '.join(map(repr, self.unknown))}, but the "
                               f"speakers are {', '.join(map(repr, self.speakers))}")


def require_known_speakers(names: Iterable[str], consultation: Consultation, *,
                           source: object) -> None:
    """Raise :class:`UnknownSpeakerError` (naming ``source``) when a speaker label in
    ``names`` is not one of the consultation's speakers (case ignored)."""
    # A misspelt name would otherwise be ignored silently and the roles inferred instead.
    labels = {s.label.lower() for s in consultation.speakers}
    unknown = [name for name in names if name.lower() not in labels]
    if unknown:
        raise UnknownSpeakerError(source, unknown, [s.label for s in consultation.speakers])
