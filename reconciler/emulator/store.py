"""SQLite persistence: one file under ``data_dir`` (or ``:memory:``), one lock, indexed tables.

Why SQLite: benches keep 10k-100k jobs, so describe-by-id and list-by-inputObject-and-time must
stay indexed; and data must survive restarts and ``kill -9`` (WAL + synchronous=FULL, and every
operation one transaction, so a crash leaves either the old or the new state, never half).
The store knows rows, not rules: the backend decides what to write.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY, region TEXT NOT NULL, queue_id TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS templates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, bucket TEXT NOT NULL,
    name TEXT NOT NULL, tag TEXT NOT NULL, snapshot TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL, UNIQUE (bucket, name));
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, bucket TEXT NOT NULL,
    region TEXT NOT NULL, queue_id TEXT NOT NULL, input_object TEXT NOT NULL,
    created REAL NOT NULL, created_s INTEGER NOT NULL, run_at REAL NOT NULL, end_at REAL NOT NULL,
    final_state TEXT, spec TEXT NOT NULL, result TEXT);
CREATE INDEX IF NOT EXISTS jobs_by_input ON jobs (bucket, input_object, seq);
CREATE INDEX IF NOT EXISTS jobs_by_bucket ON jobs (bucket, seq);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (end_at) WHERE final_state IS NULL;
CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL, key TEXT NOT NULL, data BLOB NOT NULL, etag TEXT NOT NULL,
    content_type TEXT NOT NULL, modified REAL NOT NULL, headers TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (bucket, key));
"""
#: Columns added after a release: (table, column, definition), added to older data files.
_ADDED_COLUMNS = [("objects", "headers", "TEXT NOT NULL DEFAULT '[]'")]

Row = dict[str, Any]


class Store:
    """A locked SQLite connection. Use ``with store.tx() as db:`` for every operation."""

    def __init__(self, data_dir: str | None):
        if data_dir is None:
            path = ":memory:"
        else:
            os.makedirs(data_dir, exist_ok=True)
            path = os.path.join(data_dir, "emulator.sqlite3")
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        if data_dir is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        for table, column, definition in _ADDED_COLUMNS:
            present = {r[1] for r in self._db.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
        self._closed = False

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One atomic transaction under the store lock (all or nothing, even on kill -9)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the emulator store is closed")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()


def to_row(row: sqlite3.Row | None) -> Row | None:
    """A plain dict with the JSON columns decoded."""
    if row is None:
        return None
    out = dict(row)
    for name in ("snapshot", "spec", "result"):
        if isinstance(out.get(name), str):
            out[name] = json.loads(out[name])
    return out


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
