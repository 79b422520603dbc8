"""Fuzzing the transcript readers: any bytes give segments or an InputError, never a crash."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consult_audio.errors import InputError
from consult_audio.readers import FORMATS, read_segments

SUFFIXES = sorted(FORMATS)
FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

# Fragments of each format, so the fuzzer gets past the first line of the parsers.
FRAGMENTS = st.sampled_from([
    "WEBVTT\n\n", "00:00:01.000 --> 00:00:02.000\n", "<v Dr A>",
    "1\n00:00:01,000 --> 00:00:02,000\n",
    'File type = "ooTextFile"\nObject class = "TextGrid"\n', "xmin = 0\n", "xmax = 5\n",
    "tiers? <exists>\n", "size = 1\n", 'item [1]:\n class = "IntervalTier"\n name = "Speaker"\n',
    "intervals: size = 1\n", "intervals [1]:\n", 'text = "hi"\n', "Doctor: hello\n",
    "[00:01:02] Patient: ", "SPEAKER f 1 0.0 1.0 <NA> <NA> A <NA> <NA>\n", '[{"speaker": "A", ',
    '"start": 0, "end": 1, "text": "x"}]', "<ANNOTATION_DOCUMENT>", "<TIER TIER_ID=\"A\">",
    "\x00", "\ufeff", "-1", "1e309", "NaN", "<script>alert(1)</script>", "../../etc/passwd",
])


def _read(suffix: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            segments = read_segments(path)
        except InputError:
            return
        for seg in segments:
            assert 0 <= seg.start <= seg.end


@FUZZ
@given(suffix=st.sampled_from(SUFFIXES), data=st.binary(max_size=400))
def test_random_bytes(suffix: str, data: bytes) -> None:
    _read(suffix, data)


@FUZZ
@given(suffix=st.sampled_from(SUFFIXES),
       parts=st.lists(st.one_of(FRAGMENTS, st.text(max_size=20)), max_size=25))
def test_format_fragments(suffix: str, parts: list[str]) -> None:
    _read(suffix, "".join(parts).encode("utf-8", "surrogatepass"))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["speaker", "start", "end", "text", "words", "start_s", "end_s",
                         "schema", "utterances", "word"]), children, max_size=5),
    max_leaves=30)


@FUZZ
@given(value=JSON_VALUES)
def test_json_structures(value: object) -> None:
    _read(".json", json.dumps(value).encode())
