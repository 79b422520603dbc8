"""Agreement between a run's automatic events and a researcher's codes."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from consult_audio.agreement import AgreementError, compare_codes, read_codes
from consult_audio.analysis import analyse
from consult_audio.batch import synthetic
from consult_audio.batch.database import DB_NAME
from consult_audio.batch.manifest import scan_folder
from consult_audio.batch.outputs import agreement
from consult_audio.batch.runner import BatchOptions, run_batch
from consult_audio.cli import is_safe_id, main
from consult_audio.model import Consultation, Role, Speaker, Utterance


def test_compare_codes_reads_analysis_results(tmp_path: Path) -> None:
    # No run database: the results of analysing a literal consultation, coded by hand.
    c = Consultation("lit", 20.0, (Speaker("dr", Role.CLINICIAN), Speaker("pt", Role.PATIENT)), (
        Utterance("dr", 0.0, 3.0, "What brings you in today?"),
        Utterance("pt", 3.5, 8.0, "My knee has been sore for a week."),
        Utterance("dr", 8.5, 10.0, "Is it swollen?"),
        Utterance("pt", 10.5, 11.5, "No."),
        Utterance("dr", 12.0, 14.0, "Tell me about the pain."),
        Utterance("pt", 14.5, 19.0, "It aches when I walk."),
    ))
    result = analyse(c)
    asked = {e.utterance: e.label for e in result.events if e.type == "question"}
    assert asked == {0: "open", 2: "closed", 4: "open"}
    # The researcher coded utterance 2 as open and missed utterance 4, and coded utterance 5.
    codes = write_codes(tmp_path / "codes.csv", [
        {"id": "lit", "type": "question", "utterance": 0, "label": "open"},
        {"id": "lit", "type": "question", "utterance": 2, "label": "open"},
        {"id": "lit", "type": "question", "utterance": 5, "label": "open"},
    ], ["id", "type", "utterance", "label"])
    (row,) = compare_codes(read_codes(codes), {"lit": result}, codes)
    assert (row.units, row.human, row.auto, row.both) == (6, 3, 3, 2)
    assert (row.auto_only, row.human_only) == (1, 1)
    assert row.precision == pytest.approx(2 / 3) and row.recall == pytest.approx(2 / 3)
    assert row.f1 == pytest.approx(2 / 3)
    # 2x2 over 6 utterances: 2 both, 1 each alone, 2 neither: po 4/6, pe 0.5 -> kappa 1/3.
    assert row.kappa == pytest.approx(1 / 3)
    assert (row.label_units, row.label_agreement) == (2, 0.5)
    assert row.label_kappa == pytest.approx(0.0)
    with pytest.raises(AgreementError, match="'lit' is not in the run"):
        compare_codes(read_codes(codes), {"other": result}, codes)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    for i in range(2):
        synthetic.write_vtt(tmp_path / f"k{i}.vtt", synthetic.generate_consultation(40 + i))
    items = scan_folder(tmp_path, safe_id=is_safe_id, consent_elsewhere=True)
    run_batch(items, tmp_path / "run", BatchOptions(workers=1))
    return tmp_path / "run"


def auto_questions(run_dir: Path) -> list[tuple[str, int, str, float]]:
    with sqlite3.connect(run_dir / DB_NAME) as conn:
        return conn.execute("SELECT e.consultation_id, e.utterance, e.label, u.start_s FROM events"
                            " e JOIN utterances u ON u.consultation_id = e.consultation_id AND "
                            "u.idx = e.utterance WHERE e.type = 'question' GROUP BY 1, 2 "
                            "ORDER BY 1, 2").fetchall()


def write_codes(path: Path, rows: list[dict[str, object]], fields: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_identical_codes_agree_perfectly(run_dir: Path, tmp_path: Path) -> None:
    rows = [{"id": c, "type": "question", "utterance": u, "label": label}
            for c, u, label, _ in auto_questions(run_dir)]
    codes = write_codes(tmp_path / "codes.csv", rows, ["id", "type", "utterance", "label"])
    (result,) = agreement(run_dir, codes)
    assert result.type == "question" and result.both == len(rows)
    assert (result.precision, result.recall, result.f1, result.kappa) == (1.0, 1.0, 1.0, 1.0)
    assert result.label_agreement == 1.0 and result.label_units == len(rows)


def test_disagreements_count(run_dir: Path, tmp_path: Path) -> None:
    found = auto_questions(run_dir)
    kept = found[2:]  # the researcher did not code two of ours
    with sqlite3.connect(run_dir / DB_NAME) as conn:
        coded = {(c, u) for c, u, _l, _s in found}
        extra = next((cid, idx) for cid, idx in conn.execute(
            "SELECT consultation_id, idx FROM utterances ORDER BY 1, 2") if (cid, idx) not in coded)
        n_units = conn.execute("SELECT count(*) FROM utterances").fetchone()[0]
    flipped = {"open": "closed", "closed": "open"}
    rows = [{"id": c, "type": "question", "start_s": start + 0.01,
             "label": flipped[label] if i == 0 else label}
            for i, (c, _u, label, start) in enumerate(kept)]
    rows.append({"id": extra[0], "type": "question", "start_s": "", "label": "open",
                 "utterance": extra[1]})
    rows.append({"id": "k0", "type": "", "start_s": "", "label": "", "utterance": ""})
    codes = write_codes(tmp_path / "codes.csv", rows,
                        ["id", "type", "utterance", "start_s", "label"])
    (result,) = agreement(run_dir, codes)
    assert result.units == n_units
    assert (result.both, result.auto_only, result.human_only) == (len(kept), 2, 1)
    assert result.precision == pytest.approx(len(kept) / len(found))
    assert result.recall == pytest.approx(len(kept) / (len(kept) + 1))
    assert result.label_agreement == pytest.approx((len(kept) - 1) / len(kept))
    assert result.kappa is not None and 0 < result.kappa < 1


@pytest.mark.parametrize(("rows", "problem"), [
    ([{"id": "k0", "type": "smile", "utterance": 1}], "unknown event type 'smile'"),
    ([{"id": "k0", "type": "question", "utterance": 9999}], "utterance 9999 does not exist"),
    ([{"id": "nope", "type": "question", "utterance": 1}], "'nope' is not in the run"),
    ([{"id": "k0", "type": "question", "utterance": "x"}], "whole number"),
])
def test_bad_codes(run_dir: Path, tmp_path: Path, rows: list[dict[str, object]],
                   problem: str) -> None:
    codes = write_codes(tmp_path / "codes.csv", rows, ["id", "type", "utterance"])
    with pytest.raises(AgreementError, match=problem):
        agreement(run_dir, codes)


def test_codes_need_columns(run_dir: Path, tmp_path: Path) -> None:
    codes = write_codes(tmp_path / "codes.csv", [{"id": "k0", "kind": "question"}],
                        ["id", "kind"])
    with pytest.raises(AgreementError, match="need columns 'id', 'type'"):
        agreement(run_dir, codes)


def test_cli_agreement(run_dir: Path, tmp_path: Path) -> None:
    rows = [{"id": c, "type": "question", "utterance": u, "label": label}
            for c, u, label, _ in auto_questions(run_dir)]
    codes = write_codes(tmp_path / "codes.csv", rows, ["id", "type", "utterance", "label"])
    result = CliRunner().invoke(main, ["agreement", str(run_dir), str(codes), "-o",
                                       str(tmp_path / "agree.csv")])
    assert result.exit_code == 0, result.output
    assert "question" in result.output and "1.00" in result.output
    with (tmp_path / "agree.csv").open(encoding="utf-8") as f:
        (row,) = list(csv.DictReader(f))
    assert row["type"] == "question" and float(row["kappa"]) == 1.0
