"""Batch runs: manifests and folders, the run database, resuming, failures, engines, the CLI.

Consultations are generated (:mod:`consult_audio.batch.synthetic`) in ``tmp_path``; nothing here
needs the shared data or a model.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from consult_audio import __version__
from consult_audio.batch import synthetic
from consult_audio.batch.database import DB_NAME, RunDatabase, RunDirError
from consult_audio.batch.manifest import (
    BatchItem,
    ManifestError,
    collect_items,
    read_manifest,
    scan_folder,
)
from consult_audio.batch.runner import BatchOptions, BatchSummary, run_batch
from consult_audio.cli import is_safe_id, main
from consult_audio.model import AnalysisResult, Consultation, Role, Speaker, Utterance

HEADER = "path,id,clinician_id,date,consent,language,roles,cohort"


def write_manifest(folder: Path, rows: Sequence[str], header: str = HEADER) -> Path:
    path = folder / "manifest.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def make_vtts(folder: Path, n: int, *, seed: int = 0) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(n):
        name = f"c{i}.vtt"
        synthetic.write_vtt(folder / name, synthetic.generate_consultation(seed + i))
        names.append(name)
    return names


def items_of(manifest: Path, **kwargs: Any) -> list[BatchItem]:
    return read_manifest(manifest, safe_id=is_safe_id, **kwargs)


def run(items: Sequence[BatchItem], run_dir: Path, **options: Any) -> BatchSummary:
    return run_batch(items, run_dir, BatchOptions(workers=1, **options))


def db_rows(run_dir: Path, query: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(run_dir / DB_NAME) as conn:
        return conn.execute(query, args).fetchall()


# --- manifest ------------------------------------------------------------------------------------


def test_manifest_rows_metadata_and_paths(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_vtts(data / "sub", 2)
    manifest = write_manifest(data, [
        "sub/c0.vtt,v1,clin7,2026-03-01,2026-02-27,en,Doctor=clinician,a",
        "sub/c1.vtt,,clin8,,yes,,,b",
    ])
    first, second = items_of(manifest)
    assert first.error is None and first.id == "v1" and first.kind == "transcript"
    assert first.paths == ((data / "sub" / "c0.vtt").resolve(),)
    assert first.consent == "2026-02-27" and first.roles == {"Doctor": Role.CLINICIAN}
    assert first.metadata == {"clinician_id": "clin7", "date": "2026-03-01", "language": "en",
                              "cohort": "a"}
    assert second.id == "c1" and second.consent == "yes"  # the id from the file name


@pytest.mark.parametrize(("cell", "problem"), [
    ("missing.vtt", "not found"),
    ("/no/such/folder/c0.vtt", "not found"),
    ("", "'path' cell is empty"),
])
def test_manifest_bad_paths_are_failed_rows(tmp_path: Path, cell: str, problem: str) -> None:
    data = tmp_path / "data"
    make_vtts(data, 1)
    (item,) = items_of(write_manifest(data, [f"{cell},x1,,,yes,,,"]))
    assert item.error is not None and problem in item.error and not item.refused
    assert "manifest.csv row 2" in item.error


def test_manifest_outside_the_data_folder(tmp_path: Path) -> None:
    # The common layout: a data store, and a project folder holding the manifest.
    store, project = tmp_path / "store", tmp_path / "project"
    make_vtts(store, 2)
    project.mkdir()
    manifest = write_manifest(project, [f"{store / 'c0.vtt'},a,,,yes,,,",  # absolute
                                        "../store/c1.vtt,b,,,yes,,,"])      # relative
    absolute, relative = items_of(manifest)
    assert absolute.error is None and absolute.paths == (store / "c0.vtt",)
    assert relative.error is None and relative.paths == (store / "c1.vtt",)
    result = CliRunner().invoke(main, ["-q", "batch", str(manifest), "-o", str(tmp_path / "run"),
                                       "-j", "1"])
    assert result.exit_code == 0, result.output
    assert db_rows(tmp_path / "run", "SELECT id FROM consultations ORDER BY id") == [("a",),
                                                                                     ("b",)]


def test_data_root_confines_absolute_and_relative_paths(tmp_path: Path) -> None:
    store, project = tmp_path / "store", tmp_path / "project"
    make_vtts(store, 2)
    project.mkdir()
    manifest = write_manifest(project, [f"{store / 'c0.vtt'},a,,,yes,,,",
                                        "../store/c1.vtt,b,,,yes,,,"])
    for item in items_of(manifest, data_root=project):
        assert item.error is not None and "leads outside --data-root" in item.error
    result = CliRunner().invoke(main, ["batch", str(manifest), "-o", str(tmp_path / "run"),
                                       "-j", "1", "--data-root", str(project)])
    assert result.exit_code == 1, result.output
    messages = db_rows(tmp_path / "run", "SELECT message FROM failures")
    assert len(messages) == 2 and all("leads outside" in m for (m,) in messages)
    inside = items_of(write_manifest(project, [f"{store / 'c0.vtt'},a,,,yes,,,",
                                               "c1.vtt,b,,,yes,,,"]), data_root=store)
    assert [item.error for item in inside] == [None, None]
    assert inside[1].paths == (store / "c1.vtt",)  # relative to --data-root


@pytest.mark.parametrize(("row", "problem"), [
    ("c0.vtt,../evil,,,yes,,,", "not a safe file name"),
    ("c0.vtt,x,,2026-13-01,yes,,,", "date '2026-13-01' is not a date"),
    ("c0.vtt,x,,,maybe,,,", "consent 'maybe' is not a date"),
    ("c0.vtt,x,,,yes,,Doctor,", "is not NAME=ROLE"),
    ("c0.vtt,x,,,yes,,Doctor=boss,", "boss"),
    ("c0.vtt,x,,,yes", "has 5 fields, the header 8"),
])
def test_manifest_bad_rows(tmp_path: Path, row: str, problem: str) -> None:
    make_vtts(tmp_path, 1)
    (item,) = items_of(write_manifest(tmp_path, [row]))
    assert item.error is not None and problem in item.error, item.error


def test_manifest_consent(tmp_path: Path) -> None:
    make_vtts(tmp_path, 2)
    manifest = write_manifest(tmp_path, ["c0.vtt,a,,,,,,", "c1.vtt,b,,,2026-01-05,,,"])
    refused, given = items_of(manifest)
    assert refused.refused and "no consent recorded" in (refused.error or "")
    assert given.error is None
    elsewhere, given = items_of(manifest, consent_elsewhere=True)
    assert elsewhere.error is None and "recorded elsewhere" in elsewhere.consent
    assert given.consent == "2026-01-05"  # a recorded date is kept as the basis


def test_manifest_duplicate_ids_fail_every_row_that_shares_them(tmp_path: Path) -> None:
    make_vtts(tmp_path, 3)
    items = items_of(write_manifest(tmp_path, ["c0.vtt,same,,,yes,,,", "c1.vtt,same,,,yes,,,",
                                               "c2.vtt,other,,,yes,,,"]))
    assert [item.error is None for item in items] == [False, False, True]
    assert "rows 2" not in (items[0].error or "") and "row 3" in (items[0].error or "")


@pytest.mark.parametrize(("header", "problem"), [
    ("file,id,consent", "no 'path' column"),
    ("path,id", "no 'consent' column"),
    ("path,consent,id,ID", "appear more than once"),
])
def test_malformed_manifest(tmp_path: Path, header: str, problem: str) -> None:
    manifest = write_manifest(tmp_path, [], header=header)
    with pytest.raises(ManifestError, match=problem):
        items_of(manifest)


def test_manifest_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes(b"path,consent\n\xff\xfe,yes\n")
    with pytest.raises(ManifestError, match="not UTF-8"):
        items_of(path)


def test_manifest_without_consent_column_with_flag(tmp_path: Path) -> None:
    make_vtts(tmp_path, 1)
    (item,) = items_of(write_manifest(tmp_path, ["c0.vtt"], header="path"), consent_elsewhere=True)
    assert item.error is None and item.id == "c0"


def test_data_root_confines_paths(tmp_path: Path) -> None:
    make_vtts(tmp_path / "audio", 1)
    (tmp_path / "lists").mkdir()
    manifest = write_manifest(tmp_path / "lists", ["c0.vtt,a,,,yes,,,", "../c0.vtt,b,,,yes,,,"])
    ok, outside = collect_items(manifest, safe_id=is_safe_id, data_root=tmp_path / "audio")
    assert ok.error is None and outside.error is not None and "leads outside" in outside.error


# --- folders -------------------------------------------------------------------------------------


def test_folder_groups_per_speaker_transcripts(tmp_path: Path) -> None:
    turns = synthetic.generate_consultation(1)
    synthetic.write_textgrids(tmp_path / "day1_consultation01", turns)
    make_vtts(tmp_path, 2)
    (tmp_path / "day1_consultation02.vtt").write_text(
        (tmp_path / "c0.vtt").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "notes.md").write_text("not a transcript", encoding="utf-8")
    items = scan_folder(tmp_path, safe_id=is_safe_id, consent_elsewhere=True)
    by_id = {item.id: item for item in items}
    assert sorted(by_id) == ["c0", "c1", "day1_consultation01", "day1_consultation02"]
    assert len(by_id["day1_consultation01"].paths) == 2
    assert all(item.error is None for item in items)


def test_folder_without_consent_flag_is_refused(tmp_path: Path) -> None:
    make_vtts(tmp_path, 1)
    (item,) = scan_folder(tmp_path, safe_id=is_safe_id)
    assert item.refused and "--consent-recorded-elsewhere" in (item.error or "")


def test_folder_prefers_audio_in_auto_mode(tmp_path: Path) -> None:
    make_vtts(tmp_path, 1)
    (tmp_path / "visit.wav").write_bytes(b"RIFF")
    is_audio = lambda p: p.suffix == ".wav"  # noqa: E731
    (audio,) = scan_folder(tmp_path, safe_id=is_safe_id, consent_elsewhere=True, is_audio=is_audio)
    assert audio.kind == "audio" and audio.id == "visit"
    (text,) = scan_folder(tmp_path, safe_id=is_safe_id, consent_elsewhere=True, kind="transcript",
                          is_audio=is_audio)
    assert text.kind == "transcript" and text.id == "c0"


# --- runs ----------------------------------------------------------------------------------------


@pytest.fixture
def cohort(tmp_path: Path) -> Path:
    """Five good rows, one corrupt file, one refused row, one unsafe id."""
    data = tmp_path / "data"
    names = make_vtts(data, 5)
    (data / "broken.vtt").write_text("this is not WebVTT\n", encoding="utf-8")
    rows = [f"{name},{name[:-4]},clin{i % 2},2026-05-0{i + 1},2026-04-01,en,,x"
            for i, name in enumerate(names)]
    rows += ["broken.vtt,broken,clin0,,yes,,,", "c0.vtt,noconsent,,,,,,", "c1.vtt,.hidden,,,yes,,,"]
    return write_manifest(data, rows)


def test_run_records_results_failures_and_refusals(cohort: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    summary = run(items_of(cohort), run_dir)
    assert summary.counts.as_dict() == {"total": 8, "done": 5, "skipped": 0, "failed": 2,
                                        "refused": 1}
    assert not summary.ok
    problems = {p.id: p for p in summary.problems}
    assert "malformed WebVTT" in problems["broken"].message
    assert problems["noconsent"].status == "refused"
    assert db_rows(run_dir, "SELECT id, status FROM failures ORDER BY id") == [
        (".hidden", "failed"), ("broken", "failed"), ("noconsent", "refused")]
    ids = [r[0] for r in db_rows(run_dir, "SELECT id FROM consultations ORDER BY id")]
    assert ids == ["c0", "c1", "c2", "c3", "c4"]
    (analysis,) = db_rows(run_dir, "SELECT analysis FROM consultations WHERE id = 'c2'")[0]
    result = AnalysisResult.from_dict(json.loads(analysis))
    assert result.provenance["metadata"] == {"clinician_id": "clin0", "date": "2026-05-03",
                                             "language": "en", "cohort": "x",
                                             "consent": "2026-04-01"}
    assert result.consultation.language == "en"
    assert result.provenance["inputs"][0]["name"] == "c2.vtt"
    n_utterances = db_rows(run_dir, "SELECT count(*) FROM utterances WHERE consultation_id='c2'")
    assert n_utterances[0][0] == len(result.consultation.utterances)
    n_events = db_rows(run_dir, "SELECT count(*) FROM events WHERE consultation_id = 'c2'")
    assert n_events[0][0] == len(result.events)
    metrics = dict(db_rows(run_dir, "SELECT name, value FROM metrics WHERE consultation_id='c2'"))
    assert metrics["questions_open"] == result.metrics.questions.open
    assert (run_dir / DB_NAME).stat().st_mode & 0o777 == 0o600
    mode = db_rows(run_dir, "PRAGMA journal_mode")[0][0]
    assert mode == "wal"


def test_rerun_skips_done_and_redoes_changed_inputs(cohort: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run(items_of(cohort), run_dir)
    again = run(items_of(cohort), run_dir)
    assert (again.counts.done, again.counts.skipped, again.counts.failed) == (0, 5, 2)
    assert next(p for p in again.problems if p.id == "broken").earlier
    # A changed transcript is analysed again; only that one.
    path = cohort.parent / "c3.vtt"
    path.write_text(path.read_text(encoding="utf-8").replace("WEBVTT\n", "WEBVTT\n\n", 1),
                    encoding="utf-8")
    third = run(items_of(cohort), run_dir)
    assert (third.counts.done, third.counts.skipped) == (1, 4)
    # A fixed file is retried only with --retry-failed.
    (cohort.parent / "broken.vtt").write_text(
        (cohort.parent / "c0.vtt").read_text(encoding="utf-8"), encoding="utf-8")
    fourth = run(items_of(cohort), run_dir)
    assert fourth.counts.done == 1  # its content changed, so its key did: a new attempt
    assert db_rows(run_dir, "SELECT count(*) FROM consultations")[0][0] == 6
    assert db_rows(run_dir, "SELECT count(*) FROM runs WHERE status = 'finished'")[0][0] == 4


def test_retry_failed(tmp_path: Path) -> None:
    make_vtts(tmp_path, 1)
    manifest = write_manifest(tmp_path, ["c0.vtt,c0,,,yes,,Nobody=clinician,"])
    first = run(items_of(manifest), tmp_path / "run")
    assert first.counts.failed == 1 and "roles name 'Nobody'" in first.problems[0].message
    assert run(items_of(manifest), tmp_path / "run").problems[0].earlier
    retried = run(items_of(manifest), tmp_path / "run", retry_failed=True)
    assert retried.counts.failed == 1 and not retried.problems[0].earlier


def test_settings_change_the_key(cohort: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run(items_of(cohort), run_dir)
    with_roles = run(items_of(cohort), run_dir, roles={"Patient": Role.PATIENT})
    assert with_roles.counts.done == 5  # roles are settings: new keys
    rules = json.loads((Path(__file__).parents[1] / "src/consult_audio/data/rules.json")
                       .read_text(encoding="utf-8"))
    rules["timing"] = dict(rules["timing"])
    edited = tmp_path / "rules.json"
    edited.write_text(json.dumps(rules) + " ", encoding="utf-8")
    same = run(items_of(cohort), run_dir, rules_path=edited)
    assert same.counts.done == 5  # the roles above are gone: new keys again
    assert run(items_of(cohort), run_dir, rules_path=edited).counts.skipped == 5
    rules["version"] = "edited"
    edited.write_text(json.dumps(rules), encoding="utf-8")
    assert run(items_of(cohort), run_dir, rules_path=edited).counts.done == 5


def test_metadata_change_updates_without_analysing(tmp_path: Path) -> None:
    make_vtts(tmp_path, 1)
    run(items_of(write_manifest(tmp_path, ["c0.vtt,c0,clinA,,yes,,,"])), tmp_path / "run")
    summary = run(items_of(write_manifest(tmp_path, ["c0.vtt,c0,clinB,,yes,,,"])),
                  tmp_path / "run")
    assert (summary.counts.done, summary.counts.skipped, summary.metadata_updated) == (0, 1, 1)
    (analysis, metadata), = db_rows(tmp_path / "run", "SELECT analysis, metadata FROM "
                                                     "consultations")
    assert json.loads(analysis)["provenance"]["metadata"]["clinician_id"] == "clinB"
    assert json.loads(metadata)["clinician_id"] == "clinB"


def test_run_dir_of_another_version_is_refused(cohort: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run(items_of(cohort)[:1], run_dir)
    with sqlite3.connect(run_dir / DB_NAME) as conn:
        conn.execute("UPDATE meta SET value = 'consult-audio/batch/v0' WHERE key = 'schema'")
        conn.execute("UPDATE meta SET value = '0.0.1' WHERE key = 'created_by'")
    with pytest.raises(RunDirError, match=r"written by consult-audio 0\.0\.1.*Use a new RUN_DIR"):
        run(items_of(cohort), run_dir)


def test_run_dir_that_is_not_a_database(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"not sqlite" * 100)
    with pytest.raises(RunDirError, match="not a consult-audio run database"):
        RunDatabase(tmp_path)
    with pytest.raises(RunDirError, match="not a batch run folder"):
        RunDatabase(tmp_path / "empty")


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    with RunDatabase(tmp_path, create=True, lock=True), pytest.raises(
            RunDirError, match="another `consult-audio batch`"):
        RunDatabase(tmp_path, lock=True)
    with RunDatabase(tmp_path, lock=True):  # released when the first closed
        pass


def test_two_local_workers_give_the_same_results(cohort: Path, tmp_path: Path) -> None:
    items = items_of(cohort)
    run(items, tmp_path / "one")
    summary = run_batch(items, tmp_path / "two", BatchOptions(workers=2))
    assert summary.counts.done == 5
    query = "SELECT consultation_id, name, value FROM metrics ORDER BY 1, 2"
    assert db_rows(tmp_path / "one", query) == db_rows(tmp_path / "two", query)


# --- redaction and audio go through their modules' interfaces ------------------------------------


def test_redact_runs_after_the_metrics(cohort: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    def redact_result(result: AnalysisResult) -> AnalysisResult:
        c = result.consultation
        utterances = tuple(dataclasses.replace(u, text="[REDACTED]") for u in c.utterances)
        return dataclasses.replace(result, consultation=dataclasses.replace(
            c, utterances=utterances))

    fake = types.ModuleType("consult_audio.privacy.redact")
    fake.redact_result = redact_result  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "consult_audio.privacy.redact", fake)
    items = items_of(cohort)[:2]
    run(items, tmp_path / "plain")
    assert run(items, tmp_path / "red", redact=True).counts.done == 2
    texts = {r[0] for r in db_rows(tmp_path / "red", "SELECT text FROM utterances")}
    assert texts == {"[REDACTED]"}
    query = "SELECT consultation_id, name, value FROM metrics ORDER BY 1, 2"
    assert db_rows(tmp_path / "plain", query) == db_rows(tmp_path / "red", query)


def test_audio_goes_through_the_pipeline_loaded_once(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from consult_audio.rules import default_rules

    built: list[Any] = []
    given_rules: list[Any] = []

    class AudioOptions:
        pass

    class AudioRun:
        def __init__(self, consultation: Consultation) -> None:
            self.consultation = consultation

        def provenance(self) -> dict[str, Any]:
            return {"models": {"asr": "fake-1"}}

    class AudioPipeline:
        def __init__(self, options: AudioOptions, *, rules: Any = None,
                     progress: Any = None) -> None:
            built.append(options)
            given_rules.append(rules)

        def run(self, path: Path, *, consultation_id: str,
                roles: Mapping[str, Role], language: str | None = None) -> AudioRun:
            if path.read_bytes() == b"corrupt":
                from consult_audio.errors import InputError
                raise InputError(path, "cannot decode the audio")
            speakers = (Speaker("A", Role.CLINICIAN), Speaker("B", Role.PATIENT))
            utterances = (Utterance("A", 0.0, 2.0, "How can I help you today?"),
                          Utterance("B", 2.5, 9.0, "My back hurts and I'm worried about work."))
            return AudioRun(Consultation(consultation_id, 10.0, speakers, utterances))

    fake = types.ModuleType("consult_audio.audio.pipeline")
    fake.AudioOptions = AudioOptions  # type: ignore[attr-defined]
    fake.AudioPipeline = AudioPipeline  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "consult_audio.audio.pipeline", fake)
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.wav").write_bytes(name.encode())
    (tmp_path / "d.wav").write_bytes(b"corrupt")
    items = scan_folder(tmp_path, safe_id=is_safe_id, consent_elsewhere=True,
                        is_audio=lambda p: p.suffix == ".wav")
    summary = run(items, tmp_path / "run")
    assert (summary.counts.done, summary.counts.failed) == (3, 1)
    assert len(built) == 1  # models load once per worker
    assert given_rules == [default_rules()]  # the worker's rules, for the acknowledgement words
    assert "cannot decode" in summary.problems[0].message
    (analysis,) = db_rows(tmp_path / "run", "SELECT analysis FROM consultations WHERE id='a'")[0]
    provenance = json.loads(analysis)["provenance"]
    assert provenance["models"] == {"asr": "fake-1"} and provenance["settings"]["audio"]
    assert run(items, tmp_path / "run").counts.skipped == 3


# --- command line --------------------------------------------------------------------------------


def test_cli_batch_exit_codes_and_summary(cohort: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["batch", str(cohort), "-o", str(tmp_path / "run"), "-j", "1"])
    assert result.exit_code == 1, result.output
    assert "Analysed now" in result.output and "malformed WebVTT" in result.output
    assert "refused" in result.output
    good = write_manifest(tmp_path, ["data/c0.vtt,c0,,,yes,,,"])
    result = runner.invoke(main, ["-q", "batch", str(good), "-o", str(tmp_path / "run2")])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(tmp_path / "run2" / DB_NAME)


def test_cli_batch_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = write_manifest(tmp_path, [], header="file,consent")
    result = runner.invoke(main, ["batch", str(bad), "-o", str(tmp_path / "run")])
    assert result.exit_code == 2 and "error: " in result.output and "'path'" in result.output
    make_vtts(tmp_path / "f", 1)
    result = runner.invoke(main, ["batch", str(tmp_path / "f"), "-o", str(tmp_path / "run"),
                                  "--address", "x:1"])
    assert result.exit_code == 2 and "--engine ray" in result.output


def test_cli_batch_folder_needs_consent(tmp_path: Path) -> None:
    make_vtts(tmp_path / "f", 2)
    runner = CliRunner()
    result = runner.invoke(main, ["batch", str(tmp_path / "f"), "-o", str(tmp_path / "run")])
    assert result.exit_code == 1 and "no consent recorded" in result.output
    result = runner.invoke(main, ["batch", str(tmp_path / "f"), "-o", str(tmp_path / "run"),
                                  "--consent-recorded-elsewhere", "-j", "1"])
    assert result.exit_code == 0, result.output


# --- crash safety --------------------------------------------------------------------------------


def test_sigkill_mid_run_then_rerun_gives_every_consultation_once(tmp_path: Path) -> None:
    n = 120
    manifest = synthetic.write_batch(tmp_path / "data", n)
    run_dir = tmp_path / "run"
    command = [sys.executable, "-m", "consult_audio", "-q", "batch", str(manifest), "-o",
               str(run_dir), "-j", "2"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, start_new_session=True, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    done = 0
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
        try:
            done = db_rows(run_dir, "SELECT count(*) FROM consultations")[0][0]
        except sqlite3.Error:  # not created yet, or busy
            continue
        if done >= 10:
            break
    assert process.poll() is None, f"finished before it could be killed: {process.stderr}"
    os.killpg(process.pid, signal.SIGKILL)  # the coordinator and its workers
    process.wait()
    assert process.returncode == -signal.SIGKILL
    partial = db_rows(run_dir, "SELECT count(*) FROM consultations")[0][0]
    assert 10 <= partial < n
    assert db_rows(run_dir, "SELECT status FROM runs") == [("running",)]  # never finished

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert db_rows(run_dir, "PRAGMA integrity_check") == [("ok",)]
    ids = [r[0] for r in db_rows(run_dir, "SELECT id FROM consultations")]
    assert sorted(ids) == [f"gen{i:05d}" for i in range(n)]  # every one, each once
    assert db_rows(run_dir, "SELECT count(*) FROM failures") == [(0,)]
    done_now = db_rows(run_dir, "SELECT done, skipped FROM runs WHERE status = 'finished'")
    assert done_now == [(n - partial, partial)]
    # No half-written result: each stored JSON matches its rows.
    for cid, analysis in db_rows(run_dir, "SELECT id, analysis FROM consultations"):
        data = json.loads(analysis)
        utterances = db_rows(run_dir, "SELECT count(*) FROM utterances WHERE consultation_id = ?",
                             (cid,))[0][0]
        events = db_rows(run_dir, "SELECT count(*) FROM events WHERE consultation_id = ?",
                         (cid,))[0][0]
        assert (utterances, events) == (len(data["utterances"]), len(data["events"]))


# --- Ray -----------------------------------------------------------------------------------------


def test_ray_engine_on_a_local_instance(cohort: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    ray = pytest.importorskip("ray")
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        summary = run_batch(items_of(cohort), tmp_path / "ray", BatchOptions(engine="ray"))
        assert (summary.counts.done, summary.counts.failed) == (5, 2)
        assert ray.is_initialized()  # started by the test, left for the test to stop
    finally:
        ray.shutdown()
    run(items_of(cohort), tmp_path / "local")
    query = "SELECT consultation_id, name, value FROM metrics ORDER BY 1, 2"
    assert db_rows(tmp_path / "ray", query) == db_rows(tmp_path / "local", query)
    assert __version__  # the same code ran in the Ray workers
