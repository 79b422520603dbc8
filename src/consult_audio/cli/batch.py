"""``consult-audio batch``, ``export``, ``agreement`` and ``forget``: parse, call the library, show
progress and a summary.

``batch`` exits 0 when every consultation succeeded (or was already done), 1 when any failed or
was refused, and 2 for a usage error or a problem with the whole run (a malformed manifest, a
RUN_DIR of another version).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from consult_audio.cli.common import CliError, Ui, role_option, rules_option
from consult_audio.cli.speech import audio_options_from, speech_options
from consult_audio.cli.verbosity import Command
from consult_audio.model import Role
from consult_audio.output import is_safe_id, write_atomic

log = logging.getLogger(__name__)

EXIT_SOME_FAILED = 1  # batch: at least one consultation failed or was refused
PROBLEMS_SHOWN = 20  # failures listed in the summary; the rest are in the database
PER_CONSULTATION = ("eaf", "textgrid", "rttm", "vtt", "json")
DEFAULT_PER_CONSULTATION = "eaf,textgrid,rttm,vtt"

BATCH_EXAMPLES = """\b
Examples:
  # a manifest: path,id,clinician_id,date,consent,language,roles (+ your own columns)
  consult-audio batch cohort.csv -o runs/cohort
  # every transcript (or audio file) in a folder; consent kept in another record
  consult-audio batch recordings/ -o runs/term1 --consent-recorded-elsewhere
  # on a Ray cluster, redacting names and dates from what is stored
  consult-audio batch cohort.csv -o runs/cohort --engine ray --address ray://head:10001 --redact
  # run the same command again: finished consultations are skipped
"""

EXPORT_EXAMPLES = """\b
Examples:
  consult-audio export runs/cohort                    # runs/cohort/exports/consultations.csv...
  consult-audio export runs/cohort --format parquet -o tables/ --per-consultation none
  consult-audio export runs/cohort --per-consultation eaf,json
"""


# --- batch ---------------------------------------------------------------------------------------


@click.command("batch", cls=Command, epilog=BATCH_EXAMPLES,
              short_help="Analyse many consultations into a resumable run folder.")
@click.argument("source", metavar="INPUT", type=click.Path(exists=True, path_type=Path))
@click.option("--output-dir", "-o", "run_dir", required=True, metavar="RUN_DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Run folder: holds batch.sqlite with every result; reused to resume.")
@click.option("--consent-recorded-elsewhere", is_flag=True,
              help="Process rows without a consent date: consent is kept in another record "
                   "(this is stored with every result).")
@click.option("--retry-failed", is_flag=True,
              help="Try again the consultations that failed in an earlier run.")
@click.option("--workers", "-j", type=click.IntRange(min=1), default=None,
              help="Parallel workers [default: one per CPU core, or per CPU of the Ray cluster].")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: worker processes on this machine; ray: a Ray cluster.")
@click.option("--address", metavar="ADDR",
              help="Ray cluster address (with --engine ray) [default: start a local Ray].")
@rules_option
@role_option("Role of a speaker in every consultation (repeatable); a manifest's 'roles' column "
             "overrides it.")
@click.option("--redact", is_flag=True,
              help="Replace personal identifiers in the stored text (metrics are computed "
                   "first, so they do not change).")
@click.option("--data-root", type=click.Path(file_okay=False, path_type=Path),
              help="Confine a manifest's paths to this folder: relative paths are taken from "
                   "it, and every path must stay inside it [default: relative paths from the "
                   "manifest's folder, absolute paths as written].")
@click.option("--kind", type=click.Choice(["auto", "audio", "transcript"]), default="auto",
              show_default=True,
              help="For a folder: which files to take (auto: the audio files if there are any).")
@speech_options
@click.pass_obj
def batch_command(
    ui: Ui,
    /,
    source: Path,
    run_dir: Path,
    consent_recorded_elsewhere: bool,
    retry_failed: bool,
    workers: int | None,
    engine: str,
    address: str | None,
    rules_path: Path | None,
    roles: dict[str, Role],
    redact: bool,
    data_root: Path | None,
    kind: str,
    **speech: Any,
) -> None:
    """Analyse many consultations: INPUT is a manifest CSV or a folder.

    Results go into RUN_DIR/batch.sqlite, one transaction per consultation, keyed by the content
    of the inputs and the settings: run the same command again after a crash or with new files,
    and only what is not done yet is analysed. Rows without recorded consent are refused.
    """
    from consult_audio.batch.manifest import collect_items
    from consult_audio.batch.runner import BatchOptions, run_batch

    if address and engine != "ray":
        raise click.BadParameter("--address needs --engine ray", param_hint="'--address'")
    items = collect_items(source, safe_id=is_safe_id, data_root=data_root,
                          consent_elsewhere=consent_recorded_elsewhere, kind=kind)
    if not items:
        raise CliError(f"{source}: nothing to process (no transcripts or audio files found)")
    local_workers = workers or os.cpu_count() or 1  # the local engine's default: one per core
    if not speech["threads"] and engine == "local" and local_workers > 1:
        # each worker gets its share of the cores: oversubscribed threads slow everyone down
        speech = {**speech, "threads": max(1, (os.cpu_count() or 1) // local_workers)}
    audio_options = audio_options_from(speech) if any(i.kind == "audio" for i in items) \
        else None
    options = BatchOptions(rules_path=rules_path, roles=roles, redact=redact,
                           retry_failed=retry_failed, engine=engine, workers=workers,
                           address=address, audio_options=audio_options)
    with _progress(ui) as (progress, task):
        def update(counts: Any, _cid: str | None) -> None:
            progress.update(task, total=counts.total, completed=counts.finished,
                            status=f"[green]{counts.done} done[/] [red]{counts.failed} failed[/] "
                                   f"{counts.skipped} skipped {counts.refused} refused")

        summary = run_batch(items, run_dir, options, source=str(source), progress=update)
    if ui.quiet:
        click.echo(str(run_dir / "batch.sqlite"))
    else:
        ui.out.print(_summary_table(summary, run_dir))
        if summary.problems:
            ui.out.print(_problem_table(summary.problems, run_dir))
    if not summary.ok:
        click.get_current_context().exit(EXIT_SOME_FAILED)


class _progress:
    """One progress bar for the batch (nothing when quiet): done, failed, skipped, ETA."""

    def __init__(self, ui: Ui) -> None:
        self.progress = Progress(
            TextColumn("Batch"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn(), console=ui.err, disable=ui.quiet, transient=False)

    def __enter__(self) -> tuple[Progress, Any]:
        self.progress.start()
        return self.progress, self.progress.add_task("batch", total=None, status="starting")

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def _summary_table(summary: Any, run_dir: Path) -> Table:
    c = summary.counts
    table = Table(title=Text(f"Batch run {summary.run_id} in {run_dir}"), show_header=False,
                  title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    rows = {"Consultations": str(c.total), "Analysed now": str(c.done),
            "Already done (skipped)": str(c.skipped), "Failed": str(c.failed),
            "Refused (no consent)": str(c.refused), "Time": f"{summary.seconds:.1f} s"}
    if summary.metadata_updated:
        rows["Metadata updated"] = str(summary.metadata_updated)
    for key, value in rows.items():
        table.add_row(key, value)
    return table


def _problem_table(problems: Any, run_dir: Path) -> Table:
    table = Table(title="Not processed", title_justify="left")
    table.add_column("id", style="bold", overflow="fold")
    table.add_column("status")
    table.add_column("why", overflow="fold")
    for problem in problems[:PROBLEMS_SHOWN]:
        status = problem.status + (" (earlier run; --retry-failed)" if problem.earlier else "")
        table.add_row(Text(problem.id), status, Text(problem.message))
    if len(problems) > PROBLEMS_SHOWN:
        table.caption = (f"{len(problems) - PROBLEMS_SHOWN} more in the 'failures' table of "
                         f"{run_dir / 'batch.sqlite'}")
    return table


# --- export --------------------------------------------------------------------------------------


def _parse_per_consultation(ctx: click.Context, param: click.Parameter,
                            value: str) -> tuple[str, ...]:
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    if formats == ["none"]:
        return ()
    unknown = [f for f in formats if f not in PER_CONSULTATION]
    if unknown or not formats:
        raise click.BadParameter(f"unknown format {', '.join(unknown) or '(none)'}; give a "
                                 f"comma-separated list of {', '.join(PER_CONSULTATION)}, or none")
    return tuple(dict.fromkeys(formats))


@click.command("export", cls=Command, epilog=EXPORT_EXAMPLES)
@click.argument("run_dir", metavar="RUN_DIR",
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "table_format", type=click.Choice(["csv", "parquet"]), default="csv",
              show_default=True,
              help="Format of the tables consultations.* (one row per consultation) and events.* "
                   "(one row per event).")
@click.option("--per-consultation", "formats", default=DEFAULT_PER_CONSULTATION,
              show_default=True, callback=_parse_per_consultation, metavar="LIST",
              help=f"Files per consultation, comma-separated: {', '.join(PER_CONSULTATION)}; "
                   "or none.")
@click.option("--output-dir", "-o", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the exports [default: RUN_DIR/exports].")
@click.pass_obj
def export_command(ui: Ui, run_dir: Path, table_format: str, formats: tuple[str, ...],
                   out_dir: Path | None) -> None:
    """Write a run's results as tables (CSV or Parquet) and research formats (ELAN, Praat
    TextGrid with event tiers, RTTM, WebVTT). Columns are described in docs/codebook.md."""
    from consult_audio.batch.outputs import export_run

    out_dir = out_dir or run_dir / "exports"
    with ui.step(f"Exporting {run_dir}"):
        written = export_run(run_dir, out_dir, table_format=table_format, formats=formats,
                             safe_id=is_safe_id)
    if ui.quiet:
        for path in written:
            click.echo(str(path))
    else:
        per = len(written) - 2
        ui.out.print(f"Wrote {out_dir / ('consultations.' + table_format)}, "
                     f"{out_dir / ('events.' + table_format)}"
                     + (f" and {per} per-consultation files in {out_dir}" if per else ""),
                     highlight=False, markup=False)


# --- agreement -----------------------------------------------------------------------------------


@click.command("agreement", cls=Command)
@click.argument("run_dir", metavar="RUN_DIR",
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("codes", metavar="HUMAN_CODES.csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the table as CSV to this file.")
@click.pass_obj
def agreement_command(ui: Ui, run_dir: Path, codes: Path, output: Path | None) -> None:
    """Compare the automatic events with a researcher's own codes: Cohen's kappa, precision,
    recall and F1 per event type, over the utterances of the consultations coded.

    HUMAN_CODES.csv has columns id, type, utterance (or start_s) and optionally label; see
    docs/codebook.md.
    """
    from consult_audio.agreement import write_agreement_csv
    from consult_audio.batch.outputs import agreement

    rows = agreement(run_dir, codes)
    if output is not None:
        write_atomic(output, write_agreement_csv(rows))
    if ui.quiet:
        if output is not None:
            click.echo(str(output))
        return
    table = Table(title=f"Agreement with {codes.name} ({rows[0].units if rows else 0} "
                        "utterances)", title_justify="left", box=box.SIMPLE_HEAD,
                  collapse_padding=True, pad_edge=False,
                  caption="P precision, R recall (automatic vs human); labels: utterances both "
                          "coded with a label, agree: share with the same label, κ: its kappa",
                  caption_justify="left")
    for name in ("event", "human", "auto", "both", "P", "R", "F1", "kappa", "labels",
                 "agree", "κ"):
        table.add_column(name, justify="left" if name == "event" else "right", no_wrap=True,
                         min_width=14 if name == "event" else max(4, len(name)))
    for r in rows:
        table.add_row(r.type, str(r.human), str(r.auto), str(r.both), _num(r.precision),
                      _num(r.recall), _num(r.f1), _num(r.kappa), str(r.label_units),
                      _num(r.label_agreement), _num(r.label_kappa))
    ui.out.print(table)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


# --- forget --------------------------------------------------------------------------------------


@click.command("forget", cls=Command)
@click.argument("run_dir", metavar="RUN_DIR",
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("consultation_id", metavar="ID")
@click.pass_obj
def forget_command(ui: Ui, run_dir: Path, consultation_id: str) -> None:
    """Remove one consultation from a run: its rows in the database and its exported files
    (tables exported earlier are written again without it). The input files are not touched:
    take it out of the manifest or folder too, or the next batch run analyses it again."""
    from consult_audio.batch.outputs import forget

    report = forget(run_dir, consultation_id)
    if ui.quiet:
        return
    ui.out.print(f"Removed {consultation_id} from {run_dir / 'batch.sqlite'}; deleted "
                 f"{len(report.deleted)} exported file(s); rewrote "
                 f"{len(report.rewritten)} table(s).", highlight=False, markup=False)
