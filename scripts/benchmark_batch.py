"""Speed of ``consult-audio batch``: a first run, a rerun with everything done, and one worker
against two.

Usage:
  python scripts/benchmark_batch.py --generate 1000 [--workers 2]   # generated transcripts
  python scripts/benchmark_batch.py DATA_DIR [--workers 1,2]        # a folder or manifest

With ``--generate N`` it writes N invented consultations (WebVTT, a manifest with clinicians,
dates and consent) into a scratch folder. Each run goes into a fresh RUN_DIR and runs the real
command line (``python -m consult_audio batch``) as a subprocess, so the times include start-up.
For each worker count it prints the first run's wall and CPU time (CPU time of the command and its
worker processes: on a machine shared with other work, CPU time / cores is the wall time an idle
machine would give) and the rerun's wall time; with two or more worker
counts it prints the speed-up over the first. Targets (issue 5): 1,000 generated transcripts in
under 60 s on 2 cores; the rerun under 5 s; 2 workers at least 1.7x one on an audio batch
(PriMock57 audio: ``DATA_DIR`` = ``../shared/data/primock57/audio``).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from consult_audio.batch.synthetic import write_batch


def _run(source: Path, run_dir: Path, workers: int,
         extra: list[str]) -> tuple[float, float, int]:
    """Wall time (s), CPU time of the command and its workers (s), exit code."""
    command = [sys.executable, "-m", "consult_audio", "-q", "batch", str(source), "-o",
               str(run_dir), "--workers", str(workers), *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if done.returncode not in (0, 1):
        raise click.ClickException(f"batch failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, cpu, done.returncode


@click.command()
@click.argument("data", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--generate", type=int, help="Generate this many transcripts instead of DATA.")
@click.option("--workers", default="1,2", show_default=True,
              help="Comma-separated worker counts to time.")
@click.option("--kind", type=click.Choice(["auto", "audio", "transcript"]), default="auto",
              show_default=True, help="For a folder: which files to take.")
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path),
              help="Keep the run folders here (default: a temporary folder, removed).")
def main(data: Path | None, generate: int | None, workers: str, kind: str,
         keep: Path | None) -> None:
    counts = [int(w) for w in workers.split(",") if w.strip()]
    with tempfile.TemporaryDirectory(prefix="consult-audio-bench-") as scratch:
        base = keep or Path(scratch)
        base.mkdir(parents=True, exist_ok=True)
        extra: list[str] = []
        if generate:
            started = time.perf_counter()
            source = write_batch(base / "generated", generate)
            click.echo(f"generated {generate} transcripts in {time.perf_counter() - started:.1f} s")
        elif data is not None:
            source = data
            if data.is_dir():
                extra = ["--consent-recorded-elsewhere", "--kind", kind]
        else:
            raise click.UsageError("give DATA or --generate N")
        click.echo(f"input {source}; {os.cpu_count()} CPU cores; python {sys.version.split()[0]}")
        first: dict[int, float] = {}
        for n in counts:
            run_dir = base / f"run-{n}w"
            load = os.getloadavg()[0]
            seconds, cpu, code = _run(source, run_dir, n, extra)
            again, _, _ = _run(source, run_dir, n, extra)
            first[n] = seconds
            status = "all succeeded" if code == 0 else "some failed or refused (exit 1)"
            click.echo(f"{n} worker(s): first run {seconds:.1f} s wall, {cpu:.1f} s CPU "
                       f"({status}; load average before: {load:.1f}); rerun, all skipped: "
                       f"{again:.2f} s")
        base_n = counts[0]
        for n in counts[1:]:
            click.echo(f"speed-up of {n} workers over {base_n}: "
                       f"{first[base_n] / first[n]:.2f}x")


if __name__ == "__main__":
    main()
