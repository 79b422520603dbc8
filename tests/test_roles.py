"""Role assignment: given, from the name, inferred from what was said."""

from __future__ import annotations

import pytest

from consult_audio.model import Role, Utterance
from consult_audio.roles import assign_roles, parse_role, role_from_name

DIALOGUE = (
    Utterance("SPEAKER_01", 0.0, 3.0, "Hello, how can I help you today?"),
    Utterance("SPEAKER_00", 3.5, 12.0, "I have had pain in my knee for a month, it hurts."),
    Utterance("SPEAKER_01", 12.5, 15.0, "Which knee is it? Any swelling? Any medication?"),
    Utterance("SPEAKER_00", 15.5, 18.0, "The left one. I'm worried about my running."),
)


@pytest.mark.parametrize(("label", "role"), [
    ("Dr Lee", Role.CLINICIAN), ("doctor", Role.CLINICIAN), ("GP", Role.CLINICIAN),
    ("physio_2", Role.CLINICIAN), ("Nurse", Role.CLINICIAN), ("therapist", Role.CLINICIAN),
    ("patient", Role.PATIENT), ("Client", Role.PATIENT), ("PT", Role.PATIENT),
    ("SPEAKER_00", None), ("Maria", None),
])
def test_role_from_name(label: str, role: Role | None) -> None:
    assert role_from_name(label) == role


def test_roles_inferred_from_questions_and_phrasing() -> None:
    speakers = assign_roles(DIALOGUE, ["SPEAKER_01", "SPEAKER_00"])
    assert speakers["SPEAKER_01"].role == Role.CLINICIAN
    assert speakers["SPEAKER_00"].role == Role.PATIENT
    for s in speakers.values():
        assert s.role_source == "inferred" and 0.5 <= s.role_confidence <= 0.95
        assert "questions" in s.role_evidence


def test_given_roles_win_and_the_rest_is_inferred() -> None:
    speakers = assign_roles(DIALOGUE, ["SPEAKER_01", "SPEAKER_00"],
                            given={"speaker_00": Role.CLINICIAN})
    assert speakers["SPEAKER_00"].role == Role.CLINICIAN
    assert speakers["SPEAKER_00"].role_source == "given"
    assert speakers["SPEAKER_01"].role == Role.PATIENT


def test_parse_role_rejects_unknown() -> None:
    assert parse_role(" Clinician ") == Role.CLINICIAN
    with pytest.raises(ValueError, match="unknown role"):
        parse_role("nurse")
