"""What every command of the command line shares: the user-facing error and the exit code of
errors, the terminal output (:class:`Ui`: progress on stderr, the summary on stdout), and the
options that several commands take, each defined once here.

Nothing here imports a command module, so every command module can import this one.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from consult_audio import catalogue as m
from consult_audio.cli.verbosity import Group, Verbosity
from consult_audio.errors import ConsultAudioError
from consult_audio.inputs import NotNameRole, parse_role_assignment
from consult_audio.model import AnalysisResult, Role
from consult_audio.output import is_safe_id, os_error_message

__all__ = ["EXIT_ERROR", "CliError", "ErrorGroup", "Ui", "format_option", "output_dir_option",
           "player_options", "role_option", "rules_option", "summary_table"]

F = TypeVar("F", bound=Callable[..., Any])

EXIT_ERROR = 2  # the exit code of usage errors, which click also uses


class CliError(click.ClickException):
    """A user-facing error: printed as one ``error: ...`` line, exit code 2, no traceback."""

    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True, file=file)


class ErrorGroup(Group):
    """Turns the library's errors into :class:`CliError` at the command-line boundary."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConsultAudioError as err:
            raise CliError(str(err)) from err
        except OSError as err:
            if err.errno == errno.EPIPE:  # stdout closed early (| head): click handles it
                raise
            raise CliError(os_error_message(err)) from err


# --- options -------------------------------------------------------------------------------------


def check_id(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Callback of ``--id``: a consultation id that can name output files."""
    if value is not None and not is_safe_id(value):
        raise click.BadParameter(
            f"{value!r} is not a safe file name; use letters, digits, '.', '_' and '-', "
            "not starting with '.'")
    return value


def _parse_roles(
    ctx: click.Context, param: click.Parameter, values: Sequence[str]
) -> dict[str, Role]:
    roles: dict[str, Role] = {}
    for value in values:
        try:
            name, role = parse_role_assignment(value)
        except NotNameRole as err:
            raise click.BadParameter(
                f"{value!r} is not NAME=ROLE; e.g. --role doctor=clinician --role Sam=patient"
            ) from err
        except ValueError as err:
            raise click.BadParameter(f"{value!r}: {err}") from err
        roles[name] = role
    return roles


def role_option(help_text: str) -> Callable[[F], F]:
    """``--role NAME=ROLE`` (repeatable), parsed into a mapping of speaker label to role."""
    return click.option("--role", "roles", multiple=True, metavar="NAME=ROLE",
                        callback=_parse_roles, help=help_text)


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


def player_options(f: F) -> F:
    """``--embed-audio PATH`` / ``--audio-href PATH``: a player in the HTML report."""
    f = click.option(
        "--audio-href", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
        help="HTML report: a player linked to this local recording (by a path relative to the "
             "output directory; keep the two together).")(f)
    return click.option(
        "--embed-audio", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
        help="HTML report: put this recording inside the page, so it plays offline. Opt-in: "
             "the recording is health data, and the page then holds it.")(f)


rules_option = click.option(
    "--rules", "rules_path", type=click.Path(dir_okay=False, path_type=Path),
    help="Rules file (JSON) replacing the packaged cue lexicons and patterns.")


output_dir_option = click.option(
    "--output-dir", "-o", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
    show_default=True, help="Directory for the outputs, created if missing.")


# --- terminal output -----------------------------------------------------------------------------


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


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
            self.files(written)
            return
        self.out.print(summary_table(result, written))

    def files(self, written: Sequence[Path]) -> None:
        """The files written, one a line on stdout (what a quiet command prints)."""
        for path in written:
            click.echo(str(path))


def summary_table(result: AnalysisResult, written: Sequence[Path]) -> Table:
    """The headline metrics of an analysis on one screen."""
    r = result
    if m.OPENING_FOUND(r) and (duration := m.OPENING_DURATION_S(r)) is not None:
        opening = f"{duration:.0f} s, " + ("completed" if m.OPENING_COMPLETED(r)
                                            else "interrupted")
    else:
        opening = "not found"
    ratio = m.OPEN_RATIO(r)
    first = m.PSYCHOSOCIAL_FIRST_S(r)
    rows: Mapping[str, str] = {
        "Talk share": f"clinician {_percent(m.CLINICIAN_SHARE(r))}, "
                      f"patient {_percent(m.PATIENT_SHARE(r))}",
        "Opening statement": opening,
        "Interruptions": f"by clinician {m.INTERRUPTIONS_BY_CLINICIAN(r)}, by patient "
                         f"{m.INTERRUPTIONS_BY_PATIENT(r)}; backchannels {m.BACKCHANNELS(r)}",
        "Questions": f"open {m.QUESTIONS_OPEN(r)}, closed {m.QUESTIONS_CLOSED(r)}, open ratio "
                     + ("-" if ratio is None else f"{ratio:.2f}"),
        "First psychosocial": "none" if first is None
                              else f"{_clock(first)} by the {m.PSYCHOSOCIAL_FIRST_BY(r)}",
        "Expectations elicited": _yes(m.EXPECTATIONS_ELICITED(r)),
        "Agenda elicited": _yes(m.AGENDA_ELICITED(r)),
        "Empathy": f"{m.EMPATHY(r)} shown, {m.MISSED_EMPATHY(r)} missed",
        "Files written": "\n".join(str(path) for path in written) or "-",
    }
    table = Table(title=Text(f"{m.ID(r)} ({_clock(m.DURATION_S(r))})"),
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
