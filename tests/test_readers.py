"""Transcript readers: every format from small files written in ``tmp_path``, and bad input."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from consult_audio.errors import InputError
from consult_audio.model import Role, Span, Speaker, Turn, Utterance, Word
from consult_audio.readers import jsonfile as jsonfile_reader
from consult_audio.readers import load_consultation, read_segments
from consult_audio.readers import rttm as rttm_reader
from consult_audio.readers.base import Segment, split_speaker_prefix

TextGridBuilder = Callable[..., str]  # the ``textgrid_text`` fixture of conftest.py
XMAX = 20.0  # s, the length of each TextGrid below

# --- helpers ------------------------------------------------------------------------------------


def by_name(utterances: Sequence[Utterance], labels: Sequence[str]) -> Mapping[str, Speaker]:
    """Stand-in for roles.assign_roles: a label naming a doctor is the clinician."""
    return {
        label: Speaker(label, Role.CLINICIAN if label.lower().startswith(("doc", "dr")) else
                       Role.PATIENT, "given")
        for label in labels
    }


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def texts(segments: Sequence[Segment]) -> list[tuple[str, float, float, str]]:
    return [(s.speaker, s.start, s.end, s.text) for s in segments]


def said(segments: Sequence[Segment]) -> list[tuple[str, str]]:
    """Speaker and text of each segment."""
    return [(s.speaker, s.text) for s in segments]


def times(segments: Sequence[Segment]) -> list[float]:
    """Start and end of each segment, flat (for pytest.approx)."""
    return [t for s in segments for t in (s.start, s.end)]


# --- TextGrid -----------------------------------------------------------------------------------


def test_textgrid_one_file_per_speaker(tmp_path: Path, textgrid_text: TextGridBuilder) -> None:
    doctor = write(tmp_path / "c1_doctor.TextGrid", textgrid_text({"Speaker": [
        (1.0, 3.5, "Hello, <UNSURE>how are</UNSURE> you?"),
        (8.0, 10.0, "Any fever?"),
    ]}, XMAX))
    patient = write(tmp_path / "c1_patient.TextGrid", textgrid_text({"Speaker": [
        (3.0, 7.5, "<UNIN/> I've had a cough."),
        (10.5, 11.0, "<UNIN/>"),
    ]}, XMAX))
    assert texts(read_segments(doctor)) == [
        ("Speaker", 1.0, 3.5, "Hello, <UNSURE>how are</UNSURE> you?"),
        ("Speaker", 8.0, 10.0, "Any fever?"),
    ]
    c = load_consultation([doctor, patient], infer=by_name)
    assert c.id == "c1"
    assert [s.label for s in c.speakers] == ["doctor", "patient"]
    assert c.role_of("doctor") is Role.CLINICIAN
    assert c.duration == 11.0
    assert [(u.speaker, u.start, u.text, u.tags) for u in c.utterances] == [
        ("doctor", 1.0, "Hello, how are you?", ("unsure",)),
        ("patient", 3.0, "I've had a cough.", ("unintelligible",)),
        ("doctor", 8.0, "Any fever?", ()),
        ("patient", 10.5, "", ("unintelligible",)),
    ]
    assert c.utterances[0].raw_text == "Hello, <UNSURE>how are</UNSURE> you?"
    assert c.sources == (str(doctor), str(patient))


def test_textgrid_two_named_tiers(tmp_path: Path, textgrid_text: TextGridBuilder) -> None:
    path = write(tmp_path / "visit.TextGrid", textgrid_text({
        "Doctor": [(0.5, 2.0, "What brings you in?")],
        "Patient": [(2.2, 4.0, "My knee <INAUDIBLE_SPEECH/> hurts.")],
    }, XMAX))
    c = load_consultation([path], infer=by_name)
    assert c.id == "visit"
    assert [(u.speaker, u.start, u.end, u.text, u.tags) for u in c.utterances] == [
        ("Doctor", 0.5, 2.0, "What brings you in?", ()),
        ("Patient", 2.2, 4.0, "My knee hurts.", ("inaudible",)),
    ]


def test_default_role_assignment(tmp_path: Path, textgrid_text: TextGridBuilder) -> None:
    pytest.importorskip("consult_audio.roles", reason="consult_audio.roles not written yet")
    path = write(tmp_path / "visit.TextGrid", textgrid_text({
        "Doctor": [(0.5, 2.0, "What brings you in today?")],
        "Patient": [(2.2, 4.0, "My knee hurts when I walk.")],
    }, XMAX))
    c = load_consultation([path])
    assert c.role_of("Doctor") is Role.CLINICIAN
    assert c.role_of("Patient") is Role.PATIENT


# --- WebVTT and SRT -----------------------------------------------------------------------------


def test_webvtt_voice_tags_prefix_and_no_speaker(tmp_path: Path) -> None:
    path = write(tmp_path / "c2.vtt", (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:03.500\n<v Dr Jones>Good <i>morning</i>, how are you?</v>\n\n"
        "intro\n00:00:04.000 --> 00:01:02.250\n<v.loud Mrs Smith>Not <UNSURE>great</UNSURE>,\n"
        "I've been <UNIN/> coughing.\n\n"
        "00:01:03.000 --> 00:01:05.000\nPatient: Since Monday.\n\n"
        "00:01:06.000 --> 00:01:07.000\nOkay.\n"
    ))
    assert texts(read_segments(path)) == [
        ("Dr Jones", 1.0, 3.5, "Good morning, how are you?"),
        ("Mrs Smith", 4.0, 62.25, "Not <UNSURE>great</UNSURE>, I've been <UNIN/> coughing."),
        ("Patient", 63.0, 65.0, "Since Monday."),
        ("", 66.0, 67.0, "Okay."),
    ]
    c = load_consultation([path], infer=by_name)
    assert [s.label for s in c.speakers] == ["Dr Jones", "Mrs Smith", "Patient", "c2"]
    assert c.utterances[1].text == "Not great, I've been coughing."
    assert c.utterances[1].tags == ("unsure", "unintelligible")


def test_srt_name_prefix(tmp_path: Path) -> None:
    path = write(tmp_path / "c3.srt", (
        "1\n00:00:01,000 --> 00:00:02,500\nDoctor: Hello there.\n\n"
        "2\n00:00:02,600 --> 00:00:05,000\nPatient: <i>Hi.</i> My back\nhurts <UNIN/>.\n\n"
        "3\n00:00:06,000 --> 00:00:07,000\nso anyway\n"
    ))
    assert texts(read_segments(path)) == [
        ("Doctor", 1.0, 2.5, "Hello there."),
        ("Patient", 2.6, 5.0, "Hi. My back hurts <UNIN/>."),
        ("", 6.0, 7.0, "so anyway"),
    ]
    c = load_consultation([path], infer=by_name)
    assert [u.text for u in c.utterances] == ["Hello there.", "Hi. My back hurts.", "so anyway"]
    assert c.utterances[1].tags == ("unintelligible",)


@pytest.mark.parametrize(("line", "expected"), [
    ("Doctor: Hi", ("Doctor", "Hi")),
    ("Dr. Smith: hello", ("Dr. Smith", "hello")),
    ("Speaker 1: yes", ("Speaker 1", "yes")),
    ("SPEAKER_00: yes", ("SPEAKER_00", "yes")),
    ("Doctor:", ("Doctor", "")),
    ("He said: stop", None),
    ("10:30: fine", None),
    ("A B C D E: five words is too many", None),
    ("see http://example.org", None),
])
def test_speaker_prefix(line: str, expected: tuple[str, str] | None) -> None:
    assert split_speaker_prefix(line) == expected


# --- plain text ---------------------------------------------------------------------------------


ESTIMATED_TIMES = (
    "Consultation 4 transcript\n\n"
    "Doctor: How are you today?\n"
    "Patient: Not great, my head hurts\n"
    "and I feel <UNSURE>dizzy</UNSURE>.\n"
    "Doctor: <UNIN/>\n"
)
TIMESTAMPS = (
    "[00:01:08.5] Doctor: Come in, come in, sit down over there please.\n"
    "00:01:10 - 00:01:14 Patient: Thank you, doctor.\n"
    "Doctor: (1:20) Sit down, please. It is 10:30 now.\n"
    "1:25 is when I arrived, continues the doctor.\n"
    "[1:40] and a new timed line by the doctor\n"
    "Speaker 2  2:00\n"
    "Otter style text\n"
    "Patient: no time here\n"
)


@pytest.mark.parametrize(("text", "expected_said", "expected_times"), [
    # 150 words/min = 0.4 s a word; a tag-only turn counts as one word
    pytest.param(ESTIMATED_TIMES, [
        ("Doctor", "How are you today?"),
        ("Patient", "Not great, my head hurts and I feel <UNSURE>dizzy</UNSURE>."),
        ("Doctor", "<UNIN/>"),
    ], [0, 1.6, 1.6, 5.2, 5.2, 5.6], id="estimated-times"),
    # a turn without an end lasts 0.4 s a word, cut at the next given start (68.5 + 10 words > 70)
    pytest.param(TIMESTAMPS, [
        ("Doctor", "Come in, come in, sit down over there please."),
        ("Patient", "Thank you, doctor."),
        ("Doctor",
         "Sit down, please. It is 10:30 now. 1:25 is when I arrived, continues the doctor."),
        ("Doctor", "and a new timed line by the doctor"),
        ("Speaker 2", "Otter style text"),
        ("Patient", "no time here"),
    ], [68.5, 70, 70, 74, 80, 86, 100, 103.2, 120, 121.2, 121.2, 122.4], id="timestamps"),
])
def test_plaintext_segments(tmp_path: Path, text: str, expected_said: list[tuple[str, str]],
                            expected_times: list[float]) -> None:
    segments = read_segments(write(tmp_path / "c.txt", text))
    assert said(segments) == expected_said
    assert times(segments) == pytest.approx(expected_times)


def test_plaintext_tags_leave_the_utterance_text(tmp_path: Path) -> None:
    path = write(tmp_path / "c4.txt", ESTIMATED_TIMES)
    c = load_consultation([path], infer=by_name)
    assert c.utterances[1].text == "Not great, my head hurts and I feel dizzy."
    assert c.utterances[2].tags == ("unintelligible",)


@pytest.mark.parametrize(("line", "start", "end"), [
    ("(1:02) Doctor: hi", 62.0, 62.4),
    ("1:02:03,5 Doctor: hi", 3723.5, 3723.9),
    ("[00:00:01 --> 00:00:02.5] Doctor: hi", 1.0, 2.5),
    ("Doctor: [0:07] hi", 7.0, 7.4),
    ("Doctor: hi", 0.0, 0.4),
])
def test_plaintext_time_forms(tmp_path: Path, line: str, start: float, end: float) -> None:
    segments = read_segments(write(tmp_path / "t.txt", line + "\n"))
    assert said(segments) == [("Doctor", "hi")]
    assert times(segments) == pytest.approx([start, end])


def test_plaintext_without_speakers(tmp_path: Path) -> None:
    path = write(tmp_path / "notes.txt", "just some notes\nwithout speakers\n")
    with pytest.raises(InputError, match=r"notes\.txt: no 'Name: text' lines"):
        read_segments(path)


def test_plaintext_invalid_time(tmp_path: Path) -> None:
    path = write(tmp_path / "c6.txt", "[00:75] Doctor: hi\nPatient: hello\n")
    with pytest.raises(InputError, match=r"c6\.txt: line 1: '00:75' is not a valid time"):
        read_segments(path)


# --- RTTM + words -------------------------------------------------------------------------------

RTTM = (
    "SPEAKER c7 1 0.00 2.00 <NA> <NA> SPEAKER_00 <NA> <NA>\n"
    "SPEAKER c7 1 2.50 2.50 <NA> <NA> SPEAKER_01 <NA> <NA>\n"
    "SPEAKER c7 1 5.00 1.00 <NA> <NA> SPEAKER_00 <NA> <NA>\n"
)
WORDS = [  # word, start, end: "there" overlaps turn 1 most; "um" is in no turn, nearest turn 2
    ("Hello", 0.1, 0.5), ("there", 1.8, 2.6), ("hi", 2.6, 3.0), ("doctor", 3.0, 3.6),
    ("um", 4.9, 4.95), ("right", 5.1, 5.6),
]
EXPECTED_RTTM = [
    ("SPEAKER_00", 0.0, 2.0, "Hello there"),
    ("SPEAKER_01", 2.5, 5.0, "hi doctor um"),
    ("SPEAKER_00", 5.0, 6.0, "right"),
]


def test_rttm_with_words_json(tmp_path: Path) -> None:
    rttm = write(tmp_path / "c7.rttm", RTTM)
    write(tmp_path / "c7.words.json", json.dumps(
        {"words": [{"word": w, "start": s, "end": e, "probability": 0.9} for w, s, e in WORDS]}))
    segments = read_segments(rttm)
    assert texts(segments) == EXPECTED_RTTM
    assert segments[0].words == (Word("Hello", 0.1, 0.5, 0.9, "SPEAKER_00"),
                                 Word("there", 1.8, 2.6, 0.9, "SPEAKER_00"))
    c = load_consultation([rttm], infer=by_name)
    assert [s.label for s in c.speakers] == ["SPEAKER_00", "SPEAKER_01"]
    assert c.utterances[1].words[2].speaker == "SPEAKER_01"


def test_rttm_with_ctm(tmp_path: Path) -> None:
    rttm = write(tmp_path / "c7.rttm", RTTM)
    write(tmp_path / "c7.ctm", "".join(f"c7 1 {s} {e - s:.2f} {w} 0.8\n" for w, s, e in WORDS))
    segments = read_segments(rttm)
    assert [s.text for s in segments] == [t for *_, t in EXPECTED_RTTM]
    assert segments[2].words[0].probability == 0.8


def test_rttm_with_tsv(tmp_path: Path) -> None:
    rttm = write(tmp_path / "c7.rttm", RTTM)
    write(tmp_path / "c7.words.tsv",
          "start\tend\tword\n" + "".join(f"{s}\t{e}\t{w}\n" for w, s, e in WORDS))
    assert texts(read_segments(rttm)) == EXPECTED_RTTM


def test_rttm_tie_goes_to_nearest_midpoint(tmp_path: Path) -> None:
    rttm = write(tmp_path / "ov.rttm", (
        "SPEAKER ov 1 0.0 4.0 <NA> <NA> A <NA> <NA>\n"
        "SPEAKER ov 1 1.0 1.5 <NA> <NA> B <NA> <NA>\n"
    ))
    # both words lie inside both turns: each goes to the turn whose middle (2.0 / 1.75) is nearer
    write(tmp_path / "ov.words.json", json.dumps([
        {"word": "yes", "start": 1.0, "end": 1.2}, {"word": "right", "start": 2.0, "end": 2.4}]))
    assert [s.text for s in read_segments(rttm)] == ["right", "yes"]


def test_rttm_without_words(tmp_path: Path) -> None:
    rttm = write(tmp_path / "c7.rttm", RTTM)
    with pytest.raises(InputError, match=r"c7\.rttm: .*c7\.words\.json, c7\.words\.tsv"):
        read_segments(rttm)


def test_rttm_turns_of_several_recordings(tmp_path: Path) -> None:
    # a benchmark's reference RTTM: turns of two recordings, a comment and another record type
    rttm = write(tmp_path / "reference.rttm", (
        ";; reference\n"
        "SPEAKER dev00 1 1.440 11.872 <NA> <NA> MEE009 <NA> <NA>\n"
        "SPKR-INFO dev00 1 <NA> <NA> <NA> unknown MEE009 <NA> <NA>\n"
        "SPEAKER dev01 1 0.5 2.0 <NA> <NA> FEO065 <NA> <NA>\n"
        "SPEAKER dev00 1 13.152 3.770 <NA> <NA> MEE012 <NA> <NA>\n"
    ))
    turns = rttm_reader.read_turns(rttm)
    assert list(turns) == ["dev00", "dev01"]
    assert turns["dev00"] == [Turn(1.44, pytest.approx(13.312), "MEE009"),
                              Turn(13.152, pytest.approx(16.922), "MEE012")]
    assert turns["dev01"][0].span == Span(0.5, 2.5)
    # the consultation reader takes one recording a file
    with pytest.raises(InputError, match="turns of 2 recordings \\(dev00, dev01\\)"):
        read_segments(rttm)


def test_rttm_turns_reject_a_short_line(tmp_path: Path) -> None:
    rttm = write(tmp_path / "bad.rttm", "SPEAKER c7 1 0.0 x <NA> <NA> A\nSPEAKER c7 1 0.0\n")
    with pytest.raises(InputError, match="line 1: 'x' is not a number"):
        rttm_reader.read_turns(rttm)
    write(rttm, "SPEAKER c7 1 0.0 1.0\n")
    with pytest.raises(InputError, match="line 1: a SPEAKER line needs at least 8 fields"):
        rttm_reader.read_turns(rttm)
    assert rttm_reader.read_turns(write(tmp_path / "empty.rttm", ";; nothing\n")) == {}


def test_uem_scored_regions(tmp_path: Path) -> None:
    uem = write(tmp_path / "reference.uem",
                ";; scored\ndev00 NA 0.000 30.000\n\ndev01 1 2.5 28.0\n")
    assert rttm_reader.read_uem(uem) == {"dev00": Span(0.0, 30.0), "dev01": Span(2.5, 28.0)}
    for text, problem in (("dev00 NA 0.0\n", "line 1: a UEM line needs"),
                          ("dev00 NA 5.0 4.0\n", "line 1: the region ends before it starts"),
                          ("dev00 NA 0 1\ndev00 NA 2 3\n", "line 2: a second scored region"),
                          ("dev00 NA zero 1\n", "'zero' is not a number")):
        with pytest.raises(InputError, match=problem):
            rttm_reader.read_uem(write(uem, text))


# --- JSON ---------------------------------------------------------------------------------------


def test_json_analysis_file(tmp_path: Path) -> None:
    path = write(tmp_path / "c8.analysis.json", json.dumps({
        "schema": "consult-audio/analysis/v1",
        "utterances": [
            {"start_s": 0.0, "end_s": 1.5, "speaker": "doctor", "role": "clinician",
             "text": "Hello."},
            {"start_s": 1.6, "end_s": 3.0, "speaker": "patient", "role": "patient",
             "text": "Hi."},
        ],
    }))
    assert texts(read_segments(path)) == [("doctor", 0.0, 1.5, "Hello."),
                                          ("patient", 1.6, 3.0, "Hi.")]
    assert load_consultation([path], infer=by_name).id == "c8"


def test_json_plain_list_with_words(tmp_path: Path) -> None:
    path = write(tmp_path / "c9.json", json.dumps([
        {"speaker": "Dr A", "start": 0, "end": 1.2, "text": "Hi <UNSURE>there</UNSURE>.",
         "words": [{"word": "Hi", "start": 0, "end": 0.5},
                   {"text": "there.", "start": 0.6, "end": 1.2, "probability": 0.4}]},
        {"speaker": "Pat", "start": 1.5, "end": 2.0, "text": "Hello."},
    ]))
    segments = read_segments(path)
    assert texts(segments) == [("Dr A", 0.0, 1.2, "Hi <UNSURE>there</UNSURE>."),
                               ("Pat", 1.5, 2.0, "Hello.")]
    assert segments[0].words[1] == Word("there.", 0.6, 1.2, 0.4, "Dr A")
    c = load_consultation([path], infer=by_name)
    assert (c.utterances[0].text, c.utterances[0].tags) == ("Hi there.", ("unsure",))


def test_json_utterances_object(tmp_path: Path) -> None:
    path = write(tmp_path / "c10.json", json.dumps({"utterances": [
        {"speaker": "A", "start_s": 1, "end_s": 2, "text": "x"}]}))
    assert texts(read_segments(path)) == [("A", 1.0, 2.0, "x")]


@pytest.mark.parametrize(("content", "message"), [
    ('[{"speaker": "A", "start": 0,\n "end": }]', r"not valid JSON: .* line 2, column 9"),
    ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply"),
    ('{"schema": "other/v9", "utterances": []}', "JSON schema is 'other/v9'"),
    ('[{"speaker": "A", "start": "0", "end": 1, "text": "x"}]',
     r"utterance 1: 'start' must be a number"),
    ('{"text": "hello"}', "expected a list of utterances"),
])
def test_json_bad(tmp_path: Path, content: str, message: str) -> None:
    path = write(tmp_path / "bad.json", content)
    with pytest.raises(InputError, match=r"bad\.json: " + message):
        read_segments(path)


def test_json_too_big(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonfile_reader, "MAX_BYTES", 10)
    path = write(tmp_path / "big.json", json.dumps([{"speaker": "A", "text": "x" * 20}]))
    with pytest.raises(InputError, match=r"big\.json: .* over the 0 MB limit"):
        read_segments(path)


# --- ELAN ---------------------------------------------------------------------------------------


def eaf(tiers: str, slots: Mapping[str, int]) -> str:
    time_order = "".join(f'<TIME_SLOT TIME_SLOT_ID="{k}" TIME_VALUE="{v}"/>'
                         for k, v in slots.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ANNOTATION_DOCUMENT AUTHOR="" DATE="2024-01-01T00:00:00+00:00" FORMAT="3.0" '
        'VERSION="3.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="http://www.mpi.nl/tools/elan/EAFv3.0.xsd">'
        '<HEADER MEDIA_FILE="" TIME_UNITS="milliseconds"/>'
        f"<TIME_ORDER>{time_order}</TIME_ORDER>{tiers}"
        '<LINGUISTIC_TYPE GRAPHIC_REFERENCES="false" LINGUISTIC_TYPE_ID="default-lt" '
        'TIME_ALIGNABLE="true"/>'
        '<LINGUISTIC_TYPE CONSTRAINTS="Symbolic_Association" GRAPHIC_REFERENCES="false" '
        'LINGUISTIC_TYPE_ID="translation" TIME_ALIGNABLE="false"/>'
        "</ANNOTATION_DOCUMENT>\n"
    )


def aligned(aid: str, ts1: str, ts2: str, value: str) -> str:
    return (f'<ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="{aid}" TIME_SLOT_REF1="{ts1}" '
            f'TIME_SLOT_REF2="{ts2}"><ANNOTATION_VALUE>{value}</ANNOTATION_VALUE>'
            "</ALIGNABLE_ANNOTATION></ANNOTATION>")


def test_elan(tmp_path: Path) -> None:
    tiers = (
        '<TIER LINGUISTIC_TYPE_REF="default-lt" PARTICIPANT="Dr Lee" TIER_ID="tier-1">'
        + aligned("a1", "ts1", "ts2", "Hello, &lt;UNSURE&gt;Mr&lt;/UNSURE&gt; Brown.")
        + aligned("a3", "ts5", "ts6", "Good.") + "</TIER>"
        '<TIER LINGUISTIC_TYPE_REF="default-lt" TIER_ID="Patient">'
        + aligned("a2", "ts3", "ts4", "Morning.") + "</TIER>"
        '<TIER LINGUISTIC_TYPE_REF="translation" PARENT_REF="Patient" TIER_ID="Patient-fr">'
        '<ANNOTATION><REF_ANNOTATION ANNOTATION_ID="a4" ANNOTATION_REF="a2">'
        "<ANNOTATION_VALUE>Bonjour.</ANNOTATION_VALUE></REF_ANNOTATION></ANNOTATION></TIER>"
        '<TIER LINGUISTIC_TYPE_REF="default-lt" TIER_ID="empty"/>'
    )
    path = write(tmp_path / "c11.eaf", eaf(tiers, {"ts1": 0, "ts2": 1500, "ts3": 1400,
                                                   "ts4": 2250, "ts5": 3000, "ts6": 3100}))
    assert texts(read_segments(path)) == [
        ("Dr Lee", 0.0, 1.5, "Hello, <UNSURE>Mr</UNSURE> Brown."),
        ("Patient", 1.4, 2.25, "Morning."),
        ("Dr Lee", 3.0, 3.1, "Good."),
    ]
    c = load_consultation([path], infer=by_name)
    assert c.role_of("Dr Lee") is Role.CLINICIAN
    assert c.utterances[0].text == "Hello, Mr Brown."


def test_elan_malformed(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.eaf", "<ANNOTATION_DOCUMENT><TIER>")
    with pytest.raises(InputError, match=r"broken\.eaf: malformed ELAN file"):
        read_segments(path)


# --- bad input, every format --------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.TextGrid: file not found"):
        read_segments(tmp_path / "nope.TextGrid")


def test_unknown_suffix(tmp_path: Path) -> None:
    path = write(tmp_path / "c1.docx", "x")
    with pytest.raises(InputError, match=r"c1\.docx: unknown transcript format '\.docx'"):
        read_segments(path)


def test_malformed_textgrid(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.TextGrid", 'File type = "ooTextFile"\nthis is not a TextGrid\n')
    with pytest.raises(InputError, match=r"bad\.TextGrid: "):
        read_segments(path)


@pytest.mark.parametrize("content", [
    "00:00:01.000 --> 00:00:02.000\nno header\n",
    "WEBVTT\n\n00:00:01.000 --> 00:00:0x.000\nbad time\n",
    "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfirst\n00:00:03.000 --> 00:00:04.000\nsecond\n",
])
def test_malformed_vtt(tmp_path: Path, content: str) -> None:
    path = write(tmp_path / "bad.vtt", content)
    with pytest.raises(InputError, match=r"bad\.vtt: malformed WebVTT"):
        read_segments(path)


def test_malformed_srt(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.srt", "hello\nworld\n")
    with pytest.raises(InputError, match=r"bad\.srt: malformed SRT"):
        read_segments(path)


@pytest.mark.parametrize("suffix", [".TextGrid", ".vtt", ".srt", ".txt", ".rttm", ".json", ".eaf"])
def test_not_utf8(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"latin1{suffix}"
    path.write_bytes("Doctor: café crème, déjà vu\n".encode("latin-1"))
    with pytest.raises(InputError, match=re.escape(f"latin1{suffix}: ")):
        read_segments(path)


def test_not_utf8_names_words_file(tmp_path: Path) -> None:
    rttm = write(tmp_path / "c7.rttm", RTTM)
    (tmp_path / "c7.ctm").write_bytes("c7 1 0.1 0.4 café\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"c7\.ctm: not UTF-8 text"):
        read_segments(rttm)


@pytest.mark.parametrize(("name", "content"), [
    # short format: praatio's long-format parser does not read negative numbers
    ("neg.TextGrid", 'File type = "ooTextFile"\nObject class = "TextGrid"\n\n-1\n20\n<exists>\n1\n'
                     '"IntervalTier"\n"Doctor"\n-1\n20\n2\n-1\n1\n"hi"\n1\n20\n""\n'),
    ("neg.json", json.dumps([{"speaker": "A", "start": -0.5, "end": 1, "text": "x"}])),
    ("neg.rttm", "SPEAKER neg 1 -1.0 2.0 <NA> <NA> A <NA> <NA>\n"),
])
def test_negative_time(tmp_path: Path, name: str, content: str) -> None:
    path = write(tmp_path / name, content)
    write(tmp_path / "neg.words.json", '[{"word": "hi", "start": 0, "end": 0.5}]')
    with pytest.raises(InputError, match=re.escape(name) + ": negative time -"):
        read_segments(path)


@pytest.mark.parametrize(("name", "content"), [
    ("rev.vtt", "WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nDoctor: hi\n"),
    ("rev.srt", "1\n00:00:05,000 --> 00:00:02,000\nDoctor: hi\n"),
    ("rev.txt", "[00:05 - 00:02] Doctor: hi\n"),
    ("rev.json", json.dumps([{"speaker": "A", "start": 5, "end": 2, "text": "x"}])),
    ("rev.rttm", "SPEAKER rev 1 5.0 -3.0 <NA> <NA> A <NA> <NA>\n"),
])
def test_end_before_start(tmp_path: Path, name: str, content: str) -> None:
    path = write(tmp_path / name, content)
    write(tmp_path / "rev.words.json", '[{"word": "hi", "start": 2, "end": 3}]')
    with pytest.raises(InputError, match=re.escape(name) + ": segment ends"):
        read_segments(path)


def test_one_speaker_only(tmp_path: Path) -> None:
    path = write(tmp_path / "solo.txt", "Doctor: Hello.\nDoctor: Anyone there?\n")
    with pytest.raises(InputError, match=r"solo\.txt: only one speaker \('Doctor'\)"):
        load_consultation([path], infer=by_name)


def test_no_speech(tmp_path: Path, textgrid_text: TextGridBuilder) -> None:
    a = write(tmp_path / "c1_doctor.TextGrid", textgrid_text({"Speaker": []}, XMAX))
    b = write(tmp_path / "c1_patient.TextGrid",
              textgrid_text({"Speaker": [(1.0, 2.0, "  ")]}, XMAX))
    with pytest.raises(InputError, match=r"c1_doctor\.TextGrid, .*c1_patient\.TextGrid: no speech"):
        load_consultation([a, b], infer=by_name)


def test_no_input() -> None:
    with pytest.raises(InputError, match="no transcript file given"):
        load_consultation([], infer=by_name)


def test_webvtt_character_references_are_decoded(tmp_path: Path) -> None:
    from consult_audio.readers.webvtt import read

    path = tmp_path / "refs.vtt"
    path.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Dr A&amp;B>Pain &lt; 3 &amp; "
                    "sleep &gt; 6 hours?\n", encoding="utf-8")
    (segment,) = read(path)
    assert segment.speaker == "Dr A&B"
    assert segment.text == "Pain < 3 & sleep > 6 hours?"
