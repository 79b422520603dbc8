"""Agreement between a run's automatic events and a researcher's codes."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from consult_audio.agreement import AgreementError, agreement, cohen_kappa
from consult_audio.batch import synthetic
from consult_audio.batch.database import DB_NAME
from consult_audio.batch.manifest import scan_folder
from consult_audio.batch.runner import BatchOptions, run_batch
from consult_audio.cli import is_safe_id, main


def test_cohen_kappa_known_values() -> None:
    # 20 items: 10 agree yes, 5 agree no, 5 disagree -> po 0.75, pe 0.5, kappa 0.5
    pairs = [("y", "y")] * 10 + [("n", "n")] * 5 + [("y", "n")] * 5
    pe = (15 * 10 + 5 * 10) / 400
    assert cohen_kappa(pairs) == pytest.approx((0.75 - pe) / (1 - pe))
    assert cohen_kappa([("a", "a"), ("b", "b")]) == 1.0
    assert cohen_kappa([("a", "a")] * 3) is None  # undefined: one label throughout
    assert cohen_kappa([]) is None


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
