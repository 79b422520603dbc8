"""The work of one batch worker: read (or transcribe) one consultation, analyse it, and turn the
result into database rows.

A :class:`Worker` is built once per worker process (or Ray actor) and processes many tasks: the
rules are loaded once, and the audio pipeline, with its models, is built on the first audio task
and kept. Torch and the models are imported only then, never when this module is imported.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consult_audio.batch.database import StoredResult
from consult_audio.errors import ConsultAudioError
from consult_audio.model import AnalysisResult, Consultation, Role
from consult_audio.roles import parse_role

__all__ = ["Outcome", "Task", "Worker", "WorkerSettings", "stored_result"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """What every worker needs, sent once when it starts (picklable).

    ``rules_path`` ``None`` means the packaged rules; ``audio_options`` is an
    ``consult_audio.audio.pipeline.AudioOptions`` (``None``: its defaults); ``redact`` removes
    personal identifiers from the stored result after the metrics are computed.
    """

    rules_path: str | None = None
    redact: bool = False
    audio_options: Any = None


@dataclass(frozen=True, slots=True)
class Task:
    """One consultation to process (plain, picklable data)."""

    id: str
    key: str
    kind: str  # "transcript" or "audio"
    paths: tuple[str, ...]
    inputs: tuple[Mapping[str, str], ...]  # {"name", "sha256"} of each input file
    roles: Mapping[str, str] = field(default_factory=dict)
    row_roles: tuple[str, ...] = ()  # speakers the manifest row names: they must exist
    language: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a worker returns for a task: rows to store, or an error message."""

    id: str
    stored: StoredResult | None
    error: str | None
    seconds: float


class Worker:
    """Processes tasks one after another, keeping the rules and the audio models loaded."""

    def __init__(self, settings: WorkerSettings) -> None:
        from consult_audio.rules import load_rules

        self.settings = settings
        self.rules = load_rules(settings.rules_path)
        self._pipeline: Any = None

    def process(self, task: Task) -> Outcome:
        """Never raises for a bad consultation: the error comes back in the outcome."""
        started = time.perf_counter()
        try:
            stored = stored_result(self.analyse(task))
        except ConsultAudioError as err:
            return Outcome(task.id, None, str(err), time.perf_counter() - started)
        except Exception as err:  # a bug or a library failure on one file must not stop a batch
            log.debug("%s failed", task.id, exc_info=True)
            return Outcome(task.id, None, f"unexpected error: {type(err).__name__}: {err}",
                           time.perf_counter() - started)
        return Outcome(task.id, stored, None, time.perf_counter() - started)

    def analyse(self, task: Task) -> AnalysisResult:
        from consult_audio.inputs import InputFile
        from consult_audio.run import AUDIO, AnalysisRequest, run_consultation

        request = AnalysisRequest(
            paths=tuple(Path(p) for p in task.paths), kind=task.kind, consultation_id=task.id,
            roles={name: parse_role(role) for name, role in task.roles.items()},
            required=task.row_roles, language=task.language or None,
            inputs=tuple(InputFile(i["name"], i["sha256"]) for i in task.inputs),
            settings=task.settings, metadata=task.metadata, batch_key=task.key,
            redact=self.settings.redact)
        recording = self.read_recording if task.kind == AUDIO else None
        return run_consultation(request, rules=self.rules, recording=recording)

    def read_recording(self, path: Path, *, consultation_id: str | None,
                       roles: Mapping[str, Role],
                       language: str | None) -> tuple[Consultation, Mapping[str, Any]]:
        """A :class:`~consult_audio.run.RecordingReader` over this worker's audio pipeline."""
        from consult_audio.run import pipeline_reader

        return pipeline_reader(self.pipeline())(path, consultation_id=consultation_id,
                                                roles=roles, language=language)

    def pipeline(self) -> Any:
        """The audio pipeline, built (and its models loaded) on first use."""
        from consult_audio.run import optional

        if self._pipeline is None:
            pipeline_class = optional("consult_audio.audio.pipeline", "AudioPipeline", "audio")
            options = self.settings.audio_options
            if options is None:
                options = optional("consult_audio.audio.pipeline", "AudioOptions", "audio")()
            # the rules of the batch: they say which words are acknowledgements in the audio too
            self._pipeline = pipeline_class(options, rules=self.rules, progress=None)
        return self._pipeline


def stored_result(result: AnalysisResult) -> StoredResult:
    """The database rows of one analysis (see :class:`StoredResult`): the rows of the exported
    tables and the catalogue's headline metrics."""
    from consult_audio.catalogue import headline_values
    from consult_audio.export.tables import event_rows, utterance_rows

    return StoredResult(
        id=result.consultation.id,
        duration_s=result.consultation.duration,
        analysed_at=str(result.provenance.get("analysed_at", "")),
        analysis=json.dumps(result.to_dict(), ensure_ascii=False),
        utterances=utterance_rows(result),
        events=event_rows(result),
        metrics=list(headline_values(result).items()),
    )


# --- process-pool entry points -------------------------------------------------------------------

_WORKER: Worker | None = None


def init_process(settings: WorkerSettings) -> None:
    """Process-pool initializer: build this process's :class:`Worker` once."""
    global _WORKER
    _WORKER = Worker(settings)


def process_in_pool(task: Task) -> Outcome:
    """Process-pool task: run ``task`` on this process's worker."""
    if _WORKER is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("worker process not initialised")
    return _WORKER.process(task)


def process_all(tasks: Sequence[Task], settings: WorkerSettings) -> list[Outcome]:
    """Process ``tasks`` in this process, one worker for all (handy in tests)."""
    worker = Worker(settings)
    return [worker.process(task) for task in tasks]
