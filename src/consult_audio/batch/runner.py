"""Run a batch: decide what needs doing, run it on workers, store each result as it arrives.

The coordinator (this module, in the ``consult-audio batch`` process) hashes the inputs, skips every
consultation whose key (inputs + settings + versions) already has a result, hands the rest to an
engine (local worker processes, or Ray) and writes each outcome to the run database in its own
transaction. It is the only writer, so the database never sees two writers at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consult_audio.batch.database import RunDatabase
from consult_audio.batch.manifest import BatchItem
from consult_audio.batch.worker import (
    Outcome,
    Task,
    Worker,
    WorkerSettings,
    init_process,
    process_in_pool,
)
from consult_audio.errors import ConsultAudioError, InputError
from consult_audio.inputs import file_sha256, unreadable
from consult_audio.model import Role, to_plain

__all__ = ["BatchOptions", "BatchSummary", "Counts", "Problem", "run_batch"]

log = logging.getLogger(__name__)

IN_FLIGHT_PER_WORKER = 4  # tasks queued per worker: keeps workers busy, bounds memory


@dataclass(frozen=True)
class BatchOptions:
    """Settings of one batch run.

    ``workers`` ``None``: one per CPU core (local) or per CPU of the cluster (Ray). ``roles``
    applies to every consultation that has those speakers (a manifest's ``roles`` cell overrides
    it per speaker, and a speaker it names must exist).
    ``address`` is the Ray cluster (``None``: start a local Ray instance).
    """

    rules_path: Path | None = None
    roles: Mapping[str, Role] = field(default_factory=dict)
    redact: bool = False
    retry_failed: bool = False
    engine: str = "local"
    workers: int | None = None
    address: str | None = None
    audio_options: Any = None


@dataclass
class Counts:
    """Progress of a run: consultations done (analysed now), skipped (already done), failed,
    refused (no consent), of ``total``."""

    total: int = 0
    done: int = 0
    skipped: int = 0
    failed: int = 0
    refused: int = 0

    @property
    def finished(self) -> int:
        return self.done + self.skipped + self.failed + self.refused

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class Problem:
    """A consultation that did not succeed: ``status`` is ``failed`` or ``refused``."""

    id: str
    status: str
    message: str
    earlier: bool = False  # failed in an earlier run with the same key, not tried again


@dataclass(frozen=True)
class BatchSummary:
    run_id: int
    counts: Counts
    problems: tuple[Problem, ...]
    seconds: float
    metadata_updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


Progress = Callable[[Counts, str | None], None]  # counts so far, id just finished (or None)


def run_batch(
    items: Sequence[BatchItem],
    run_dir: Path,
    options: BatchOptions,
    *,
    source: str = "",
    progress: Progress | None = None,
) -> BatchSummary:
    """Process ``items`` into ``run_dir`` (created if missing) and return what happened.

    Raises :class:`~consult_audio.errors.ConsultAudioError` only for problems with the whole run
    (a bad rules file, a RUN_DIR of another version or in use); each bad consultation is recorded
    as a failure in the database and in the summary.
    """
    started = time.perf_counter()
    from consult_audio.rules import load_rules

    rules = load_rules(options.rules_path)  # a bad rules file fails here, before any work
    report = progress or (lambda counts, cid: None)
    with RunDatabase(run_dir, create=True, lock=True) as db:
        run_id = db.start_run(source=source, settings=_run_settings(options))
        counts = Counts(total=len(items))
        problems: list[Problem] = []
        status = "interrupted"
        try:
            pending, updated = _plan(db, items, options, rules_fingerprint(rules), run_id,
                                     counts, problems)
            report(counts, None)
            by_id = {task.id: task for task, _ in pending}
            item_of = {task.id: item for task, item in pending}
            settings = WorkerSettings(
                rules_path=str(options.rules_path) if options.rules_path else None,
                redact=options.redact, audio_options=options.audio_options)
            for outcome in execute([t for t, _ in pending], settings, options):
                task, item = by_id[outcome.id], item_of[outcome.id]
                _store(db, outcome, task, item, run_id, counts, problems)
                report(counts, outcome.id)
            status = "finished"
        finally:
            db.finish_run(run_id, status=status, counts=counts.as_dict())
    return BatchSummary(run_id, counts, tuple(problems), time.perf_counter() - started, updated)


def _plan(
    db: RunDatabase,
    items: Sequence[BatchItem],
    options: BatchOptions,
    rules_print: Mapping[str, str],
    run_id: int,
    counts: Counts,
    problems: list[Problem],
) -> tuple[list[tuple[Task, BatchItem]], int]:
    """Record bad and refused rows, skip what is done, and return the tasks left to run with the
    number of stored results whose metadata was brought up to date."""
    done, failed = db.done(), db.failed_keys()
    messages = {fid: message for fid, _status, _source, message in db.failures()}
    hasher = _Hasher(db.cached_hashes())
    pending: list[tuple[Task, BatchItem]] = []
    updated = 0
    for item in items:
        if item.error is not None:
            status = "refused" if item.refused else "failed"
            db.record_failure(item.id, key=None, run_id=run_id, status=status,
                              source=item.source, message=item.error)
            setattr(counts, status, getattr(counts, status) + 1)
            problems.append(Problem(item.id, status, item.error))
            continue
        try:
            task = _task(item, options, rules_print, hasher)
        except InputError as err:
            db.record_failure(item.id, key=None, run_id=run_id, status="failed",
                              source=item.source, message=str(err))
            counts.failed += 1
            problems.append(Problem(item.id, "failed", str(err)))
            continue
        stored = done.get(item.id)
        if stored is not None and stored.key == task.key:
            counts.skipped += 1
            metadata = json.dumps(dict(task.metadata), sort_keys=True)
            if metadata != stored.metadata or item.consent != stored.consent:
                db.update_metadata(item.id, task.metadata, item.consent)
                updated += 1
            continue
        if failed.get(item.id) == task.key and not options.retry_failed:
            counts.failed += 1
            message = messages.get(item.id, "failed in an earlier run")
            problems.append(Problem(item.id, "failed", message, earlier=True))
            continue
        pending.append((task, item))
    db.cache_hashes(hasher.new_rows)
    return pending, updated


def _store(
    db: RunDatabase,
    outcome: Outcome,
    task: Task,
    item: BatchItem,
    run_id: int,
    counts: Counts,
    problems: list[Problem],
) -> None:
    if outcome.stored is not None:
        db.store_result(outcome.stored, key=task.key, run_id=run_id, kind=task.kind,
                        paths=task.paths, consent=item.consent, metadata=task.metadata,
                        seconds=outcome.seconds)
        counts.done += 1
        return
    message = outcome.error or "failed"
    db.record_failure(task.id, key=task.key, run_id=run_id, status="failed", source=item.source,
                      message=message)
    counts.failed += 1
    problems.append(Problem(task.id, "failed", message))
    log.info("%s failed: %s", task.id, message)


# --- keys ----------------------------------------------------------------------------------------


def rules_fingerprint(rules: Any) -> dict[str, str]:
    """Name, version and a hash of the rules' content: edited rules give new keys even when the
    author forgot to change the version."""
    content = json.dumps(rules.raw, sort_keys=True, ensure_ascii=False).encode()
    return {"name": rules.name, "version": rules.version,
            "sha256": hashlib.sha256(content).hexdigest()}


def _task(
    item: BatchItem, options: BatchOptions, rules_print: Mapping[str, str], hasher: _Hasher
) -> Task:
    from consult_audio import __version__

    roles = {**{k: str(v) for k, v in options.roles.items()},
             **{k: str(v) for k, v in item.roles.items()}}
    inputs = tuple({"name": p.name, "sha256": hasher.sha256(p)} for p in item.paths)
    settings: dict[str, Any] = {"command": "batch", "roles": roles, "language": item.language,
                                "rules": dict(rules_print), "redact": options.redact}
    if item.kind == "audio":
        settings["audio"] = to_plain(options.audio_options) if options.audio_options else "default"
    key_data = {"id": item.id, "kind": item.kind, "inputs": inputs, "settings": settings,
                "consult_audio": __version__}
    key = hashlib.sha256(json.dumps(key_data, sort_keys=True).encode()).hexdigest()
    metadata = {**item.metadata, "consent": item.consent}
    return Task(id=item.id, key=key, kind=item.kind, paths=tuple(str(p) for p in item.paths),
                inputs=inputs, roles=roles, row_roles=tuple(item.roles),
                language=item.language, metadata=metadata, settings=settings)


class _Hasher:
    """SHA-256 of input files, reusing the hash of a file whose size and mtime are unchanged."""

    def __init__(self, cached: Mapping[str, tuple[int, int, str]]) -> None:
        self.cached = cached
        self.new_rows: list[tuple[str, int, int, str]] = []

    def sha256(self, path: Path) -> str:
        try:
            st = path.stat()
        except OSError as err:
            raise unreadable(path, err) from err
        hit = self.cached.get(str(path))
        if hit is not None and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            return hit[2]
        sha = file_sha256(path)
        self.new_rows.append((str(path), st.st_size, st.st_mtime_ns, sha))
        return sha


def _run_settings(options: BatchOptions) -> dict[str, Any]:
    return {
        "rules": str(options.rules_path) if options.rules_path else None,
        "roles": {k: str(v) for k, v in options.roles.items()},
        "redact": options.redact, "retry_failed": options.retry_failed,
        "engine": options.engine, "workers": options.workers, "address": options.address,
        "audio": to_plain(options.audio_options) if options.audio_options else None,
    }


# --- engines -------------------------------------------------------------------------------------


def execute(
    tasks: Sequence[Task], settings: WorkerSettings, options: BatchOptions
) -> Iterator[Outcome]:
    """Outcomes of ``tasks`` in the order they finish, on the engine ``options`` names."""
    if not tasks:
        return iter(())
    if options.engine == "ray":
        from consult_audio.batch.ray_engine import run_on_ray

        return run_on_ray(tasks, settings, address=options.address, workers=options.workers)
    if options.engine != "local":
        raise ConsultAudioError(f"unknown engine {options.engine!r}; use local or ray")
    return run_local(tasks, settings, workers=options.workers)


def local_workers(workers: int | None, n_tasks: int) -> int:
    """Worker processes to start: as asked, else one per CPU core; never more than tasks."""
    wanted = workers if workers is not None else (os.cpu_count() or 1)
    return max(1, min(wanted, n_tasks))


def run_local(
    tasks: Sequence[Task], settings: WorkerSettings, *, workers: int | None = None
) -> Iterator[Outcome]:
    """Run on local worker processes (``spawn``: no state shared with this process), each with
    its own :class:`Worker` built once; one worker runs in this process."""
    n = local_workers(workers, len(tasks))
    if n == 1:
        worker = Worker(settings)
        for task in tasks:
            yield worker.process(task)
        return
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=n, mp_context=context, initializer=init_process,
                             initargs=(settings,)) as pool:
        yield from _bounded(pool, tasks, limit=n * IN_FLIGHT_PER_WORKER)


def _bounded(pool: ProcessPoolExecutor, tasks: Iterable[Task], *, limit: int) -> Iterator[Outcome]:
    todo = iter(tasks)
    running: set[Future[Outcome]] = set()
    try:
        while True:
            for task in todo:
                running.add(pool.submit(process_in_pool, task))
                if len(running) >= limit:
                    break
            if not running:
                return
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                try:
                    outcome = future.result()
                except BrokenProcessPool as err:
                    raise ConsultAudioError(
                        "a worker process died (out of memory, or killed); the consultations "
                        "finished so far are stored: run the same command again to go on, "
                        "with fewer --workers if memory ran out") from err
                yield outcome
    finally:
        for future in running:
            future.cancel()
