"""The generated consultations of consult_audio.batch.synthetic are transcript segments that the
readers give back as written."""

from __future__ import annotations

from pathlib import Path

from consult_audio.batch import synthetic
from consult_audio.readers import read_segments
from consult_audio.readers.base import Segment


def test_generated_segments_read_back_from_webvtt(tmp_path: Path) -> None:
    segments = synthetic.generate_consultation(3, exchanges=(4, 6))
    assert all(type(s) is Segment for s in segments)
    assert segments == synthetic.generate_consultation(3, exchanges=(4, 6))  # seeded
    assert [s.start for s in segments] == sorted(s.start for s in segments)
    path = tmp_path / "gen.vtt"
    synthetic.write_vtt(path, segments)
    back = read_segments(path)
    assert [(s.speaker, s.start, s.end, s.text) for s in back] == [
        (s.speaker, s.start, s.end, s.text) for s in segments]


def test_generated_textgrids_one_per_speaker(tmp_path: Path) -> None:
    segments = synthetic.generate_consultation(5, exchanges=(2, 3))
    paths = synthetic.write_textgrids(tmp_path / "c1", segments)
    assert [p.name for p in paths] == ["c1_a.TextGrid", "c1_b.TextGrid"]
    first = segments[0]
    read = read_segments(paths[0])
    assert (read[0].speaker, read[0].start, read[0].end, read[0].text) == (
        first.speaker, first.start, first.end, first.text)
