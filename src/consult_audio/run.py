"""One consultation from its files to an :class:`~consult_audio.model.AnalysisResult`: the
library's entry point, called by ``consult-audio analyse``, by each batch worker and by each Ray
actor.

:func:`run_consultation` reads a recording (through the :class:`RecordingReader` it is given) or
the transcripts, hashes the inputs (unless the caller already has), checks that every speaker
given a role is there and that the id can name files, analyses, records where the result came
from (:class:`Provenance`) and, on request, removes personal identifiers from what is kept. It
shows no progress itself: a caller that wants to show the steps passes ``steps``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from consult_audio.errors import ConsultAudioError
from consult_audio.inputs import InputFile, hash_inputs, require_known_speakers
from consult_audio.model import AnalysisResult, Consultation, Role
from consult_audio.output import require_safe_id
from consult_audio.rules import Rules

__all__ = ["AnalysisRequest", "Provenance", "RecordingReader", "Steps", "no_steps", "optional",
           "pipeline_reader", "run_consultation"]

TRANSCRIPT = "transcript"
AUDIO = "audio"


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where an analysis came from, as the caller knows it; :func:`~consult_audio.analysis.
    analyse` adds the versions, the rules and the time.

    ``speech`` is what the audio pipeline reports about a recording (models with their hashes,
    its settings, the audio, timings); ``metadata`` the user's (``--meta``, manifest columns),
    left out when ``None`` or empty outside a batch; ``batch_key`` the key a batch stored the
    result under.
    """

    inputs: tuple[InputFile, ...]
    settings: Mapping[str, Any]
    speech: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] | None = None
    batch_key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``provenance`` of the analysis JSON, keys in the order its files have always had
        (a batch result lists the speech models first, and always has ``metadata``)."""
        inputs = [i.to_dict() for i in self.inputs]
        settings = dict(self.settings)
        if self.batch_key is not None:
            return {**self.speech, "inputs": inputs, "settings": settings,
                    "metadata": dict(self.metadata or {}), "batch": {"key": self.batch_key}}
        out: dict[str, Any] = {"inputs": inputs, "settings": settings, **self.speech}
        if self.metadata:
            out["metadata"] = dict(self.metadata)
        return out


@dataclass(frozen=True, slots=True)
class AnalysisRequest:
    """One consultation to analyse, and what to record about it.

    ``paths`` are one recording (``kind`` ``audio``) or its transcripts, one per speaker or one
    for all (``kind`` ``transcript``). ``roles`` maps speaker labels to roles; ``required``, the
    labels that must be speakers of the consultation (``None``: every label of ``roles``).
    ``language`` is the language spoken where known beforehand (a manifest's column).
    ``inputs`` are the files' records when the caller has hashed them already (``None``: hashed
    here). ``settings``, ``metadata`` and ``batch_key`` go into the :class:`Provenance`;
    ``redact`` removes personal identifiers from the result after the metrics are computed.
    """

    paths: tuple[Path, ...]
    kind: str = TRANSCRIPT
    consultation_id: str | None = None
    roles: Mapping[str, Role] = field(default_factory=dict)
    required: tuple[str, ...] | None = None
    language: str | None = None
    inputs: tuple[InputFile, ...] | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] | None = None
    batch_key: str | None = None
    redact: bool = False


class RecordingReader(Protocol):
    """Reads a recording: its consultation, and what the audio pipeline reports about it."""

    def __call__(self, path: Path, *, consultation_id: str | None, roles: Mapping[str, Role],
                 language: str | None) -> tuple[Consultation, Mapping[str, Any]]: ...


Steps = Callable[[str], AbstractContextManager[None]]


@contextlib.contextmanager
def no_steps(message: str) -> Iterator[None]:
    """The default ``steps``: shows nothing."""
    yield


def pipeline_reader(pipeline: Any) -> RecordingReader:
    """A :class:`RecordingReader` over an ``consult_audio.audio.pipeline.AudioPipeline`` (or
    anything with its ``run`` method, whose result has a ``consultation`` and a
    ``provenance()``)."""

    def read(path: Path, *, consultation_id: str | None, roles: Mapping[str, Role],
             language: str | None) -> tuple[Consultation, Mapping[str, Any]]:
        run = pipeline.run(path, consultation_id=consultation_id, roles=roles,
                           language=language)
        return run.consultation, run.provenance()

    return read


def run_consultation(
    request: AnalysisRequest,
    *,
    rules: Rules | None = None,
    recording: RecordingReader | None = None,
    steps: Steps = no_steps,
) -> AnalysisResult:
    """Read, check and analyse one consultation (see the module docstring).

    ``rules`` ``None`` means the packaged rules; ``recording`` reads a recording (required when
    ``request.kind`` is ``audio``). ``steps(message)`` is entered around each step worth
    showing. Raises :class:`~consult_audio.errors.ConsultAudioError` subclasses: an
    :class:`~consult_audio.errors.InputError` for an unreadable input,
    :class:`~consult_audio.inputs.UnknownSpeakerError` for a role given to no speaker,
    :class:`~consult_audio.output.UnsafeIdError` for an id that cannot name files.
    """
    from consult_audio.analysis import analyse

    consultation, inputs, speech = _read(request, recording, steps)
    roles = request.roles if request.required is None else request.required
    require_known_speakers(roles, consultation, source=request.paths[0])
    require_safe_id(consultation.id, hint="give one with --id")
    if request.language and not consultation.language:
        consultation = dataclasses.replace(consultation, language=request.language)
    provenance = Provenance(inputs, request.settings, speech, request.metadata,
                            request.batch_key)
    with steps(f"Analysing {consultation.id}"):
        result = analyse(consultation, rules=rules, provenance=provenance.to_dict())
    if request.redact:
        # Metrics were computed above, on the words as said; only the stored text changes.
        redact_result = optional("consult_audio.privacy.redact", "redact_result", "redact")
        with steps("Removing personal identifiers"):
            result = redact_result(result)
    return result


def _read(request: AnalysisRequest, recording: RecordingReader | None,
          steps: Steps) -> tuple[Consultation, tuple[InputFile, ...], Mapping[str, Any]]:
    """The consultation, the inputs' records and what the audio pipeline reported."""
    paths = request.paths
    if request.kind == AUDIO:
        if recording is None:
            raise ConsultAudioError("a recording needs the audio pipeline; pass a reader")
        # Hashed first: a recording that cannot be read fails before any model loads.
        inputs = request.inputs if request.inputs is not None else hash_inputs(paths)
        consultation, speech = recording(paths[0], consultation_id=request.consultation_id,
                                         roles=request.roles, language=request.language)
        return consultation, inputs, speech
    from consult_audio.readers import load_consultation

    with steps(f"Reading {len(paths)} transcript{'' if len(paths) == 1 else 's'}"):
        consultation = load_consultation(paths, consultation_id=request.consultation_id,
                                         roles=request.roles)
        inputs = request.inputs if request.inputs is not None else hash_inputs(paths)
    return consultation, inputs, {}


def optional(module: str, name: str, extra: str) -> Any:
    """``module.name`` from an optional part of consult-audio, imported when first needed (the
    audio pipeline imports torch); a clear error when that part is not installed."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as err:
        raise ConsultAudioError(f"{module}.{name} is not available ({err}); install it with "
                                f"pip install 'consult-audio[{extra}]'") from err
