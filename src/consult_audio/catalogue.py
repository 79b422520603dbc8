"""The catalogue of metrics: each one's name, unit, definition, and how to read it from an
:class:`~consult_audio.model.AnalysisResult`.

Every place that shows or stores a metric reads it through this catalogue: the metrics CSV and
the batch database (:data:`HEADLINE`, in column order, documented in ``docs/csv-columns.md``),
the exported tables, the cohort report, the cards of the Markdown and HTML reports, the
Markdown report's table and the command line's summary. A metric is called on a result:
``PATIENT_SHARE(result)``.

Units: ``s`` seconds, ``0-1`` a share or fraction, ``count``, ``True/False``, ``words/min``,
``per 10 min``, ``role`` (clinician or patient), ``""`` text. ``None`` means not measured.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from consult_audio.model import AnalysisResult

__all__ = ["DECIMALS", "HEADLINE", "Metric", "headline_values"]

T = TypeVar("T")

DECIMALS = 4  # floats are stored and written rounded to this many places (0.1 ms for times)


@dataclass(frozen=True, slots=True)
class Metric(Generic[T]):
    """One metric: its name (the CSV column), unit, definition and how to read it."""

    name: str
    unit: str
    description: str
    get: Callable[[AnalysisResult], T]

    def __call__(self, result: AnalysisResult) -> T:
        return self.get(result)


def _rules_version(r: AnalysisResult) -> object:
    rules = r.provenance.get("rules")
    return rules.get("version") if isinstance(rules, Mapping) else None


def _per_10_min(count: int, duration_s: float) -> float | None:
    return 600.0 * count / duration_s if duration_s > 0 else None


# --- the consultation ----------------------------------------------------------------------------

ID = Metric("id", "", "Consultation id (from the file name unless given).",
            lambda r: r.consultation.id)
DURATION_S = Metric("duration_s", "s", "Length of the recording.",
                    lambda r: r.metrics.talk_time.duration_s)
RULES_VERSION = Metric("rules_version", "", "Version of the rules file that coded the events.",
                       _rules_version)

# --- talk time and turns -------------------------------------------------------------------------

CLINICIAN_TALK_S = Metric(
    "clinician_talk_s", "s", "Clinician talk time: the union of the clinician's speech intervals.",
    lambda r: r.metrics.talk_time.clinician_s)
PATIENT_TALK_S = Metric("patient_talk_s", "s", "Patient talk time, as clinician_talk_s.",
                        lambda r: r.metrics.talk_time.patient_s)
CLINICIAN_SHARE = Metric(
    "clinician_share", "0-1",
    "Clinician talk time (union of the clinician's speech intervals) over speech time "
    "(clinician + patient speech, silence excluded).",
    lambda r: r.metrics.talk_time.clinician_share)
PATIENT_SHARE = Metric("patient_share", "0-1",
                       "Patient talk time over speech time, as clinician_share.",
                       lambda r: r.metrics.talk_time.patient_share)
SILENCE_SHARE = Metric("silence_share", "0-1", "Time when nobody speaks, over the recording.",
                       lambda r: r.metrics.talk_time.silence_share)
OVERLAP_SHARE = Metric("overlap_share", "0-1",
                       "Time when two speakers speak at once, over the recording.",
                       lambda r: r.metrics.talk_time.overlap_share)
CLINICIAN_TURNS = Metric(
    "clinician_turns", "count",
    "Clinician turns: maximal stretches of the clinician's speech, pauses under 1.0 s merged, "
    "that the patient does not take over (backchannels do not end a turn).",
    lambda r: r.metrics.turns.clinician.turns)
PATIENT_TURNS = Metric("patient_turns", "count", "Patient turns, as clinician_turns.",
                       lambda r: r.metrics.turns.patient.turns)
LONGEST_MONOLOGUE_CLINICIAN_S = Metric(
    "longest_monologue_clinician_s", "s", "The clinician's longest turn.",
    lambda r: r.metrics.turns.clinician.longest_monologue_s)
LONGEST_MONOLOGUE_PATIENT_S = Metric(
    "longest_monologue_patient_s", "s", "The patient's longest turn.",
    lambda r: r.metrics.turns.patient.longest_monologue_s)
CLINICIAN_WPM = Metric("clinician_wpm", "words/min",
                       "Clinician words per minute of clinician talk time.",
                       lambda r: r.metrics.turns.clinician.words_per_minute)
PATIENT_WPM = Metric("patient_wpm", "words/min",
                     "Patient words per minute of patient talk time.",
                     lambda r: r.metrics.turns.patient.words_per_minute)

# --- interruptions and backchannels --------------------------------------------------------------

INTERRUPTIONS_BY_CLINICIAN = Metric(
    "interruptions_by_clinician", "count",
    "Overlaps where the clinician started substantive talk while the patient was mid-utterance "
    "(not at a completion point). Backchannels are never counted.",
    lambda r: r.metrics.interruptions.by_clinician)
INTERRUPTIONS_BY_PATIENT = Metric("interruptions_by_patient", "count",
                                  "Interruptions by the patient, as above.",
                                  lambda r: r.metrics.interruptions.by_patient)
INTERRUPTIONS_PER_10_MIN = Metric(
    "interruptions_per_10_min", "per 10 min",
    "Interruptions by either speaker per 10 minutes of recording.",
    lambda r: r.metrics.interruptions.per_10_min)
CLINICIAN_INTERRUPTIONS_PER_10_MIN = Metric(
    "clinician_interruptions_per_10_min", "per 10 min",
    "Interruptions by the clinician per 10 minutes of recording.",
    lambda r: _per_10_min(r.metrics.interruptions.by_clinician,
                          r.metrics.talk_time.duration_s))
BACKCHANNELS = Metric(
    "backchannels", "count",
    "Listener tokens said over the other speaker without taking the floor (\"mm\", \"yeah\", "
    "\"okay\", a repeated word), by either speaker.",
    lambda r: r.metrics.interruptions.backchannels)
BACKCHANNELS_BY_CLINICIAN = Metric("backchannels_by_clinician", "count",
                                   "Backchannels said by the clinician.",
                                   lambda r: r.metrics.interruptions.backchannels_by_clinician)
BACKCHANNELS_BY_PATIENT = Metric("backchannels_by_patient", "count",
                                 "Backchannels said by the patient.",
                                 lambda r: r.metrics.interruptions.backchannels_by_patient)

# --- the patient's opening statement -------------------------------------------------------------

OPENING_FOUND = Metric(
    "opening_found", "True/False",
    "Whether the patient's opening statement (first substantive turn about why they came, "
    "after the clinician's opening question) was found.",
    lambda r: r.metrics.opening_statement.found)
OPENING_START_S = Metric("opening_start_s", "s", "When the opening statement started.",
                         lambda r: r.metrics.opening_statement.start_s)
OPENING_DURATION_S = Metric(
    "opening_duration_s", "s",
    "Opening statement length: from its start to the first clinician utterance that takes the "
    "floor (backchannels and encouragers do not end it).",
    lambda r: r.metrics.opening_statement.duration_s)
OPENING_COMPLETED = Metric(
    "opening_completed", "True/False",
    "True when the patient reached a completion point before the clinician took the floor; "
    "False when the clinician cut in mid-utterance.",
    lambda r: r.metrics.opening_statement.completed)
OPENING_FIRST_INTERRUPTION_S = Metric(
    "opening_first_interruption_s", "s",
    "From the start of the opening statement to the clinician utterance that interrupted it; "
    "empty when it was completed.",
    lambda r: r.metrics.opening_statement.first_interruption_s)

# --- questions -----------------------------------------------------------------------------------

QUESTIONS_OPEN = Metric(
    "questions_open", "count",
    "Clinician open questions: the patient can answer in their own words (\"How can I help?\", "
    "\"Tell me about the pain\"; agenda, expectations and ideas questions).",
    lambda r: r.metrics.questions.open)
QUESTIONS_CLOSED = Metric("questions_closed", "count",
                          "Clinician closed questions: yes/no, either/or, or one specific fact.",
                          lambda r: r.metrics.questions.closed)
QUESTIONS_TOTAL = Metric("questions_total", "count",
                         "Clinician questions, open and closed.",
                         lambda r: r.metrics.questions.total)
OPEN_RATIO = Metric("open_ratio", "0-1",
                    "questions_open / (questions_open + questions_closed).",
                    lambda r: r.metrics.questions.open_ratio)
PATIENT_QUESTIONS = Metric("patient_questions", "count", "Questions the patient asked.",
                           lambda r: r.metrics.questions.patient_questions)

# --- psychosocial talk ---------------------------------------------------------------------------

PSYCHOSOCIAL_FIRST_S = Metric(
    "psychosocial_first_s", "s",
    "Start of the first psychosocial utterance (emotions, concerns and beliefs, work, family, "
    "social life, daily life, finances, stressors), by either speaker.",
    lambda r: r.metrics.psychosocial.first_s)
PSYCHOSOCIAL_FIRST_BY = Metric("psychosocial_first_by", "role",
                               "Who raised it first: clinician or patient.",
                               lambda r: r.metrics.psychosocial.first_by)
PSYCHOSOCIAL_FIRST_FRACTION = Metric(
    "psychosocial_first_fraction", "0-1",
    "psychosocial_first_s over the length of the recording.",
    lambda r: r.metrics.psychosocial.first_fraction)
PSYCHOSOCIAL_SHARE = Metric("psychosocial_share", "0-1",
                            "Time covered by psychosocial utterances over speech time.",
                            lambda r: r.metrics.psychosocial.share)

# --- the Four Habits and shared decisions --------------------------------------------------------

EXPECTATIONS_ELICITED = Metric(
    "expectations_elicited", "True/False",
    "The clinician asked what the patient hopes for, expects or wants from the visit.",
    lambda r: r.metrics.habits.expectations_elicited)
EXPECTATIONS_FIRST_S = Metric("expectations_first_s", "s",
                              "When the clinician first asked about expectations.",
                              lambda r: r.metrics.habits.expectations_first_s)
AGENDA_ELICITED = Metric(
    "agenda_elicited", "True/False",
    "The clinician invited the patient's other concerns (\"anything else?\").",
    lambda r: r.metrics.habits.agenda_elicited)
AGENDA_FIRST_S = Metric("agenda_first_s", "s",
                        "When the clinician first invited other concerns.",
                        lambda r: r.metrics.habits.agenda_first_s)
EMPATHY = Metric(
    "empathy", "count",
    "Clinician statements naming or acknowledging the patient's feeling (reassurance is not "
    "empathy).",
    lambda r: r.metrics.habits.empathy)
MISSED_EMPATHY = Metric(
    "missed_empathy", "count",
    "Patient emotions or concerns that the clinician's next substantive turn neither "
    "acknowledged nor asked about.",
    lambda r: r.metrics.habits.missed_empathy)
OPTIONS_OFFERED = Metric("options_offered", "count",
                         "Clinician utterances describing options.",
                         lambda r: r.metrics.habits.options_offered)
PREFERENCE_ASKED = Metric(
    "preference_asked", "count",
    "Clinician utterances asking the patient's view on a plan (\"How does that sound?\").",
    lambda r: r.metrics.habits.preference_asked)
SHARED_DECISION_STEPS = Metric(
    "shared_decision_steps", "count",
    "Steps of a shared decision talked about, of 3: options, benefits and harms, the patient's "
    "preference (OPTION-5).",
    lambda r: r.metrics.habits.shared_decision_steps)
SUMMARY = Metric("summary", "count", "Clinician summaries.",
                 lambda r: r.metrics.habits.summary)
TEACH_BACK = Metric(
    "teach_back", "count",
    "Clinician requests that the patient say the plan back in their own words.",
    lambda r: r.metrics.habits.teach_back)
SUMMARY_OR_TEACH_BACK = Metric(
    "summary_or_teach_back", "True/False", "A summary or a teach-back, or both.",
    lambda r: bool(r.metrics.habits.summary or r.metrics.habits.teach_back))
HARMFUL_LANGUAGE = Metric(
    "harmful_language", "count",
    "Threatening pathoanatomical labels said by the clinician (\"wear and tear\", "
    "\"degeneration\"...).",
    lambda r: r.metrics.habits.harmful_language)

# The headline metrics: the columns of ID.metrics.csv and of the batch database's metrics table,
# in this order (docs/csv-columns.md).
HEADLINE: tuple[Metric[Any], ...] = (
    ID, DURATION_S, CLINICIAN_SHARE, PATIENT_SHARE, SILENCE_SHARE, OVERLAP_SHARE,
    CLINICIAN_TURNS, PATIENT_TURNS, LONGEST_MONOLOGUE_CLINICIAN_S, LONGEST_MONOLOGUE_PATIENT_S,
    CLINICIAN_WPM, PATIENT_WPM, INTERRUPTIONS_BY_CLINICIAN, INTERRUPTIONS_BY_PATIENT,
    INTERRUPTIONS_PER_10_MIN, BACKCHANNELS, OPENING_FOUND, OPENING_DURATION_S, OPENING_COMPLETED,
    OPENING_FIRST_INTERRUPTION_S, QUESTIONS_OPEN, QUESTIONS_CLOSED, OPEN_RATIO,
    PSYCHOSOCIAL_FIRST_S, PSYCHOSOCIAL_FIRST_BY, PSYCHOSOCIAL_FIRST_FRACTION, PSYCHOSOCIAL_SHARE,
    EXPECTATIONS_ELICITED, AGENDA_ELICITED, EMPATHY, MISSED_EMPATHY, OPTIONS_OFFERED,
    PREFERENCE_ASKED, SUMMARY, TEACH_BACK, HARMFUL_LANGUAGE, PATIENT_QUESTIONS, RULES_VERSION,
)


def headline_values(result: AnalysisResult) -> dict[str, object]:
    """The :data:`HEADLINE` metrics of one result, by name, in column order.

    Floats are rounded to :data:`DECIMALS` places; ``None`` means not measured (an empty cell).
    """
    row: dict[str, object] = {}
    for metric in HEADLINE:
        value = metric(result)
        row[metric.name] = round(value, DECIMALS) if isinstance(value, float) else value
    return row
