"""The ``consult-audio`` command line: parse options, call the library, map errors to exit codes.

Exit codes: 0 success; 2 a usage error or a :class:`~consult_audio.errors.ConsultAudioError` (bad or
missing input, bad rules file, an analysis file of another schema) or an operating-system error
writing the outputs, reported as one ``error: ...`` line on stderr. Outputs are rendered in memory
first and written all or nothing (:mod:`consult_audio.output`).

The commands live in their own modules (:mod:`~consult_audio.cli.analyse`,
:mod:`~consult_audio.cli.batch`, :mod:`~consult_audio.cli.speech`), what they share in
:mod:`~consult_audio.cli.common`; this module only makes the group and adds them to it.
"""

from __future__ import annotations

import click

from consult_audio import __version__
from consult_audio.cli.analyse import analyse_command, report_command
from consult_audio.cli.batch import (
    agreement_command,
    batch_command,
    export_command,
    forget_command,
)
from consult_audio.cli.common import CliError, ErrorGroup, Ui
from consult_audio.cli.speech import models_group
from consult_audio.cli.verbosity import Verbosity
from consult_audio.output import is_safe_id

__all__ = ["CliError", "Ui", "is_safe_id", "main"]

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

MAIN_EXAMPLES = """\b
Examples:
  consult-audio analyse examples/consultation.vtt --output-dir out/
  consult-audio analyse day1_consultation01_doctor.TextGrid day1_consultation01_patient.TextGrid
  consult-audio report out/consultation.analysis.json --format md
"""


@click.group(cls=ErrorGroup, context_settings=CONTEXT_SETTINGS, epilog=MAIN_EXAMPLES)
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


for _command in (analyse_command, report_command, batch_command, export_command,
                 agreement_command, forget_command, models_group):
    main.add_command(_command)
