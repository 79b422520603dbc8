"""One exception root for the package. The CLI turns these into messages and exit code 2."""

from __future__ import annotations


class ConsultAudioError(Exception):
    """Root of every error consult-audio raises on purpose."""


class InputError(ConsultAudioError):
    """An input file is missing, unreadable, of an unknown format or holds impossible content.

    The message names the file and says what to do.
    """

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class RulesError(ConsultAudioError):
    """A rules file is malformed."""


class SchemaError(ConsultAudioError):
    """An analysis JSON of another schema version or with missing fields."""
