"""Transcription settings side by side: WER and speed of the recogniser alone.

Runs :class:`consult_audio.audio.transcribe.FasterWhisperTranscriber` (or openai-whisper) with the
default :class:`~consult_audio.audio.transcribe.TranscribeOptions` and with each ``--variant`` (a
JSON object of ``TranscribeOptions`` fields that differ from the default) on the PriMock57
renderings in ``DATA_DIR/primock57/audio`` (mono mix; the reference JSON beside each file) or,
with ``--corpus osce``, the real OSCE recordings in ``DATA_DIR/osce/audio`` (reference: the
transcript's turns), and prints per file and variant the decoding seconds, real-time factor and
WER (normalised as in ``scripts/evaluate_audio.py``, and with Whisper's English normaliser). No
diarisation and no metrics: this is for choosing decoding settings, and the full pipeline is
measured by ``evaluate_audio.py`` (with ``--transcribe`` for a variant) and ``benchmark.py``.

Example::

    scripts/compare_decoding.py ../shared/data --only day1_consultation03 \\
        --variant '{"beam_size": 1}' --variant '{"initial_prompt": "Um, okay, so."}'

Whisper's seeded fallback makes each run repeat exactly, but a small change (a prompt, one beam
more) can send a whole file down another path: read single-file differences of a few points of
WER as noise, and compare variants over several files.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

import click


def parse_variant(text: str) -> dict[str, Any]:
    """A ``--variant``: a JSON object whose keys are :class:`TranscribeOptions` fields."""
    from consult_audio.audio.transcribe import TranscribeOptions

    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise click.BadParameter(f"{text!r} is not JSON: {err}") from None
    if not isinstance(value, dict):
        raise click.BadParameter(f"{text!r} is not a JSON object such as '{{\"beam_size\": 1}}'")
    fields = {f.name for f in dataclasses.fields(TranscribeOptions)}
    unknown = sorted(set(value) - fields)
    if unknown:
        raise click.BadParameter(f"unknown setting(s) {', '.join(unknown)}; "
                                 f"TranscribeOptions has {', '.join(sorted(fields))}")
    if "temperature" in value:
        value["temperature"] = tuple(value["temperature"])
    return value


def label(variant: dict[str, Any]) -> str:
    return json.dumps(variant, ensure_ascii=False) if variant else "default"


def reference_of(data_dir: Path, corpus: str, path: Path) -> str:
    """The reference text of a recording: the rendering's spans in time order (primock57) or
    the OSCE transcript's turns in order, without their ``D:``/``P:`` marks."""
    import evaluate_audio as ea

    if corpus == "primock57":
        return str(ea.read_reference(path).text)
    lines = (data_dir / "osce" / "transcripts" / f"{path.stem}.txt").read_text(
        encoding="utf-8").splitlines()
    return " ".join(line.split(":", 1)[1] if ":" in line[:3] else line for line in lines)


@click.command(epilog="Example: scripts/compare_decoding.py ../shared/data --only "
                      "day1_consultation03 --variant '{\"beam_size\": 1}'")
@click.argument("data_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--variant", "variants", multiple=True,
              help="TranscribeOptions fields as JSON, e.g. '{\"beam_size\": 5}'; repeatable.")
@click.option("--corpus", type=click.Choice(["primock57", "osce"]), default="primock57",
              show_default=True,
              help="primock57: the espeak renderings; osce: the real OSCE recordings "
                   "(osce/audio, WER against osce/transcripts, also with Whisper's normaliser).")
@click.option("--only", multiple=True, help="Only recordings whose name contains this.")
@click.option("--engine", type=click.Choice(["faster-whisper", "openai-whisper"]),
              default="faster-whisper", show_default=True)
@click.option("--threads", type=click.IntRange(0, 256), default=0, show_default=True,
              help="CPU threads (0: all cores).")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write every number as JSON to this file.")
def main(data_dir: Path, variants: tuple[str, ...], corpus: str, only: tuple[str, ...],
         engine: str, threads: int, json_out: Path | None) -> None:
    """WER and speed of transcription settings side by side on DATA_DIR's renderings."""
    import evaluate_audio as ea  # the sibling script: scripts/ is sys.path[0] when run
    from rich.console import Console
    from rich.table import Table

    from consult_audio.audio.decode import load_audio
    from consult_audio.audio.transcribe import TranscribeOptions, make_transcriber
    from consult_audio.errors import ConsultAudioError

    settings = [{}] + [parse_variant(v) for v in variants]
    found = ea.osce_files(data_dir) if corpus == "osce" else ea.primock_files(data_dir)
    files = [f for f in found if not only or any(o in f.name for o in only)]
    if not files:
        raise click.UsageError(f"no {corpus} recordings under {data_dir}"
                               + (f" matching {', '.join(only)}" if only else ""))
    transcribers = [make_transcriber(TranscribeOptions(
        **{"engine": engine, "language": "en", "threads": threads, **s})) for s in settings]
    rows: list[dict[str, Any]] = []
    try:
        for path in files:
            reference_text = reference_of(data_dir, corpus, path)
            audio = load_audio(path)
            samples = audio.mono()
            for variant, transcriber in zip(settings, transcribers, strict=True):
                t0 = time.perf_counter()
                transcript = transcriber.transcribe(samples)
                seconds = time.perf_counter() - t0
                hypothesis = ea.time_ordered_text((w.start, w.text) for w in transcript.words)
                wer = ea.word_error_rate(reference_text, hypothesis)
                whisper = ea.word_error_rate(reference_text, hypothesis,
                                             normaliser=ea.whisper_normaliser())
                rows.append({"file": path.name, "variant": label(variant), "seconds": seconds,
                             "audio_s": audio.duration, "wer": wer, "wer_whisper": whisper})
                click.echo(f"{path.name}  {label(variant)}  WER {wer['wer']:.3f} (Whisper's "
                           f"normaliser {whisper['wer']:.3f})  {seconds:.0f} s", err=True)
    except ConsultAudioError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)

    console = Console(width=max(Console().width, 120), highlight=False)
    table = Table(title="Transcription settings side by side (WER normalised as evaluate_audio)")
    for col in ("file", "variant", "seconds", "x RT", "WER", "WER (Whisper norm)",
                "sub/del/ins"):
        table.add_column(col, justify="left" if col in ("file", "variant") else "right")
    for r in rows:
        w = r["wer"]
        table.add_row(r["file"], r["variant"], f"{r['seconds']:.0f}",
                      f"{r['audio_s'] / r['seconds']:.1f}", f"{w['wer']:.3f}",
                      f"{r['wer_whisper']['wer']:.3f}",
                      f"{w['substitutions']}/{w['deletions']}/{w['insertions']}")
    summary = []
    for variant in settings:
        mine = [r for r in rows if r["variant"] == label(variant)]
        summary.append({
            "variant": label(variant),
            "wer_mean": sum(r["wer"]["wer"] for r in mine) / len(mine),
            "wer_pooled": ea.pooled_wer(r["wer"] for r in mine),
            "wer_whisper_pooled": ea.pooled_wer(r["wer_whisper"] for r in mine),
            "x_real_time": sum(r["audio_s"] for r in mine) / sum(r["seconds"] for r in mine),
        })
        table.add_row("all files", label(variant), "", f"{summary[-1]['x_real_time']:.1f}",
                      f"{summary[-1]['wer_mean']:.3f} mean",
                      f"{summary[-1]['wer_whisper_pooled']:.3f} pooled", "")
    console.print(table)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps({"engine": engine, "rows": rows, "summary": summary},
                                       indent=2) + "\n", encoding="utf-8")
        console.print(f"wrote {json_out}")


if __name__ == "__main__":
    main()
