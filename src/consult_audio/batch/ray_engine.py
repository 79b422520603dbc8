"""Run batch tasks on a Ray cluster (``consult-audio batch --engine ray [--address ADDR]``).

Each worker is a Ray actor holding one :class:`~consult_audio.batch.worker.Worker`, so models load
once per actor; Ray's :class:`~ray.util.ActorPool` hands each actor its next task when it is free.
Where the cluster has GPUs and the batch has audio, the actors share them (``num_gpus``). Ray is
imported only here, with its usage statistics off; without ``--address`` a local Ray instance is
started for the run and stopped after it. The nodes of a cluster need consult-audio installed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from typing import Any

from consult_audio.batch.worker import Outcome, Task, Worker, WorkerSettings
from consult_audio.errors import ConsultAudioError

__all__ = ["run_on_ray"]

log = logging.getLogger(__name__)


class _Actor:
    """The body of a Ray actor: one :class:`Worker`, built when the actor starts."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.worker = Worker(settings)

    def process(self, task: Task) -> Outcome:
        return self.worker.process(task)


def _import_ray() -> Any:
    # Nothing may leave the machine: Ray's usage statistics off before it is imported.
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    try:
        import ray
    except ImportError as err:
        raise ConsultAudioError("--engine ray needs Ray: pip install 'consult-audio[ray]'") from err
    return ray


def run_on_ray(
    tasks: Sequence[Task],
    settings: WorkerSettings,
    *,
    address: str | None = None,
    workers: int | None = None,
) -> Iterator[Outcome]:
    """Outcomes of ``tasks`` as the actors finish them.

    ``address`` ``None`` starts a local Ray instance with ``workers`` CPUs (default: all cores);
    otherwise connects to that cluster and starts ``workers`` actors (default: one per CPU of the
    cluster, or one per GPU for audio when it has GPUs).
    """
    ray = _import_ray()
    from ray.util import ActorPool

    started_here = not ray.is_initialized()
    if started_here:
        try:
            if address is None:
                ray.init(num_cpus=workers or os.cpu_count() or 1, include_dashboard=False,
                         log_to_driver=False, configure_logging=False)
            else:
                ray.init(address=address, include_dashboard=False, log_to_driver=False,
                         configure_logging=False)
        except Exception as err:  # Ray raises ConnectionError, RuntimeError, ValueError...
            where = f"the Ray cluster at {address}" if address else "a local Ray instance"
            raise ConsultAudioError(f"cannot start or reach {where}: {err}") from err
    try:
        resources = ray.cluster_resources()
        cpus = int(resources.get("CPU", 1))
        gpus = float(resources.get("GPU", 0))
        audio = any(task.kind == "audio" for task in tasks)
        use_gpus = audio and gpus > 0
        n = workers or (int(gpus) if use_gpus and gpus >= 1 else cpus)
        n = max(1, min(n, len(tasks)))
        per_actor: dict[str, float] = {"num_cpus": 1}
        if use_gpus:
            per_actor["num_gpus"] = min(1.0, gpus / n)
        log.info("Ray: %d actors on %d CPUs, %g GPUs", n, cpus, gpus)
        actor_class = ray.remote(_Actor)
        actors = [actor_class.options(**per_actor).remote(settings) for _ in range(n)]
        pool = ActorPool(actors)
        yield from pool.map_unordered(lambda actor, task: actor.process.remote(task),
                                      list(tasks))
        for actor in actors:
            ray.kill(actor)
    finally:
        if started_here:
            ray.shutdown()
