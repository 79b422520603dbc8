"""The global options ``-v``/``--verbose`` and ``-q``/``--quiet``, taken before the command or after
it (``consult-audio -q analyse FILE`` and ``consult-audio analyse FILE -q``), as git and pip take
theirs.

The options are defined once here and given to every command by :class:`Command` and
:class:`Group`: a group made with ``cls=Group`` gives them to itself, to the commands made with
its ``command()`` decorator, and to its subgroups. Each occurrence updates the one
:class:`Verbosity` of the invocation (the root's ``ctx.obj``) and configures logging again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import click
from rich.console import Console
from rich.logging import RichHandler

__all__ = ["Command", "Group", "Verbosity"]

# Level of the package's log records by the count of -v.
LEVELS = (logging.WARNING, logging.INFO, logging.DEBUG)


@dataclass
class Verbosity:
    """How much the command line says: ``verbose`` is the count of ``-v`` (1: info, 2: debug);
    ``quiet`` prints only the files written, and errors."""

    verbose: int = 0
    quiet: bool = False

    def apply(self) -> None:
        """Check the options go together, and log at their level (the CLI's logging setup)."""
        if self.verbose and self.quiet:
            raise click.UsageError("--verbose and --quiet cannot be used together")
        configure_logging(verbose=self.verbose, quiet=self.quiet)


_LOG_HANDLER: logging.Handler | None = None


def configure_logging(*, verbose: int, quiet: bool) -> None:
    """Log records of the package to stderr; the only place that configures logging."""
    global _LOG_HANDLER
    level = logging.ERROR if quiet else LEVELS[min(verbose, len(LEVELS) - 1)]
    logger = logging.getLogger("consult_audio")
    if _LOG_HANDLER is None:
        _LOG_HANDLER = RichHandler(console=Console(stderr=True), show_path=False,
                                   rich_tracebacks=False)
        logger.addHandler(_LOG_HANDLER)
    logger.setLevel(level)


def _update(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if not value:  # not given here: what was given before the command stands
        return
    # Before the root command's callback has made the Ui there is none yet: start one.
    state = ctx.find_object(Verbosity) or ctx.find_root().ensure_object(Verbosity)
    if param.name == "verbose":
        state.verbose += value
    else:
        state.quiet = True
    state.apply()


def verbosity_options() -> list[click.Parameter]:
    """New ``-v``/``--verbose`` and ``-q``/``--quiet`` options (one set per command)."""
    return [
        click.Option(["-v", "--verbose"], count=True, expose_value=False, callback=_update,
                     help="More log messages on stderr (-vv: debug)."),
        click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, callback=_update,
                     help="No progress or summary; print only the files written, and errors."),
    ]


class Command(click.Command):
    """A command that takes the global options too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(verbosity_options())


class Group(click.Group):
    """A group that takes the global options, and gives them to its commands and subgroups."""

    command_class = Command
    group_class = type  # subgroups are of this group's class

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(verbosity_options())
