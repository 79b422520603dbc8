"""The ``consult-audio`` command line: parse options, call the library, map errors to exit codes.

Exit codes: 0 success; 2 a usage error or a :class:`~consult_audio.errors.ConsultAudioError` (bad or
missing input, bad rules file, an analysis file of another schema) or an operating-system error
writing the outputs, reported as one ``error: ...`` line on stderr. Outputs are rendered in memory
first and written all or nothing (:mod:`consult_audio.output`).
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from consult_audio import __version__, analysis
from consult_audio.audio import AUDIO_SUFFIXES, is_audio_path
from consult_audio.cli.speech import models_group, read_recording, speech_options
from consult_audio.cli.verbosity import Group, Verbosity
from consult_audio.errors import ConsultAudioError, InputError, SchemaError
from consult_audio.model import AnalysisResult, Role, Speaker
from consult_audio.output import text_from_writer, write_all
from consult_audio.readers import TRANSCRIPT_SUFFIXES, load_consultation
from consult_audio.roles import parse_role
from consult_audio.rules import load_rules

if TYPE_CHECKING:
    from consult_audio.render.html import ReportAudio

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

EXIT_ERROR = 2  # the exit code of usage errors, which click also uses
# output format -> file name suffix after the consultation id
OUTPUT_SUFFIXES = {"json": ".analysis.json", "md": ".report.md", "csv": ".metrics.csv",
                   "html": ".report.html"}
ANALYSE_FORMATS = ("json", "md", "csv", "html")
ANALYSE_DEFAULT_FORMATS = ("json", "md", "csv")  # html on request (--format)
REPORT_FORMATS = ("md", "csv", "html")
COHORT_FORMATS = ("html", "md")  # report --cohort writes cohort.report.html / .md
COHORT_ID = "cohort"
# letters, digits, "." "_" "-"; not starting with "." (no hidden files, no "." or "..")
_SAFE_ID_RE = re.compile(r"(?!\.)[\w.-]+")
HASH_CHUNK = 1 << 20  # bytes read at a time when hashing an input file

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

MAIN_EXAMPLES = """\b
Examples:
  consult-audio analyse examples/consultation.vtt --output-dir out/
  consult-audio analyse day1_consultation01_doctor.TextGrid day1_consultation01_patient.TextGrid
  consult-audio report out/consultation.analysis.json --format md
"""

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


class CliError(click.ClickException):
    """A user-facing error: printed as one ``error: ...`` line, exit code 2, no traceback."""

    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True, file=file)


class _Group(Group):
    """Turns the library's errors into :class:`CliError` at the command-line boundary."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConsultAudioError as err:
            raise CliError(str(err)) from err
        except OSError as err:
            if err.errno == errno.EPIPE:  # stdout closed early (| head): click handles it
                raise
            raise CliError(_os_error_message(err)) from err


def _os_error_message(err: OSError) -> str:
    where = f"{err.filename}: " if err.filename else ""
    return f"{where}{err.strerror or err}"


# --- option parsing ------------------------------------------------------------------------------


def _check_id(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not is_safe_id(value):
        raise click.BadParameter(
            f"{value!r} is not a safe file name; use letters, digits, '.', '_' and '-', "
            "not starting with '.'")
    return value


def is_safe_id(value: str) -> bool:
    """True when ``value`` can name output files: letters, digits, ``._-``, no leading ``.``."""
    return bool(_SAFE_ID_RE.fullmatch(value))


def _parse_roles(
    ctx: click.Context, param: click.Parameter, values: Sequence[str]
) -> dict[str, Role]:
    roles: dict[str, Role] = {}
    for value in values:
        name, sep, role = value.rpartition("=")
        if not sep or not name.strip():
            raise click.BadParameter(
                f"{value!r} is not NAME=ROLE; e.g. --role doctor=clinician --role Sam=patient")
        try:
            roles[name.strip()] = parse_role(role)
        except ValueError as err:
            raise click.BadParameter(f"{value!r}: {err}") from err
    return roles


def _format_parser(
    choices: Sequence[str],
) -> Callable[[click.Context, click.Parameter, str], tuple[str, ...]]:
    def parse(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
        formats = [f.strip().lower() for f in value.split(",") if f.strip()]
        unknown = [f for f in formats if f not in choices]
        if unknown or not formats:
            raise click.BadParameter(
                f"unknown format {', '.join(unknown) or '(none)'}; "
                f"give a comma-separated list of {', '.join(choices)}")
        return tuple(dict.fromkeys(formats))

    return parse


def format_option(
    choices: Sequence[str], *, default: Sequence[str] | None = None
) -> Callable[[F], F]:
    """``--format``: a comma-separated subset of ``choices``; ``default`` (all) when not given."""
    return click.option(
        "--format", "formats", default=",".join(default or choices), show_default=True,
        callback=_format_parser(choices), metavar="LIST",
        help=f"Outputs to write, comma-separated: {', '.join(choices)}.")


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


def audio_options(f: F) -> F:
    """``--embed-audio PATH`` / ``--audio-href PATH``: a player in the HTML report."""
    f = click.option(
        "--audio-href", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
        help="HTML report: a player linked to this local recording (by a path relative to the "
             "output directory; keep the two together).")(f)
    return click.option(
        "--embed-audio", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
        help="HTML report: put this recording inside the page, so it plays offline. Opt-in: "
             "the recording is health data, and the page then holds it.")(f)


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


def role_option(help_text: str) -> Callable[[F], F]:
    """``--role NAME=ROLE`` (repeatable), parsed into a mapping of speaker label to role."""
    return click.option("--role", "roles", multiple=True, metavar="NAME=ROLE",
                        callback=_parse_roles, help=help_text)


rules_option = click.option(
    "--rules", "rules_path", type=click.Path(dir_okay=False, path_type=Path),
    help="Rules file (JSON) replacing the packaged cue lexicons and patterns.")


output_dir_option = click.option(
    "--output-dir", "-o", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
    show_default=True, help="Directory for the outputs, created if missing.")


# --- the commands --------------------------------------------------------------------------------


@click.group(cls=_Group, context_settings=CONTEXT_SETTINGS, epilog=MAIN_EXAMPLES)
@click.version_option(__version__, "--version", prog_name="consult-audio")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Communication feedback from recorded clinician-patient consultations.

    Reads a consultation transcript (one file, or one file per speaker), measures talk time,
    interruptions, the patient's opening statement, questions, psychosocial talk and the Four
    Habits, and writes a JSON analysis, a Markdown report and a CSV of metrics. Nothing is sent
    over the network.

    -v/--verbose and -q/--quiet go before the command or after it.
    """
    given = ctx.find_object(Verbosity) or Verbosity()  # -v/-q before the command
    ctx.obj = ui = Ui(verbose=given.verbose, quiet=given.quiet)
    ui.apply()


@main.command("analyse", epilog=ANALYSE_EXAMPLES, help=ANALYSE_HELP,
              short_help="Analyse the transcripts of one consultation.")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...",
                type=click.Path(path_type=Path))
@click.option("--id", "consultation_id", callback=_check_id,
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
@audio_options
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
    extra: dict[str, Any] = {}
    if recording:
        if len(paths) != 1:
            raise click.UsageError("give one recording per consultation (a dual-channel "
                                   "recording is one file); transcripts and recordings do not mix")
        inputs = [{"name": paths[0].name, "sha256": sha256_file(paths[0])}]
        consultation, extra = read_recording(
            paths[0], params=speech, consultation_id=consultation_id, roles=roles,
            console=None if ui.quiet else ui.err)
    else:
        with ui.step(f"Reading {_plural(len(paths), 'transcript')}"):
            consultation = load_consultation(paths, consultation_id=consultation_id, roles=roles)
            inputs = [{"name": p.name, "sha256": sha256_file(p)} for p in paths]
    _require_known_speakers(roles, consultation.speakers)
    _require_safe_id(consultation.id, hint="give one with --id")
    provenance: dict[str, Any] = {"inputs": inputs, "settings": settings, **extra}
    if meta:
        provenance["metadata"] = meta
    if redact:
        provenance["settings"] = {**settings, "redacted": True}
    with ui.step(f"Analysing {consultation.id}"):
        result = analysis.analyse(consultation, rules=rules, provenance=provenance)
    if redact:
        from consult_audio.privacy.redact import redact_result

        with ui.step("Removing personal identifiers"):
            result = redact_result(result)
    written = _render_and_write(ui, result, formats, output_dir, audio=audio)
    ui.summary(result, written)


@main.command("report", epilog=REPORT_EXAMPLES)
@click.argument("paths", nargs=-1, required=True, metavar="ANALYSIS.json...",
                type=click.Path(path_type=Path))
@click.option("--cohort", is_flag=True,
              help="One cohort report (cohort.report.html, cohort.report.md) from many "
                   "analyses: files, or folders searched for *.analysis.json.")
@output_dir_option
@format_option(REPORT_FORMATS)
@audio_options
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
    _require_safe_id(result.consultation.id, hint=f"{analysis_file} may have been edited")
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
    with ui.step(f"Reading {_plural(len(files), 'analysis file')}"):
        results = [load_analysis(path) for path in files]
    with ui.step(f"Writing the cohort report ({', '.join(formats)})"):
        texts = {"html": cohort.render_cohort_html, "md": cohort.render_cohort_markdown}
        written = _write_outputs(
            {output_dir / f"{COHORT_ID}{OUTPUT_SUFFIXES[fmt]}": texts[fmt](results)
             for fmt in formats}, output_dir)
    for path in written:
        if ui.quiet:
            click.echo(str(path))
        else:
            ui.out.print(Text(f"wrote {path}"))


# --- helpers the commands call -------------------------------------------------------------------


def load_analysis(path: Path) -> AnalysisResult:
    """A saved ``*.analysis.json``; :class:`SchemaError` when it is not one."""
    from consult_audio.readers.base import MAX_JSON_DEPTH, check_size
    from consult_audio.readers.jsonfile import json_depth

    try:
        check_size(path)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise InputError(path, "file not found; check the path") from err
    except UnicodeDecodeError as err:
        raise SchemaError(f"not a consult-audio analysis v1 file: {path}: not UTF-8 text") from err
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("the file does not hold a JSON object")
        if json_depth(data) > MAX_JSON_DEPTH:
            raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep")
        return AnalysisResult.from_dict(data)
    except RecursionError as err:
        raise SchemaError(f"not a consult-audio analysis v1 file: {path}: "
                          "JSON nested too deeply to read") from err
    except (ValueError, TypeError, KeyError) as err:  # JSONDecodeError is a ValueError
        raise SchemaError(f"not a consult-audio analysis v1 file: {path}: {err}") from err


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, recorded in the provenance of an analysis."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            while chunk := f.read(HASH_CHUNK):
                digest.update(chunk)
    except OSError as err:
        raise InputError(path, f"cannot read the file: {err.strerror or err}") from err
    return digest.hexdigest()


def _require_known_speakers(roles: Mapping[str, Role], speakers: Sequence[Speaker]) -> None:
    # A misspelt --role would otherwise be ignored silently and the roles inferred instead.
    labels = {s.label.lower() for s in speakers}
    unknown = [name for name in roles if name.lower() not in labels]
    if unknown:
        raise click.BadParameter(
            f"no speaker {', '.join(map(repr, unknown))} in the transcripts; the speakers are "
            f"{', '.join(repr(s.label) for s in speakers)}", param_hint="'--role'")


def _require_safe_id(consultation_id: str, *, hint: str) -> None:
    if not is_safe_id(consultation_id):
        raise CliError(f"consultation id {consultation_id!r} is not a safe file name (letters, "
                       f"digits, '.', '_' and '-', not starting with '.'); {hint}")


def render_outputs(
    result: AnalysisResult, formats: Sequence[str], *, audio: ReportAudio | None = None
) -> dict[str, str]:
    """Every requested output as text (format -> text), rendered in memory. ``audio`` adds a
    player to the HTML report."""
    texts: dict[str, str] = {}
    if "json" in formats:
        texts["json"] = json.dumps(result.to_dict(), indent=2) + "\n"
    if "html" in formats:
        from consult_audio.render.html import render_html

        texts["html"] = render_html(result, audio=audio)
    if "md" in formats or "csv" in formats:
        # Imported here so that --format json works without the renderers' dependencies.
        from consult_audio import render

        if "md" in formats:
            texts["md"] = render.render_markdown(result)
        if "csv" in formats:
            texts["csv"] = text_from_writer(
                lambda path: render.write_metrics_csv(result, path), name="metrics.csv")
    return {fmt: texts[fmt] for fmt in formats}


def _render_and_write(
    ui: Ui, result: AnalysisResult, formats: Sequence[str], output_dir: Path, *,
    audio: ReportAudio | None = None,
) -> list[Path]:
    with ui.step(f"Writing {', '.join(formats)}"):
        texts = render_outputs(result, formats, audio=audio)
        files = {output_dir / f"{result.consultation.id}{OUTPUT_SUFFIXES[fmt]}": text
                 for fmt, text in texts.items()}
        return _write_outputs(files, output_dir)


def _write_outputs(files: Mapping[Path, str], output_dir: Path) -> list[Path]:
    """Write ``files`` (all in ``output_dir``, created if missing) all or nothing."""
    missing = [d for d in (output_dir, *output_dir.parents) if not d.exists()]
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        write_all(files)
    except BaseException as err:
        for directory in missing:  # the folders this run made, deepest first
            _remove_if_empty(directory)
        if isinstance(err, OSError):
            raise CliError(f"cannot write the outputs in {output_dir}: "
                           f"{_os_error_message(err)}") from err
        raise
    for path in files:
        log.info("wrote %s", path)
    return list(files)


def _remove_if_empty(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not empty, or gone: leave it
        directory.rmdir()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- terminal output -----------------------------------------------------------------------------


@dataclass
class Ui(Verbosity):
    """Progress on stderr and the summary on stdout; silent but for the file names when quiet
    (``quiet`` may be set after the command's name too, so it is read when output is made)."""

    def __post_init__(self) -> None:
        # Consoles look up sys.stdout / sys.stderr when they print, so test runners can capture.
        self.err = Console(stderr=True, highlight=False)
        self.out = Console(highlight=False)

    @contextmanager
    def step(self, message: str) -> Iterator[None]:
        if self.quiet:
            yield
            return
        with self.err.status(f"{escape(message)}..."):
            yield
        self.err.print(f"[green]done[/green] {escape(message)}")

    def summary(self, result: AnalysisResult, written: Sequence[Path]) -> None:
        if self.quiet:
            for path in written:
                click.echo(str(path))
            return
        self.out.print(summary_table(result, written))


def summary_table(result: AnalysisResult, written: Sequence[Path]) -> Table:
    """The headline metrics of an analysis on one screen."""
    m = result.metrics
    tt, op, i, q, p, h = (m.talk_time, m.opening_statement, m.interruptions, m.questions,
                          m.psychosocial, m.habits)
    if op.found and op.duration_s is not None:
        opening = f"{op.duration_s:.0f} s, " + ("completed" if op.completed else "interrupted")
    else:
        opening = "not found"
    rows: Mapping[str, str] = {
        "Talk share": f"clinician {_percent(tt.clinician_share)}, "
                      f"patient {_percent(tt.patient_share)}",
        "Opening statement": opening,
        "Interruptions": f"by clinician {i.by_clinician}, by patient {i.by_patient}; "
                         f"backchannels {i.backchannels}",
        "Questions": f"open {q.open}, closed {q.closed}, open ratio "
                     + ("-" if q.open_ratio is None else f"{q.open_ratio:.2f}"),
        "First psychosocial": "none" if p.first_s is None
                              else f"{_clock(p.first_s)} by the {p.first_by}",
        "Expectations elicited": _yes(h.expectations_elicited),
        "Agenda elicited": _yes(h.agenda_elicited),
        "Empathy": f"{h.empathy} shown, {h.missed_empathy} missed",
        "Files written": "\n".join(str(path) for path in written) or "-",
    }
    table = Table(title=Text(f"{result.consultation.id} ({_clock(tt.duration_s)})"),
                  show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(overflow="fold")  # long file paths wrap rather than end in "..."
    for key, value in rows.items():
        table.add_row(key, Text(value))  # Text: no markup in file names or ids
    return table


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def _yes(value: bool) -> str:
    return "yes" if value else "no"


# --- commands defined in their own modules -------------------------------------------------------
# Each module below registers its commands on ``main`` when imported (one import line each).
main.add_command(models_group)
from consult_audio.cli import batch as _batch  # noqa: E402,F401
