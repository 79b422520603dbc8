"""Exports of a batch run (tables and research formats) and ``forget``."""

from __future__ import annotations

import csv
import html
import io
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from consult_audio.batch import synthetic
from consult_audio.batch.database import DB_NAME, RunDirError
from consult_audio.batch.manifest import read_manifest
from consult_audio.batch.outputs import export_run, forget, load_result
from consult_audio.batch.runner import BatchOptions, run_batch
from consult_audio.cli import is_safe_id, main
from consult_audio.readers import load_consultation
from consult_audio.render.csv import write_metrics_csv

SECRET = "Quuxzanzibar"  # a phrase only one consultation says


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    rows = ["path,id,clinician_id,date,consent,duration_s,site"]
    for i in range(3):
        turns = synthetic.generate_consultation(10 + i)
        if i == 1:
            turns[1] = synthetic.Turn(turns[1].speaker, turns[1].start, turns[1].end,
                                      f"I live on {SECRET} Road & I'm worried 2 > 1 <b>.")
        synthetic.write_vtt(data / f"v{i}.vtt", turns)
        rows.append(f"v{i}.vtt,v{i},clin{i},2026-06-0{i + 1},yes,{i},north")
    synthetic.write_textgrids(data / "pair", synthetic.generate_consultation(99))
    rows.append("pair_a.TextGrid;pair_b.TextGrid,pair,clin9,,yes,,south")
    manifest = data / "manifest.csv"
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "run"
    summary = run_batch(read_manifest(manifest, safe_id=is_safe_id), out, BatchOptions(workers=1))
    assert summary.ok, summary.problems
    return out


def stored(run_dir: Path, cid: str) -> str:
    with sqlite3.connect(run_dir / DB_NAME) as conn:
        return str(conn.execute("SELECT analysis FROM consultations WHERE id = ?",
                                (cid,)).fetchone()[0])


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_consultations_csv_matches_metrics_csv_and_keeps_metadata(run_dir: Path,
                                                                  tmp_path: Path) -> None:
    out = tmp_path / "out"
    export_run(run_dir, out, formats=(), safe_id=is_safe_id)
    rows = {row["id"]: row for row in read_csv(out / "consultations.csv")}
    assert sorted(rows) == ["pair", "v0", "v1", "v2"]
    single = tmp_path / "one.csv"
    write_metrics_csv(load_result("v1", stored(run_dir, "v1")), single)
    (expected,) = read_csv(single)
    assert {k: rows["v1"][k] for k in expected} == expected  # the same cells as <id>.metrics.csv
    assert rows["v1"]["clinician_id"] == "clin1" and rows["v1"]["date"] == "2026-06-02"
    assert rows["v1"]["consent"] == "yes" and rows["v1"]["site"] == "north"
    assert rows["v1"]["meta_duration_s"] == "1"  # a manifest column named like a metric
    assert rows["v1"]["opening_found"] in ("True", "False")
    events = read_csv(out / "events.csv")
    analysis = json.loads(stored(run_dir, "v0"))
    v0 = [e for e in events if e["id"] == "v0"]
    assert [e["type"] for e in v0] == [e["type"] for e in analysis["events"]]
    assert (out / "events.csv").stat().st_mode & 0o777 == 0o600


def test_parquet_tables(run_dir: Path, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    export_run(run_dir, tmp_path / "pq", table_format="parquet", formats=(), safe_id=is_safe_id)
    export_run(run_dir, tmp_path / "csv", formats=(), safe_id=is_safe_id)
    table = pq.read_table(tmp_path / "pq" / "consultations.parquet").to_pylist()
    rows = read_csv(tmp_path / "csv" / "consultations.csv")
    assert [r["id"] for r in table] == [r["id"] for r in rows]
    assert table[0]["questions_open"] == int(rows[0]["questions_open"])
    assert isinstance(table[0]["opening_found"], bool)
    events = pq.read_table(tmp_path / "pq" / "events.parquet")
    assert events.num_rows == len(read_csv(tmp_path / "csv" / "events.csv"))


@pytest.mark.parametrize("fmt", ["eaf", "textgrid", "vtt"])
def test_research_formats_read_back(run_dir: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "out"
    written = export_run(run_dir, out, table_format=None, formats=(fmt,), safe_id=is_safe_id)
    assert len(written) == 4
    for cid in ("v1", "pair"):
        original = load_result(cid, stored(run_dir, cid)).consultation
        (path,) = [p for p in written if p.name.startswith(f"{cid}.")]
        again = load_consultation([path])
        assert {s.label for s in again.speakers} == {s.label for s in original.speakers}
        assert len(again.utterances) == len(original.utterances)
        # The WebVTT reader leaves character references (&amp;) as written.
        texts = sorted(html.unescape(u.text) for u in again.utterances)
        assert texts == sorted(" ".join(u.text.split()) for u in original.utterances)
        assert path.stat().st_mode & 0o777 == 0o600


def test_textgrid_and_eaf_carry_event_tiers(run_dir: Path, tmp_path: Path) -> None:
    from praatio import textgrid
    from pympi.Elan import Eaf

    export_run(run_dir, tmp_path, table_format=None, formats=("textgrid", "eaf"),
               safe_id=is_safe_id)
    analysis = json.loads(stored(run_dir, "v0"))
    types = {e["type"] for e in analysis["events"]}
    tg = textgrid.openTextgrid(str(tmp_path / "textgrid" / "v0.TextGrid"), False)
    point_tiers = {name for name in tg.tierNames
                   if tg.getTier(name).tierType != textgrid.INTERVAL_TIER}
    assert point_tiers == types
    questions = tg.getTier("question").entries
    assert any("open (clinician)" in p.label for p in questions)
    eaf = Eaf(str(tmp_path / "eaf" / "v0.eaf"))
    children = [t for t, (_a, _r, attrs, _o) in eaf.tiers.items() if attrs.get("PARENT_REF")]
    assert {t.split(" - ")[0] for t in children} == types
    # Every event annotation lies inside an utterance of its parent tier.
    for tier in children:
        parent = eaf.tiers[tier][2]["PARENT_REF"]
        spans = [(s, e) for s, e, _v in eaf.get_annotation_data_for_tier(parent)]
        for start, end, _value in eaf.get_annotation_data_for_tier(tier):
            assert any(s <= start and end <= e for s, e in spans)


def test_rttm(run_dir: Path, tmp_path: Path) -> None:
    export_run(run_dir, tmp_path, table_format=None, formats=("rttm",), safe_id=is_safe_id)
    lines = (tmp_path / "rttm" / "v2.rttm").read_text(encoding="utf-8").splitlines()
    result = load_result("v2", stored(run_dir, "v2"))
    assert len(lines) == len(result.consultation.utterances)
    fields = lines[0].split()
    assert fields[0] == "SPEAKER" and fields[1] == "v2" and len(fields) == 10
    assert " " not in fields[7]


def test_vtt_escapes_markup(run_dir: Path, tmp_path: Path) -> None:
    export_run(run_dir, tmp_path, table_format=None, formats=("vtt",), safe_id=is_safe_id)
    text = (tmp_path / "vtt" / "v1.vtt").read_text(encoding="utf-8")
    assert f"{SECRET} Road &amp; I'm worried 2 &gt; 1" in text


def test_forget_removes_rows_files_and_table_rows(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export_run(run_dir, out, formats=("eaf", "json"), safe_id=is_safe_id)
    assert (out / "eaf" / "v1.eaf").exists()
    report = forget(run_dir, "v1")
    assert sorted(p.name for p in report.deleted) == ["v1.analysis.json", "v1.eaf"]
    assert not (out / "eaf" / "v1.eaf").exists() and (out / "eaf" / "v0.eaf").exists()
    assert {p.name for p in report.rewritten} == {"consultations.csv", "events.csv"}
    assert "v1" not in {row["id"] for row in read_csv(out / "consultations.csv")}
    assert "v1" not in {row["id"] for row in read_csv(out / "events.csv")}
    with sqlite3.connect(run_dir / DB_NAME) as conn:
        for table, column in (("consultations", "id"), ("utterances", "consultation_id"),
                              ("events", "consultation_id"), ("metrics", "consultation_id"),
                              ("failures", "id"), ("exports", "consultation_id")):
            query = f"SELECT count(*) FROM {table} WHERE {column} = 'v1'"
            assert conn.execute(query).fetchone() == (0,), table
    # The words are gone from the database files, not only unlinked from its tables.
    for path in run_dir.iterdir():
        assert SECRET.encode() not in path.read_bytes(), path.name
    with pytest.raises(RunDirError, match="no consultation 'v1'"):
        forget(run_dir, "v1")


def test_cli_export_forget_and_errors(run_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["-q", "export", str(run_dir), "--per-consultation", "vtt"])
    assert result.exit_code == 0, result.output
    assert len(result.output.split()) == 2 + 4
    assert (run_dir / "exports" / "vtt" / "pair.vtt").exists()
    result = runner.invoke(main, ["export", str(run_dir), "--per-consultation", "doc"])
    assert result.exit_code == 2 and "unknown format doc" in result.output
    result = runner.invoke(main, ["forget", str(run_dir), "pair"])
    assert result.exit_code == 0 and "deleted 1 exported file" in result.output
    result = runner.invoke(main, ["forget", str(run_dir), "pair"])
    assert result.exit_code == 2 and "error: " in result.output
    result = runner.invoke(main, ["export", str(tmp_path)])
    assert result.exit_code == 2 and "not a batch run folder" in result.output
    buffer = io.StringIO((run_dir / "exports" / "consultations.csv").read_text(encoding="utf-8"))
    assert [row["id"] for row in csv.DictReader(buffer)] == ["v0", "v1", "v2"]


def test_codebook_documents_every_column() -> None:
    from consult_audio.export.tables import EVENT_COLUMNS, STANDARD_METADATA
    from consult_audio.model import EVENT_TYPES
    from consult_audio.render.csv import HEADLINE_COLUMNS

    codebook = (Path(__file__).parents[1] / "docs" / "codebook.md").read_text(encoding="utf-8")
    names = [n for n, _ in HEADLINE_COLUMNS] + list(STANDARD_METADATA) + list(EVENT_COLUMNS)
    names += list(EVENT_TYPES)
    assert [n for n in names if f"`{n}`" not in codebook] == []


def test_exports_read_analysis_results_without_a_run(tmp_path: Path) -> None:
    from consult_audio.analysis import analyse
    from consult_audio.export import export_results
    from consult_audio.export.tables import EVENT_COLUMNS

    example = Path(__file__).resolve().parents[1] / "examples" / "consultation.vtt"
    result = analyse(load_consultation([example]))
    stored = [(result, {"clinician_id": "c1", "site": "north", "id": "x"})]
    written = export_results(stored, tmp_path, formats=("vtt",), safe_id=is_safe_id)
    assert [(p.path.name, p.id, p.format) for p in written] == [
        ("consultations.csv", None, "csv"), ("events.csv", None, "csv"),
        (f"{result.consultation.id}.vtt", result.consultation.id, "vtt")]
    (row,) = read_csv(tmp_path / "consultations.csv")
    assert list(row)[-3:] == ["language", "site", "meta_id"]  # standard metadata, then the rest
    assert (row["id"], row["meta_id"], row["clinician_id"]) == (result.consultation.id, "x", "c1")
    assert row["questions_open"] == str(result.metrics.questions.open)
    events = read_csv(tmp_path / "events.csv")
    assert len(events) == len(result.events) and list(events[0]) == list(EVENT_COLUMNS)
    assert [e["type"] for e in events] == [e.type for e in result.events]
