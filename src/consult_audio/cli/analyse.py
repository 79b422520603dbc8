"""``consult-audio analyse`` and ``report``: parse the options, call the library
(:func:`consult_audio.run.run_consultation`, :mod:`consult_audio.reports`), show progress and the
summary."""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.text import Text

from consult_audio.audio import AUDIO_SUFFIXES, is_audio_path
from consult_audio.cli.common import (
    Ui,
    check_id,
    format_option,
    output_dir_option,
    player_options,
    plural,
    role_option,
    rules_option,
)
from consult_audio.cli.speech import read_recording, speech_options
from consult_audio.cli.verbosity import Command
from consult_audio.inputs import UnknownSpeakerError
from consult_audio.model import AnalysisResult, Consultation, Role
from consult_audio.output import OUTPUT_SUFFIXES, require_safe_id, write_outputs
from consult_audio.readers import TRANSCRIPT_SUFFIXES
from consult_audio.reports import load_analysis, render_outputs
from consult_audio.rules import Rules, load_rules
from consult_audio.run import AUDIO, TRANSCRIPT, AnalysisRequest, RecordingReader, run_consultation

if TYPE_CHECKING:
    from consult_audio.render.html import ReportAudio

__all__ = ["analyse_command", "report_command"]

log = logging.getLogger(__name__)

ANALYSE_FORMATS = ("json", "md", "csv", "html")
ANALYSE_DEFAULT_FORMATS = ("json", "md", "csv")  # html on request (--format)
REPORT_FORMATS = ("md", "csv", "html")
COHORT_FORMATS = ("html", "md")  # report --cohort writes cohort.report.html / .md
COHORT_ID = "cohort"

ANALYSE_EXAMPLES = """\b
Examples:
  # one transcript with both speakers
  consult-audio analyse examples/consultation.vtt --output-dir out/
  # one file per speaker: the id is the common part of the names (day1_consultation01)
  consult-audio analyse day1_consultation01_doctor.TextGrid day1_consultation01_patient.TextGrid
  # say who is who, use edited rules, write only the JSON
  # a recording: speech recognition and diarisation run locally
  consult-audio analyse visit.m4a --output-dir out/
  consult-audio analyse telehealth-stereo.wav --diariser channels --language en
  consult-audio analyse visit.srt --id visit7 --role "Dr Lee=clinician" --role Sam=patient \\
      --rules my-rules.json --format json
"""

ANALYSE_HELP = f"""Analyse ONE consultation: a recording, or its transcripts (one per speaker).

Writes DIR/ID.analysis.json, DIR/ID.report.md and DIR/ID.metrics.csv. Transcript formats, by
suffix: {", ".join(TRANSCRIPT_SUFFIXES)}. Recordings (audio or video; transcribed, diarised and
aligned on this machine, with no network): {", ".join(AUDIO_SUFFIXES)}.
"""

REPORT_EXAMPLES = """\b
Examples:
  consult-audio report out/consultation.analysis.json
  consult-audio report out/consultation.analysis.json --format md --output-dir reports/
  # the HTML report with a player that plays the recording (kept inside the page)
  consult-audio report out/consultation.analysis.json --format html --embed-audio visit.wav
  # one page for many consultations: every *.analysis.json under out/
  consult-audio report --cohort out/ --output-dir reports/
"""

# A KEY of --meta: a name (clinician_id, date, site...), not free text.
_META_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")


def _parse_meta(
    ctx: click.Context, param: click.Parameter, values: Sequence[str]
) -> dict[str, str]:
    meta: dict[str, str] = {}
    for value in values:
        key, sep, text = value.partition("=")
        key = key.strip()
        if not sep or not _META_KEY_RE.fullmatch(key):
            raise click.BadParameter(
                f"{value!r} is not KEY=VALUE; e.g. --meta clinician_id=C07 --meta date=2026-03-01")
        if key == "date":
            try:
                if len(text.strip()) != 10:
                    raise ValueError(text)
                datetime.date.fromisoformat(text.strip())
            except ValueError as err:
                raise click.BadParameter(
                    f"{value!r}: the date must be YYYY-MM-DD, e.g. 2026-03-01") from err
        meta[key] = text.strip()
    return meta


def _report_audio(embed_audio: Path | None, audio_href: Path | None, formats: Sequence[str],
                  output_dir: Path) -> ReportAudio | None:
    """The player of the HTML report, from --embed-audio / --audio-href (at most one)."""
    if embed_audio is None and audio_href is None:
        return None
    if embed_audio is not None and audio_href is not None:
        raise click.UsageError("give --embed-audio or --audio-href, not both")
    if "html" not in formats:
        raise click.UsageError("--embed-audio and --audio-href add a player to the HTML report; "
                               "add html to --format")
    from consult_audio.render.html import audio_from_file

    if embed_audio is not None:
        return audio_from_file(embed_audio, embed=True)
    assert audio_href is not None
    return audio_from_file(audio_href, embed=False, report_dir=output_dir)


# --- analyse -------------------------------------------------------------------------------------


@click.command("analyse", cls=Command, epilog=ANALYSE_EXAMPLES, help=ANALYSE_HELP,
               short_help="Analyse the transcripts of one consultation.")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...",
                type=click.Path(path_type=Path))
@click.option("--id", "consultation_id", callback=check_id,
              help="Consultation id, used in the output file names "
                   "[default: the common part of the input file names].")
@role_option("Role of a speaker: clinician, patient or other (repeatable). Speakers not named "
             "are assigned from their names, then from what they say.")
@rules_option
@click.option("--meta", "meta", multiple=True, metavar="KEY=VALUE", callback=_parse_meta,
              help="Metadata kept with the analysis (repeatable), e.g. clinician_id=C07 and "
                   "date=2026-03-01 (YYYY-MM-DD); the cohort report groups by these two.")
@click.option("--redact", is_flag=True,
              help="Replace names, dates, ages, addresses, phone numbers, e-mails and ID numbers "
                   "in every output with [NAME], [DATE]... (needs consult-audio[redact]). "
                   "Metrics are computed first and do not change.")
@output_dir_option
@format_option(ANALYSE_FORMATS, default=ANALYSE_DEFAULT_FORMATS)
@player_options
@speech_options
@click.pass_obj
def analyse_command(
    ui: Ui,
    /,
    paths: tuple[Path, ...],
    consultation_id: str | None,
    roles: dict[str, Role],
    rules_path: Path | None,
    meta: dict[str, str],
    redact: bool,
    output_dir: Path,
    formats: tuple[str, ...],
    embed_audio: Path | None,
    audio_href: Path | None,
    **speech: Any,
) -> None:
    recording = any(is_audio_path(p) for p in paths)
    settings = {
        "command": "analyse",
        "id": consultation_id,
        "roles": {name: str(role) for name, role in roles.items()},
        "rules": str(rules_path) if rules_path else None,
        "formats": list(formats),
        **({"speech": speech} if recording else {}),
    }
    log.debug("settings: %s", settings)
    rules = load_rules(rules_path) if rules_path else None
    audio = _report_audio(embed_audio, audio_href, formats, output_dir)
    if recording and len(paths) != 1:
        raise click.UsageError("give one recording per consultation (a dual-channel "
                               "recording is one file); transcripts and recordings do not mix")
    request = AnalysisRequest(
        paths=paths, kind=AUDIO if recording else TRANSCRIPT, consultation_id=consultation_id,
        roles=roles, settings={**settings, "redacted": True} if redact else settings,
        metadata=meta, redact=redact)
    try:
        result = run_consultation(request, rules=rules, recording=_recording(ui, speech, rules),
                                  steps=ui.step)
    except UnknownSpeakerError as err:
        raise click.BadParameter(
            f"no speaker {', '.join(map(repr, err.unknown))} in the transcripts; the speakers "
            f"are {', '.join(map(repr, err.speakers))}", param_hint="'--role'") from err
    written = _render_and_write(ui, result, formats, output_dir, audio=audio)
    ui.summary(result, written)


def _recording(ui: Ui, speech: Mapping[str, Any], rules: Rules | None) -> RecordingReader:
    """Reads a recording with the speech options given and the rules in use (``None``: the
    packaged ones), showing each stage's progress."""

    def read(path: Path, *, consultation_id: str | None, roles: Mapping[str, Role],
             language: str | None) -> tuple[Consultation, Mapping[str, Any]]:
        # The language, when given, is among the speech options.
        return read_recording(path, params=speech, consultation_id=consultation_id,
                              roles=roles, console=None if ui.quiet else ui.err, rules=rules)

    return read


# --- report --------------------------------------------------------------------------------------


@click.command("report", cls=Command, epilog=REPORT_EXAMPLES)
@click.argument("paths", nargs=-1, required=True, metavar="ANALYSIS.json...",
                type=click.Path(path_type=Path))
@click.option("--cohort", is_flag=True,
              help="One cohort report (cohort.report.html, cohort.report.md) from many "
                   "analyses: files, or folders searched for *.analysis.json.")
@output_dir_option
@format_option(REPORT_FORMATS)
@player_options
@click.pass_obj
def report_command(
    ui: Ui, paths: tuple[Path, ...], cohort: bool, output_dir: Path, formats: tuple[str, ...],
    embed_audio: Path | None, audio_href: Path | None,
) -> None:
    """Re-render the report and metrics from a saved analysis, without analysing again.

    With --cohort, one report on many consultations: each metric's distribution, and each
    clinician's trend over time where the analyses carry a clinician id and a date.
    """
    if cohort:
        if embed_audio or audio_href:
            raise click.UsageError("--embed-audio and --audio-href are for the report on one "
                                   "consultation, not --cohort")
        _cohort_report(ui, paths, _cohort_formats(formats), output_dir)
        return
    if len(paths) != 1 or paths[0].is_dir():
        raise click.UsageError("give one ANALYSIS.json file, or use --cohort for several files "
                               "or a folder")
    analysis_file = paths[0]
    audio = _report_audio(embed_audio, audio_href, formats, output_dir)
    with ui.step(f"Reading {analysis_file.name}"):
        result = load_analysis(analysis_file)
    require_safe_id(result.consultation.id, hint=f"{analysis_file} may have been edited")
    written = _render_and_write(ui, result, formats, output_dir, audio=audio)
    ui.summary(result, written)


def _cohort_formats(formats: tuple[str, ...]) -> tuple[str, ...]:
    ctx = click.get_current_context()
    if ctx.get_parameter_source("formats") is click.core.ParameterSource.DEFAULT:
        return COHORT_FORMATS
    unknown = [f for f in formats if f not in COHORT_FORMATS]
    if unknown:
        raise click.BadParameter(f"a cohort report is {' or '.join(COHORT_FORMATS)}, not "
                                 f"{', '.join(unknown)}", param_hint="'--format'")
    return formats


def _cohort_report(ui: Ui, paths: Sequence[Path], formats: Sequence[str],
                   output_dir: Path) -> None:
    from consult_audio.render import cohort

    files = cohort.analysis_files(paths)
    with ui.step(f"Reading {plural(len(files), 'analysis file')}"):
        results = [load_analysis(path) for path in files]
    with ui.step(f"Writing the cohort report ({', '.join(formats)})"):
        texts = {"html": cohort.render_cohort_html, "md": cohort.render_cohort_markdown}
        written = write_outputs(
            {output_dir / f"{COHORT_ID}{OUTPUT_SUFFIXES[fmt]}": texts[fmt](results)
             for fmt in formats}, output_dir)
    if ui.quiet:
        ui.files(written)
        return
    for path in written:
        ui.out.print(Text(f"wrote {path}"))


def _render_and_write(
    ui: Ui, result: AnalysisResult, formats: Sequence[str], output_dir: Path, *,
    audio: ReportAudio | None = None,
) -> list[Path]:
    with ui.step(f"Writing {', '.join(formats)}"):
        texts = render_outputs(result, formats, audio=audio)
        files = {output_dir / f"{result.consultation.id}{OUTPUT_SUFFIXES[fmt]}": text
                 for fmt, text in texts.items()}
        return write_outputs(files, output_dir)
