"""Speed and memory of the audio pipeline, and of the plain reference path, on one recording.

Each path runs in its own child process (``multiprocessing`` spawn), so that its peak memory
(``ru_maxrss`` of that process) is its own and no model is shared between paths:

- ``pipeline``: the default :class:`~consult_audio.audio.pipeline.AudioPipeline` (faster-whisper
  base int8 on speech regions, the embedded diariser), then :func:`consult_audio.analysis.analyse`.
- ``reference`` (``--reference``): openai-whisper base (``TranscribeOptions(engine=
  "openai-whisper")``, beam 5, word timestamps, no refill of skipped speech) on the whole file,
  no voice-activity regions, then
  the embedded diariser, words given to speakers by time overlap, and ``analyse``. The checkpoint is
  built once by ``consult-audio models pull whisper-base-openai``.
- ``long`` (``--long MINUTES``): the default pipeline on a recording made by concatenating the
  PriMock57 renderings (mono) up to MINUTES, for peak memory on a long consultation.

Reported per path: seconds per stage (decode, diarise, transcribe, align = the rest of
``AudioPipeline.consultation``, analyse), the whole (first stage to the analysis result, models
loaded on the way), the real-time factor (audio seconds / whole seconds) and the peak resident
memory. Targets (2-core CPU): whole >= 4x real time, peak < 2.5 GB, >= 3x faster than reference.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
import wave
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import click

DEFAULT_FILE = "day1_consultation01.ogg"
TARGET_RTF = 4.0  # x real time, end to end
TARGET_PEAK_MB = 2500.0  # MB (2.5 GB)
TARGET_SPEEDUP = 3.0  # x faster than the reference path
REFERENCE_BEAM = 5  # openai-whisper's command-line default
LONG_GAP_S = 2.0  # s of silence between concatenated consultations


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (``ru_maxrss`` is KiB on Linux, bytes on
    macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6


def run_pipeline(path: str) -> dict[str, Any]:
    """Child process: the default pipeline and the analysis on ``path``."""
    started = time.perf_counter()
    from consult_audio.analysis import analyse
    from consult_audio.audio.pipeline import AudioOptions, AudioPipeline

    pipeline = AudioPipeline(AudioOptions())
    setup_s = time.perf_counter() - started
    t0 = time.perf_counter()
    run = pipeline.run(Path(path))
    c = run.consultation
    consultation_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    analyse(c)
    analyse_s = time.perf_counter() - t1
    stages = dict(run.timings_s)
    stages["align"] = max(0.0, consultation_s - sum(stages.values()))
    stages["analyse"] = analyse_s
    return {"path": "pipeline", "duration_s": run.audio.duration_s,
            "setup_s": setup_s, "stages_s": stages, "whole_s": consultation_s + analyse_s,
            "utterances": len(c.utterances), "peak_rss_mb": peak_rss_mb(),
            "diariser": run.audio.diariser}


def run_reference(path: str) -> dict[str, Any]:
    """Child process: openai-whisper on the whole file, the embedded diariser, the analysis."""
    started = time.perf_counter()
    from consult_audio.analysis import analyse
    from consult_audio.audio.align import assign_speakers, utterance_segments
    from consult_audio.audio.decode import load_audio
    from consult_audio.audio.diarise import EmbeddedDiariser
    from consult_audio.audio.transcribe import TranscribeOptions, make_transcriber
    from consult_audio.privacy.network import enforce_offline_env
    from consult_audio.readers import consultation_from_segments

    enforce_offline_env()
    # openai-whisper's own command-line setting (beam 5, 5 samples per fallback temperature),
    # whatever the pipeline's default beam is, and none of the pipeline's repairs
    transcriber = make_transcriber(TranscribeOptions(engine="openai-whisper",
                                                     beam_size=REFERENCE_BEAM,
                                                     refill_gaps=False))
    diariser = EmbeddedDiariser()
    setup_s = time.perf_counter() - started
    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    audio = load_audio(Path(path))
    stages["decode"] = time.perf_counter() - t0
    t = time.perf_counter()
    transcript = transcriber.transcribe(audio.mono())  # the whole file: no speech regions
    stages["transcribe"] = time.perf_counter() - t
    t = time.perf_counter()
    diarisation = diariser.diarise(audio, min_speakers=2, max_speakers=2)
    stages["diarise"] = time.perf_counter() - t
    t = time.perf_counter()
    segments = utterance_segments(assign_speakers(transcript.words, diarisation.exclusive))
    c = consultation_from_segments(segments, sources=[Path(path)], duration=audio.duration,
                                   language=transcript.language)
    stages["align"] = time.perf_counter() - t
    t = time.perf_counter()
    analyse(c)
    stages["analyse"] = time.perf_counter() - t
    return {"path": "reference", "duration_s": round(audio.duration, 3), "setup_s": setup_s,
            "stages_s": stages, "whole_s": time.perf_counter() - t0,
            "utterances": len(c.utterances), "peak_rss_mb": peak_rss_mb(),
            "diariser": diarisation.method}


def make_long_recording(files: list[Path], minutes: float, target: Path) -> float:
    """Concatenate decoded ``files`` (mono, :data:`LONG_GAP_S` apart, repeating them as needed)
    into a 16-bit 16 kHz WAV at ``target`` until it lasts ``minutes``; returns its length (s)."""
    import numpy as np

    from consult_audio.audio.decode import SAMPLE_RATE, load_audio

    wanted = int(minutes * 60 * SAMPLE_RATE)
    gap = np.zeros(int(LONG_GAP_S * SAMPLE_RATE), dtype=np.int16)
    written = 0
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        i = 0
        while written < wanted:
            mono = load_audio(files[i % len(files)]).mono()
            pcm = (np.clip(mono, -1.0, 1.0) * 32767).astype(np.int16)[: wanted - written]
            out.writeframes(pcm.tobytes() + gap.tobytes())
            written += len(pcm) + len(gap)
            i += 1
    return written / SAMPLE_RATE


def in_child(fn: Any, *args: Any) -> dict[str, Any]:
    """``fn(*args)`` in a fresh spawned process (its own peak memory, its own models)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        result: dict[str, Any] = pool.submit(fn, *args).result()
        return result


def _line(r: dict[str, Any]) -> str:
    stages = "  ".join(f"{k} {v:.1f}" for k, v in r["stages_s"].items())
    return (f"{r['path']:<9} audio {r['duration_s'] / 60:5.1f} min  whole {r['whole_s']:6.1f} s  "
            f"{r['rtf']:5.2f}x RT  peak {r['peak_rss_mb']:6.0f} MB  (setup {r['setup_s']:.1f} s; "
            f"{stages})")


@click.command(epilog="Example: scripts/benchmark.py /work/shared/data --reference --json "
                      "out/bench.json")
@click.argument("data_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--file", "file_", type=click.Path(dir_okay=False, path_type=Path),
              help=f"Recording to time (default DATA_DIR/primock57/audio/{DEFAULT_FILE}).")
@click.option("--reference", is_flag=True,
              help="Also run the plain reference path (openai-whisper + embedded diariser).")
@click.option("--long", "long_minutes", type=click.FloatRange(min=1.0),
              help="Also run the pipeline on PriMock57 renderings concatenated to this many "
                   "minutes.")
@click.option("--skip-pipeline", is_flag=True, help="Leave out the default path on --file.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the numbers as JSON to this file.")
def main(data_dir: Path, file_: Path | None, reference: bool, long_minutes: float | None,
         skip_pipeline: bool, json_out: Path | None) -> None:
    """Time each stage and the whole of the audio pipeline; peak memory per path."""
    audio_dir = data_dir / "primock57" / "audio"
    path = file_ or audio_dir / DEFAULT_FILE
    if not path.is_file():
        raise click.UsageError(f"{path} not found; DATA_DIR must contain primock57/audio "
                               f"(with {DEFAULT_FILE}), or give --file")
    sources = sorted(f for f in audio_dir.glob("*.ogg") if ".stereo." not in f.name)
    if long_minutes and not sources:
        raise click.UsageError(f"--long needs the PriMock57 renderings in {audio_dir}")

    click.echo(f"machine: {os.cpu_count()} CPU cores, load average "
               f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}", err=True)
    results: dict[str, Any] = {"file": str(path), "cpu_count": os.cpu_count(),
                               "load_average_start": list(os.getloadavg())}
    runs: list[tuple[str, Any, str]] = []
    if not skip_pipeline:
        runs.append(("pipeline", run_pipeline, str(path)))
    if reference:
        runs.append(("reference", run_reference, str(path)))
    with tempfile.TemporaryDirectory(prefix="consult-audio-bench-") as tmp:
        if long_minutes:
            long_path = Path(tmp) / f"long-{long_minutes:g}min.wav"
            click.echo(f"making a {long_minutes:g}-minute recording from {len(sources)} files",
                       err=True)
            made = in_child(_make_long, [str(s) for s in sources], long_minutes, str(long_path))
            results["long_recording_s"] = made
            runs.append(("long", run_pipeline, str(long_path)))
        for name, fn, target in runs:
            click.echo(f"running {name} on {Path(target).name} ...", err=True)
            try:
                r = in_child(fn, target)
            except Exception as err:  # a child that fails or is killed (out of memory)
                click.echo(f"{name}: failed: {type(err).__name__}: {err}", err=True)
                results[name] = {"path": name, "error": f"{type(err).__name__}: {err}"}
                continue
            r["path"] = name
            r["rtf"] = r["duration_s"] / r["whole_s"]
            results[name] = r
            click.echo(_line(r), err=True)
    results["load_average_end"] = list(os.getloadavg())

    click.echo("")
    for name in ("pipeline", "reference", "long"):
        r = results.get(name)
        if r and "error" not in r:
            click.echo(_line(r))
    checks = []
    p = results.get("pipeline")
    if p and "error" not in p:
        checks.append((f"end to end {p['rtf']:.2f}x real time", p["rtf"] >= TARGET_RTF,
                       f">= {TARGET_RTF:g}x"))
        checks.append((f"peak memory {p['peak_rss_mb']:.0f} MB", p["peak_rss_mb"] < TARGET_PEAK_MB,
                       f"< {TARGET_PEAK_MB:.0f} MB"))
    ref = results.get("reference")
    if p and ref and "error" not in p and "error" not in ref:
        results["speedup"] = ref["whole_s"] / p["whole_s"]
        checks.append((f"{results['speedup']:.2f}x faster than the reference path",
                       results["speedup"] >= TARGET_SPEEDUP, f">= {TARGET_SPEEDUP:g}x"))
    long_r = results.get("long")
    if long_r:
        ok = "error" not in long_r
        checks.append((f"{long_minutes:g}-minute recording: " + (
            f"completed, peak {long_r['peak_rss_mb']:.0f} MB, {long_r['rtf']:.2f}x RT" if ok
            else long_r["error"]), ok and long_r["peak_rss_mb"] < TARGET_PEAK_MB,
            f"completes, < {TARGET_PEAK_MB:.0f} MB"))
    for label, passed, target in checks:
        click.echo(f"{'PASS' if passed else 'FAIL'}  {label}   (target {target})")
    results["checks"] = [{"check": c, "passed": ok, "target": t} for c, ok, t in checks]
    click.echo(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on "
               f"{os.cpu_count()} cores")
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        click.echo(f"wrote {json_out}")


def _make_long(sources: list[str], minutes: float, target: str) -> float:
    return make_long_recording([Path(s) for s in sources], minutes, Path(target))


if __name__ == "__main__":
    main()
