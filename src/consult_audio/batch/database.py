"""The run database: one SQLite file, ``RUN_DIR/batch.sqlite``, in WAL mode.

Tables (columns in ``docs/batch.md``):

- ``meta``: the database schema (:data:`DB_SCHEMA`) and the consult-audio version that made it;
- ``runs``: one row per ``consult-audio batch`` run, its settings and counts;
- ``consultations``: one row per consultation id: the key it was analysed under (content hash of
  its inputs and the settings), its metadata and consent basis, and the full analysis JSON;
- ``utterances``, ``events``, ``metrics``: the same result as rows, for SQL queries;
- ``failures``: the latest failure or refusal of each id that has no result for its key;
- ``exports``: files written by ``consult-audio export``, so that ``forget`` can remove them;
- ``file_hashes``: SHA-256 of input files by path, size and modification time, so a rerun does
  not read every file again.

Every result is written in one transaction (:meth:`RunDatabase.store_result`): a crash, even
``kill -9``, leaves each consultation either complete or absent. ``synchronous=NORMAL`` in WAL mode
survives any crash of the process; a power cut may lose the last few commits, never consistency.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from consult_audio.errors import ConsultAudioError

__all__ = ["DB_NAME", "DB_SCHEMA", "RunDatabase", "RunDirError", "StoredResult"]

log = logging.getLogger(__name__)

DB_NAME = "batch.sqlite"
LOCK_NAME = "batch.lock"
DB_SCHEMA = "consult-audio/batch/v1"
BUSY_TIMEOUT_MS = 30_000  # ms a reader or writer waits for another connection's lock
FILE_MODE = 0o600  # the database quotes what patients said: owner only
DIR_MODE = 0o700

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL,
    version TEXT NOT NULL, input TEXT NOT NULL, settings TEXT NOT NULL,
    total INTEGER, done INTEGER, skipped INTEGER, failed INTEGER, refused INTEGER);
CREATE TABLE IF NOT EXISTS consultations (
    id TEXT PRIMARY KEY, key TEXT NOT NULL, run_id INTEGER NOT NULL, kind TEXT NOT NULL,
    paths TEXT NOT NULL, consent TEXT NOT NULL, metadata TEXT NOT NULL, duration_s REAL,
    analysed_at TEXT NOT NULL, seconds REAL, analysis TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS utterances (
    consultation_id TEXT NOT NULL, idx INTEGER NOT NULL, start_s REAL, end_s REAL,
    speaker TEXT, role TEXT, text TEXT, PRIMARY KEY (consultation_id, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    consultation_id TEXT NOT NULL, idx INTEGER NOT NULL, type TEXT NOT NULL, label TEXT,
    start_s REAL, end_s REAL, role TEXT, speaker TEXT, utterance INTEGER, text TEXT, tags TEXT,
    rule TEXT, matched TEXT, PRIMARY KEY (consultation_id, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS metrics (
    consultation_id TEXT NOT NULL, name TEXT NOT NULL, value,
    PRIMARY KEY (consultation_id, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS failures (
    id TEXT PRIMARY KEY, key TEXT, run_id INTEGER NOT NULL, status TEXT NOT NULL,
    source TEXT NOT NULL, message TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS exports (
    path TEXT PRIMARY KEY, consultation_id TEXT, format TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS file_hashes (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_type ON events (type);
CREATE INDEX IF NOT EXISTS exports_consultation ON exports (consultation_id);
"""


class RunDirError(ConsultAudioError):
    """A RUN_DIR that cannot be used: written by another version, not a run, or in use."""


def now() -> str:
    """The local time as ISO 8601 with its UTC offset."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


@dataclass(frozen=True, slots=True)
class StoredResult:
    """One analysis as database rows, built in the worker so the writer only inserts.

    ``utterances``: ``(idx, start_s, end_s, speaker, role, text)``; ``events``: ``(idx, type,
    label, start_s, end_s, role, speaker, utterance, text, tags, rule, matched)``; ``metrics``:
    ``(name, value)``; ``analysis`` the analysis JSON text (schema v1).
    """

    id: str
    duration_s: float
    analysed_at: str
    analysis: str
    utterances: Sequence[tuple[Any, ...]]
    events: Sequence[tuple[Any, ...]]
    metrics: Sequence[tuple[str, Any]]


@dataclass(frozen=True, slots=True)
class Done:
    """What the database holds for an id that has a result."""

    key: str
    metadata: str
    consent: str


class RunDatabase:
    """An open run database. Use as a context manager; ``lock=True`` takes RUN_DIR's writer lock
    (one ``batch`` or ``forget`` at a time; ``export`` and ``agreement`` only read)."""

    def __init__(self, run_dir: Path, *, create: bool = False, lock: bool = False) -> None:
        self.run_dir = run_dir
        self.path = run_dir / DB_NAME
        self._lock_fd: int | None = None
        if not self.path.is_file():
            if not create:
                raise RunDirError(f"{run_dir}: not a batch run folder (no {DB_NAME}); give the "
                                  "RUN_DIR that `consult-audio batch` wrote")
            _make_private_dir(run_dir)
            _touch_private(self.path)
        if lock:
            self._lock_fd = _take_lock(run_dir / LOCK_NAME)
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None,
                                        timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.Error as err:
            self._release()
            raise RunDirError(f"{self.path}: cannot open the run database: {err}") from err
        try:
            self._prepare(create=create)
        except BaseException:
            self.close()
            raise

    # --- opening ---------------------------------------------------------------------------------

    def _prepare(self, *, create: bool) -> None:
        from consult_audio import __version__

        try:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            tables = {row[0] for row in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as err:
            raise RunDirError(f"{self.path}: not a consult-audio run database ({err}); give "
                              "another RUN_DIR") from err
        if "meta" not in tables:
            if tables or not create:
                raise RunDirError(f"{self.path}: not a consult-audio run database; give another "
                                  "RUN_DIR")
            # One script, one transaction: the tables and their meta rows appear together.
            values = ", ".join(f"({_literal(k)}, {_literal(v)})" for k, v in (
                ("schema", DB_SCHEMA), ("created_by", __version__), ("created_at", now())))
            self.conn.executescript(
                f"BEGIN IMMEDIATE; {_TABLES} INSERT INTO meta VALUES {values}; COMMIT;")
            return
        meta = dict(self.conn.execute("SELECT key, value FROM meta").fetchall())
        schema, made_by = meta.get("schema"), meta.get("created_by", "an unknown version")
        if schema != DB_SCHEMA:
            raise RunDirError(
                f"{self.run_dir} was written by consult-audio {made_by} (run database "
                f"{schema!r}); this is consult-audio {__version__}, which reads {DB_SCHEMA!r}. "
                "Use a new RUN_DIR, or that version to read this one")
        if made_by != __version__:
            log.warning("%s was started by consult-audio %s; results of that version are "
                        "analysed again by %s", self.run_dir, made_by, __version__)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; rolled back on any exception."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()
        self._release()

    def _release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor drops the lock
            self._lock_fd = None

    def __enter__(self) -> RunDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- runs ------------------------------------------------------------------------------------

    def start_run(self, *, source: str, settings: Mapping[str, Any]) -> int:
        from consult_audio import __version__

        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO runs (started_at, status, version, input, settings) "
                "VALUES (?, 'running', ?, ?, ?)",
                (now(), __version__, source, json.dumps(settings, sort_keys=True)))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def finish_run(self, run_id: int, *, status: str, counts: Mapping[str, int]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE runs SET finished_at = ?, status = ?, total = ?, done = ?, skipped = ?, "
                "failed = ?, refused = ? WHERE run_id = ?",
                (now(), status, counts.get("total", 0), counts.get("done", 0),
                 counts.get("skipped", 0), counts.get("failed", 0), counts.get("refused", 0),
                 run_id))

    # --- results ---------------------------------------------------------------------------------

    def done(self) -> dict[str, Done]:
        """id -> what is stored for it, for every consultation with a result."""
        rows = self.conn.execute("SELECT id, key, metadata, consent FROM consultations")
        return {cid: Done(key, metadata, consent) for cid, key, metadata, consent in rows}

    def failed_keys(self) -> dict[str, str | None]:
        """id -> key of its recorded failure (``None`` for rows that never had a key)."""
        return dict(self.conn.execute("SELECT id, key FROM failures WHERE status = 'failed'"))

    def store_result(
        self,
        stored: StoredResult,
        *,
        key: str,
        run_id: int,
        kind: str,
        paths: Sequence[str],
        consent: str,
        metadata: Mapping[str, Any],
        seconds: float,
    ) -> None:
        """Replace whatever the id had with this result, all in one transaction."""
        cid = stored.id
        with self.transaction() as conn:
            _delete_rows(conn, cid)
            conn.execute(
                "INSERT INTO consultations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (cid, key, run_id, kind, json.dumps(list(paths)), consent,
                 json.dumps(dict(metadata), sort_keys=True), stored.duration_s,
                 stored.analysed_at, round(seconds, 4), stored.analysis))
            conn.executemany("INSERT INTO utterances VALUES (?, ?, ?, ?, ?, ?, ?)",
                             [(cid, *row) for row in stored.utterances])
            conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             [(cid, *row) for row in stored.events])
            conn.executemany("INSERT INTO metrics VALUES (?, ?, ?)",
                             [(cid, *row) for row in stored.metrics])
            conn.execute("DELETE FROM failures WHERE id = ?", (cid,))

    def record_failure(
        self,
        cid: str,
        *,
        key: str | None,
        run_id: int,
        status: str,
        source: str,
        message: str,
    ) -> None:
        """Record that ``cid`` failed (``status`` ``failed``) or was refused (``refused``)."""
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO failures VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (cid, key, run_id, status, source, message, now()))

    def update_metadata(self, cid: str, metadata: Mapping[str, Any], consent: str) -> None:
        """New metadata for a stored result (the manifest changed, the inputs did not): the
        columns and the analysis JSON's ``provenance.metadata``, without analysing again."""
        with self.transaction() as conn:
            row = conn.execute("SELECT analysis FROM consultations WHERE id = ?",
                               (cid,)).fetchone()
            if row is None:
                return
            analysis = json.loads(row[0])
            analysis.setdefault("provenance", {})["metadata"] = dict(metadata)
            conn.execute(
                "UPDATE consultations SET metadata = ?, consent = ?, analysis = ? WHERE id = ?",
                (json.dumps(dict(metadata), sort_keys=True), consent,
                 json.dumps(analysis, ensure_ascii=False), cid))

    # --- input hashes ----------------------------------------------------------------------------

    def cached_hashes(self) -> dict[str, tuple[int, int, str]]:
        """path -> (size, mtime_ns, sha256) of input files hashed by earlier runs."""
        rows = self.conn.execute("SELECT path, size, mtime_ns, sha256 FROM file_hashes")
        return {path: (size, mtime, sha) for path, size, mtime, sha in rows}

    def cache_hashes(self, rows: Iterable[tuple[str, int, int, str]]) -> None:
        rows = list(rows)
        if rows:
            with self.transaction() as conn:
                conn.executemany("INSERT OR REPLACE INTO file_hashes VALUES (?, ?, ?, ?)", rows)

    # --- reading ---------------------------------------------------------------------------------

    def analyses(self, ids: Sequence[str] | None = None) -> Iterator[tuple[str, str, str]]:
        """``(id, metadata JSON, analysis JSON)`` of stored results, by id."""
        query = "SELECT id, metadata, analysis FROM consultations"
        if ids is None:
            yield from self.conn.execute(query + " ORDER BY id")
            return
        for cid in ids:
            row = self.conn.execute(query + " WHERE id = ?", (cid,)).fetchone()
            if row is not None:
                yield row

    def failures(self) -> list[tuple[str, str, str, str]]:
        """``(id, status, source, message)`` of every recorded failure and refusal."""
        return list(self.conn.execute(
            "SELECT id, status, source, message FROM failures ORDER BY id"))

    # --- exports and forgetting --------------------------------------------------------------

    def record_exports(self, rows: Iterable[tuple[str, str | None, str]]) -> None:
        """Record written files: ``(path, consultation id or None for a table, format)``."""
        at = now()
        with self.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO exports VALUES (?, ?, ?, ?)",
                             [(path, cid, fmt, at) for path, cid, fmt in rows])

    def exports(self, cid: str | None) -> list[tuple[str, str]]:
        """``(path, format)`` of the files exported for ``cid``; ``None``: the tables."""
        if cid is None:
            return list(self.conn.execute(
                "SELECT path, format FROM exports WHERE consultation_id IS NULL"))
        return list(self.conn.execute(
            "SELECT path, format FROM exports WHERE consultation_id = ?", (cid,)))

    def known(self, cid: str) -> bool:
        """Whether ``cid`` has anything in the database (a result, a failure or exports)."""
        return any(self.conn.execute(f"SELECT 1 FROM {table} WHERE {column} = ? LIMIT 1",
                                     (cid,)).fetchone()
                   for table, column in (("consultations", "id"), ("failures", "id"),
                                         ("exports", "consultation_id")))

    def forget(self, cid: str) -> list[str]:
        """Delete every row about ``cid``, overwriting the freed pages, and empty the WAL; returns
        the input paths whose hashes were dropped."""
        self.conn.execute("PRAGMA secure_delete = ON")
        with self.transaction() as conn:
            row = conn.execute("SELECT paths FROM consultations WHERE id = ?", (cid,)).fetchone()
            paths: list[str] = json.loads(row[0]) if row else []
            _delete_rows(conn, cid)
            conn.execute("DELETE FROM failures WHERE id = ?", (cid,))
            conn.execute("DELETE FROM exports WHERE consultation_id = ?", (cid,))
            conn.executemany("DELETE FROM file_hashes WHERE path = ?", [(p,) for p in paths])
        # Old versions of the pages may still sit in the WAL: copy back and truncate it.
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return paths


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _delete_rows(conn: sqlite3.Connection, cid: str) -> None:
    """Delete the result of ``cid`` (its consultation row and the rows derived from it)."""
    conn.execute("DELETE FROM consultations WHERE id = ?", (cid,))
    for table in ("utterances", "events", "metrics"):
        conn.execute(f"DELETE FROM {table} WHERE consultation_id = ?", (cid,))


def _make_private_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    except OSError as err:
        raise RunDirError(f"{path}: cannot create the run folder: {err.strerror or err}") from err


def _touch_private(path: Path) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    except OSError as err:
        raise RunDirError(f"{path}: cannot create the run database: {err.strerror or err}") from err
    os.close(fd)


def _take_lock(path: Path) -> int | None:
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, a second writer waits on SQLite's own locks
        return None
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as err:
        os.close(fd)
        raise RunDirError(f"{path.parent}: another `consult-audio batch` or `forget` is using "
                          "this RUN_DIR; wait for it to finish") from err
    return fd
