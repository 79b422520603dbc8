"""Headline metrics as one CSV row (a header and one row per file), for spreadsheets and stats.

Columns are documented in ``docs/csv-columns.md``; definitions follow the coding manual. Shares and
fractions are 0-1, times are seconds, an empty cell means the value could not be measured.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from consult_audio.model import AnalysisResult

DECIMALS = 4  # floats are rounded to this many places (0.1 ms for times)


@dataclass(frozen=True, slots=True)
class Column:
    """One CSV column: its name, unit, definition and how to read it from a result."""

    name: str
    unit: str
    description: str
    get: Callable[[AnalysisResult], object]


def _rules_version(r: AnalysisResult) -> object:
    rules = r.provenance.get("rules")
    return rules.get("version") if isinstance(rules, Mapping) else None


COLUMNS: tuple[Column, ...] = (
    Column("id", "", "Consultation id (from the file name unless given).",
           lambda r: r.consultation.id),
    Column("duration_s", "s", "Length of the recording.",
           lambda r: r.metrics.talk_time.duration_s),
    Column("clinician_share", "0-1",
           "Clinician talk time (union of the clinician's speech intervals) over speech time "
           "(clinician + patient speech, silence excluded).",
           lambda r: r.metrics.talk_time.clinician_share),
    Column("patient_share", "0-1", "Patient talk time over speech time, as clinician_share.",
           lambda r: r.metrics.talk_time.patient_share),
    Column("silence_share", "0-1", "Time when nobody speaks, over the recording.",
           lambda r: r.metrics.talk_time.silence_share),
    Column("overlap_share", "0-1", "Time when two speakers speak at once, over the recording.",
           lambda r: r.metrics.talk_time.overlap_share),
    Column("clinician_turns", "count",
           "Clinician turns: maximal stretches of the clinician's speech, pauses under 1.0 s "
           "merged, that the patient does not take over (backchannels do not end a turn).",
           lambda r: r.metrics.turns.clinician.turns),
    Column("patient_turns", "count", "Patient turns, as clinician_turns.",
           lambda r: r.metrics.turns.patient.turns),
    Column("longest_monologue_clinician_s", "s", "The clinician's longest turn.",
           lambda r: r.metrics.turns.clinician.longest_monologue_s),
    Column("longest_monologue_patient_s", "s", "The patient's longest turn.",
           lambda r: r.metrics.turns.patient.longest_monologue_s),
    Column("clinician_wpm", "words/min", "Clinician words per minute of clinician talk time.",
           lambda r: r.metrics.turns.clinician.words_per_minute),
    Column("patient_wpm", "words/min", "Patient words per minute of patient talk time.",
           lambda r: r.metrics.turns.patient.words_per_minute),
    Column("interruptions_by_clinician", "count",
           "Overlaps where the clinician started substantive talk while the patient was "
           "mid-utterance (not at a completion point). Backchannels are never counted.",
           lambda r: r.metrics.interruptions.by_clinician),
    Column("interruptions_by_patient", "count", "Interruptions by the patient, as above.",
           lambda r: r.metrics.interruptions.by_patient),
    Column("interruptions_per_10_min", "per 10 min",
           "Interruptions by either speaker per 10 minutes of recording.",
           lambda r: r.metrics.interruptions.per_10_min),
    Column("backchannels", "count",
           "Listener tokens said over the other speaker without taking the floor (\"mm\", "
           "\"yeah\", \"okay\", a repeated word), by either speaker.",
           lambda r: r.metrics.interruptions.backchannels),
    Column("opening_found", "True/False",
           "Whether the patient's opening statement (first substantive turn about why they "
           "came, after the clinician's opening question) was found.",
           lambda r: r.metrics.opening_statement.found),
    Column("opening_duration_s", "s",
           "Opening statement length: from its start to the first clinician utterance that takes "
           "the floor (backchannels and encouragers do not end it).",
           lambda r: r.metrics.opening_statement.duration_s),
    Column("opening_completed", "True/False",
           "True when the patient reached a completion point before the clinician took the "
           "floor; False when the clinician cut in mid-utterance.",
           lambda r: r.metrics.opening_statement.completed),
    Column("opening_first_interruption_s", "s",
           "From the start of the opening statement to the clinician utterance that interrupted "
           "it; empty when it was completed.",
           lambda r: r.metrics.opening_statement.first_interruption_s),
    Column("questions_open", "count",
           "Clinician open questions: the patient can answer in their own words (\"How can I "
           "help?\", \"Tell me about the pain\"; agenda, expectations and ideas questions).",
           lambda r: r.metrics.questions.open),
    Column("questions_closed", "count",
           "Clinician closed questions: yes/no, either/or, or one specific fact.",
           lambda r: r.metrics.questions.closed),
    Column("open_ratio", "0-1", "questions_open / (questions_open + questions_closed).",
           lambda r: r.metrics.questions.open_ratio),
    Column("psychosocial_first_s", "s",
           "Start of the first psychosocial utterance (emotions, concerns and beliefs, work, "
           "family, social life, daily life, finances, stressors), by either speaker.",
           lambda r: r.metrics.psychosocial.first_s),
    Column("psychosocial_first_by", "role", "Who raised it first: clinician or patient.",
           lambda r: r.metrics.psychosocial.first_by),
    Column("psychosocial_first_fraction", "0-1",
           "psychosocial_first_s over the length of the recording.",
           lambda r: r.metrics.psychosocial.first_fraction),
    Column("psychosocial_share", "0-1",
           "Time covered by psychosocial utterances over speech time.",
           lambda r: r.metrics.psychosocial.share),
    Column("expectations_elicited", "True/False",
           "The clinician asked what the patient hopes for, expects or wants from the visit.",
           lambda r: r.metrics.habits.expectations_elicited),
    Column("agenda_elicited", "True/False",
           "The clinician invited the patient's other concerns (\"anything else?\").",
           lambda r: r.metrics.habits.agenda_elicited),
    Column("empathy", "count",
           "Clinician statements naming or acknowledging the patient's feeling (reassurance "
           "is not empathy).",
           lambda r: r.metrics.habits.empathy),
    Column("missed_empathy", "count",
           "Patient emotions or concerns that the clinician's next substantive turn neither "
           "acknowledged nor asked about.",
           lambda r: r.metrics.habits.missed_empathy),
    Column("options_offered", "count", "Clinician utterances describing options.",
           lambda r: r.metrics.habits.options_offered),
    Column("preference_asked", "count",
           "Clinician utterances asking the patient's view on a plan (\"How does that sound?\").",
           lambda r: r.metrics.habits.preference_asked),
    Column("summary", "count", "Clinician summaries.", lambda r: r.metrics.habits.summary),
    Column("teach_back", "count",
           "Clinician requests that the patient say the plan back in their own words.",
           lambda r: r.metrics.habits.teach_back),
    Column("harmful_language", "count",
           "Threatening pathoanatomical labels said by the clinician (\"wear and tear\", "
           "\"degeneration\"...).",
           lambda r: r.metrics.habits.harmful_language),
    Column("patient_questions", "count", "Questions the patient asked.",
           lambda r: r.metrics.questions.patient_questions),
    Column("rules_version", "", "Version of the rules file that coded the events.",
           _rules_version),
)

HEADLINE_COLUMNS: list[tuple[str, str]] = [(c.name, c.description) for c in COLUMNS]


def headline_row(result: AnalysisResult) -> dict[str, object]:
    """The headline metrics of one result, by column name in :data:`HEADLINE_COLUMNS` order.

    Floats are rounded to :data:`DECIMALS` places; ``None`` means not measured (an empty cell).
    """
    row: dict[str, object] = {}
    for column in COLUMNS:
        value = column.get(result)
        row[column.name] = round(value, DECIMALS) if isinstance(value, float) else value
    return row


def write_metrics_csv(result: AnalysisResult, path: Path | str) -> None:
    """Write a header and one row of headline metrics to ``path`` (UTF-8, empty cell for None)."""
    with Path(path).open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[c.name for c in COLUMNS])
        writer.writeheader()
        writer.writerow(headline_row(result))
