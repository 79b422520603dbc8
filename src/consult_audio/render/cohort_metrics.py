"""The metrics the cohort report shows, and how: each a metric of the catalogue
(:mod:`consult_audio.catalogue`, which reads its value from a result) with a title, how it is
drawn and summarised, and a few words on how to read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from consult_audio import catalogue as m
from consult_audio.model import AnalysisResult

__all__ = ["COHORT_METRICS", "TREND_KEYS", "CohortMetric", "Value"]

Value = float | bool | None


@dataclass(frozen=True, slots=True)
class CohortMetric:
    """One metric across consultations.

    ``metric`` is the catalogue's (its name is the key). ``kind`` is ``share`` (0-1, shown as %),
    ``number`` (with ``unit``) or ``flag`` (yes/no, summarised as how many). ``lo``/``hi`` fix the
    axis (``None``: from the data). ``reading`` says how to read it, in a few words.
    """

    metric: m.Metric[Any]
    title: str
    kind: str
    unit: str = ""
    lo: float | None = 0.0
    hi: float | None = None
    reading: str = ""
    absent: str = "not measured"  # why a consultation has no value

    @property
    def key(self) -> str:
        return self.metric.name

    def value(self, result: AnalysisResult) -> Value:
        value = self.metric(result)
        return value if value is None or isinstance(value, bool) else float(value)

    def format(self, value: Value) -> str:
        if value is None:
            return "-"
        if self.kind == "flag":
            return "yes" if value else "no"
        if self.kind == "share":
            return f"{float(value):.0%}"
        digits = 0 if not self.unit and float(value).is_integer() else 1
        unit = f" {self.unit}" if self.unit else ""
        return f"{float(value):.{digits}f}{unit}"


COHORT_METRICS: tuple[CohortMetric, ...] = (
    CohortMetric(m.PATIENT_SHARE, "Patient's share of the talk", "share", hi=1.0,
                 reading="higher: the patient talked more", absent="one speaker only"),
    CohortMetric(m.OPENING_COMPLETED, "Opening statement completed", "flag",
                 absent="opening statement not found"),
    CohortMetric(m.OPENING_DURATION_S, "Opening statement duration", "number", unit="s",
                 reading="how long the patient's first story ran",
                 absent="opening statement not found"),
    CohortMetric(m.CLINICIAN_INTERRUPTIONS_PER_10_MIN, "Clinician interruptions per 10 min",
                 "number", reading="lower: fewer cut-ins"),
    CohortMetric(m.OPEN_RATIO, "Open questions (share of clinician questions)", "share", hi=1.0,
                 reading="higher: more room for the patient's own words",
                 absent="no clinician questions"),
    CohortMetric(m.PSYCHOSOCIAL_FIRST_FRACTION, "First psychosocial content (how far in)",
                 "share", hi=1.0, reading="lower: feelings and daily life came up earlier",
                 absent="no psychosocial content"),
    CohortMetric(m.PSYCHOSOCIAL_SHARE, "Psychosocial share of the talk", "share", hi=1.0),
    CohortMetric(m.EXPECTATIONS_ELICITED, "Expectations asked", "flag"),
    CohortMetric(m.AGENDA_ELICITED, "Agenda asked (\"anything else?\")", "flag"),
    CohortMetric(m.EMPATHY, "Empathic statements", "number"),
    CohortMetric(m.MISSED_EMPATHY, "Missed empathy opportunities", "number",
                 reading="lower is better"),
    CohortMetric(m.SHARED_DECISION_STEPS, "Shared decision steps (of 3)", "number", hi=3.0),
    CohortMetric(m.SUMMARY_OR_TEACH_BACK, "Summary or teach-back", "flag"),
)
# The metrics drawn over time for each clinician (numbers and shares read best as lines).
TREND_KEYS = ("patient_share", "open_ratio", "opening_duration_s",
              "clinician_interruptions_per_10_min", "psychosocial_first_fraction", "empathy",
              "shared_decision_steps")
