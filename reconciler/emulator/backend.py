"""The backend: state and rules for templates, jobs, the queue and objects.

Handlers give it plain values and get rows back; it raises :mod:`exceptions` errors. Every
public method is one store transaction that first settles due jobs (see :mod:`lifecycle`).
Buckets come into existence on first use (the real service requires binding the bucket to CI).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sqlite3
import uuid
from dataclasses import dataclass

from . import lifecycle, listing
from .config import EmulatorConfig
from .exceptions import (
    FileAlreadyExists,
    InvalidArgument,
    NoSuchKey,
    QueueNotFound,
    TemplateNameDuplicate,
    TemplateNotFound,
)
from .jobspec import Submission, check_outputs
from .snapshot import Settings
from .store import Row, Store, dumps, to_row

_NAME = re.compile(r"^[\u4e00-\u9fffA-Za-z0-9_*-]{1,64}$")
JOB_STATES = ("Submitted", "Running", "Success", "Failed", "Pause", "Cancel")


@dataclass(frozen=True)
class JobFilter:
    """GET /jobs parameters, already validated by the handler (ci-api.md §3.5)."""

    queue_id: str | None = None
    input_object: str | None = None
    states: tuple[str, ...] = ()
    after_s: int | None = None
    before_s: int | None = None
    descending: bool = True
    size: int = 10
    next_token: str | None = None


class Backend:
    def __init__(self, config: EmulatorConfig):
        self.config = config
        self.store = Store(config.data_dir)

    def close(self) -> None:
        self.store.close()

    def _now(self) -> float:
        return self.config.clock()

    def _bucket(self, db: sqlite3.Connection, bucket: str, region: str, now: float) -> Row:
        row = to_row(db.execute("SELECT * FROM buckets WHERE name = ?", (bucket,)).fetchone())
        if row is None:
            queue_id = "p" + hashlib.md5(f"queue:{bucket}".encode()).hexdigest()
            row = {"name": bucket, "region": region, "queue_id": queue_id, "created": now}
            db.execute("INSERT INTO buckets VALUES (:name, :region, :queue_id, :created)", row)
        return row

    # ----- templates -------------------------------------------------------------------------

    def create_template(self, bucket: str, region: str, name: str, settings: Settings) -> Row:
        _check_name(name)
        with self.store.tx() as db:
            now = self._now()
            self._bucket(db, bucket, region, now)
            self._unique_name(db, bucket, name, None)
            tid = "t1" + uuid.uuid4().hex
            db.execute(
                "INSERT INTO templates (id, bucket, name, tag, snapshot, created, updated) "
                "VALUES (?, ?, ?, 'Snapshot', ?, ?, ?)",
                (tid, bucket, name, dumps(settings), now, now),
            )
            return self._template(db, bucket, tid)

    def update_template(
        self, bucket: str, region: str, tid: str, name: str, settings: Settings | None
    ) -> Row:
        _check_name(name)
        with self.store.tx() as db:
            now = self._now()
            current = self._template(db, bucket, tid)
            self._unique_name(db, bucket, name, tid)
            new = settings if settings is not None else current["snapshot"]
            db.execute(
                "UPDATE templates SET name = ?, snapshot = ?, updated = ? WHERE id = ?",
                (name, dumps(new), now, tid),
            )
            return self._template(db, bucket, tid)

    def delete_template(self, bucket: str, tid: str) -> None:
        with self.store.tx() as db:
            self._template(db, bucket, tid)
            db.execute("DELETE FROM templates WHERE id = ?", (tid,))

    def list_templates(
        self,
        bucket: str,
        *,
        tag: str,
        category: str,
        ids: list[str],
        name: str,
        page: int,
        size: int,
    ) -> tuple[list[Row], int]:
        if category == "Official" or tag not in ("All", "Snapshot"):
            return [], 0  # no official (system preset) snapshot templates are emulated
        where, args = "bucket = ?", [bucket]
        if ids:
            where += f" AND id IN ({','.join('?' * len(ids))})"
            args += ids
        if name:
            where += " AND substr(name, 1, ?) = ?"
            args += [len(name), name]  # type: ignore[list-item]
        with self.store.tx() as db:
            total = db.execute(f"SELECT COUNT(*) FROM templates WHERE {where}", args).fetchone()[0]
            rows = db.execute(
                f"SELECT * FROM templates WHERE {where} ORDER BY seq LIMIT ? OFFSET ?",
                [*args, size, (page - 1) * size],
            ).fetchall()
            return [r for r in map(to_row, rows) if r is not None], int(total)

    def _template(self, db: sqlite3.Connection, bucket: str, tid: str) -> Row:
        row = to_row(
            db.execute(
                "SELECT * FROM templates WHERE id = ? AND bucket = ?", (tid, bucket)
            ).fetchone()
        )
        if row is None:
            raise TemplateNotFound(f"template {tid} does not exist in bucket {bucket}")
        return row

    def _unique_name(self, db: sqlite3.Connection, bucket: str, name: str, tid: str | None) -> None:
        clash = db.execute(
            "SELECT id FROM templates WHERE bucket = ? AND name = ?", (bucket, name)
        ).fetchone()
        if clash is not None and clash[0] != tid:
            raise TemplateNameDuplicate(f"a template named {name!r} already exists ({clash[0]})")

    # ----- jobs ------------------------------------------------------------------------------

    def submit_job(self, bucket: str, region: str, sub: Submission) -> Row:
        with self.store.tx() as db:
            now = self._now()
            lifecycle.settle(db, now)
            queue_id = self._bucket(db, bucket, region, now)["queue_id"]
            if sub.queue_id is not None and sub.queue_id != queue_id:
                raise QueueNotFound(f"queue {sub.queue_id} does not exist in bucket {bucket}")
            spec = self._job_spec(db, bucket, sub)
            check_outputs(spec["settings"], sub.output)
            jid = "j" + uuid.uuid4().hex
            secs = self.config.job_seconds
            db.execute(
                "INSERT INTO jobs (id, bucket, region, queue_id, input_object, created, created_s,"
                " run_at, end_at, spec) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    jid,
                    bucket,
                    region,
                    queue_id,
                    sub.input_object,
                    now,
                    int(now),
                    now + secs / 2,
                    now + secs,
                    dumps(spec),
                ),
            )
            if secs == 0:
                lifecycle.settle(db, now)
            return self._job(db, jid)

    def _job_spec(self, db: sqlite3.Connection, bucket: str, sub: Submission) -> Row:
        """What the job will do, captured now: later template edits do not change it."""
        spec: Row = {
            "output": sub.output,
            "user_data": sub.user_data,
            "job_level": sub.job_level,
            "callback": sub.callback,
            "inline": True,
        }
        if sub.template_id:
            template = self._template(db, bucket, sub.template_id)
            spec.update(
                template_id=template["id"],
                template_name=template["name"],
                settings=template["snapshot"],
                inline=False,
            )
        else:
            spec["settings"] = sub.settings
        return spec

    def _job(self, db: sqlite3.Connection, jid: str) -> Row:
        row = to_row(db.execute("SELECT * FROM jobs WHERE id = ?", (jid,)).fetchone())
        assert row is not None
        return row

    def describe_jobs(self, bucket: str, ids: list[str]) -> tuple[list[Row], list[str], float]:
        with self.store.tx() as db:
            now = self._now()
            lifecycle.settle(db, now)
            found: list[Row] = []
            missing: list[str] = []
            for jid in ids:
                row = to_row(
                    db.execute(
                        "SELECT * FROM jobs WHERE id = ? AND bucket = ?", (jid, bucket)
                    ).fetchone()
                )
                if row is None:
                    missing.append(jid)
                else:
                    found.append(row)
            return found, missing, now

    def list_jobs(self, bucket: str, f: JobFilter) -> tuple[list[Row], str, float]:
        where, args = ["bucket = :bucket"], {"bucket": bucket}
        for column, value in (("queue_id", f.queue_id), ("input_object", f.input_object)):
            if value is not None:
                where.append(f"{column} = :{column}")
                args[column] = value
        if f.after_s is not None:
            where.append(f"created_s > {int(f.after_s)}")
        if f.before_s is not None:
            where.append(f"created_s < {int(f.before_s)}")
        if f.states:
            where.append(f"{lifecycle.STATE_SQL} IN ({','.join(repr(s) for s in f.states)})")
        if f.next_token:
            where.append(("seq < " if f.descending else "seq > ") + str(_token_seq(f.next_token)))
        order = "DESC" if f.descending else "ASC"
        with self.store.tx() as db:
            now = self._now()
            lifecycle.settle(db, now)
            sql = f"SELECT * FROM jobs WHERE {' AND '.join(where)} ORDER BY seq {order} LIMIT :n"
            rows = [
                r
                for r in map(to_row, db.execute(sql, {**args, "now": now, "n": f.size + 1}))
                if r is not None
            ]
        token = _make_token(rows[f.size - 1]["seq"]) if len(rows) > f.size else ""
        return rows[: f.size], token, now

    def cancel_job(self, bucket: str, jid: str) -> None:
        with self.store.tx() as db:
            now = self._now()
            lifecycle.settle(db, now)
            row = to_row(
                db.execute(
                    "SELECT * FROM jobs WHERE id = ? AND bucket = ?", (jid, bucket)
                ).fetchone()
            )
            if row is None:
                raise InvalidArgument(f"job {jid} does not exist")
            state = lifecycle.state_of(row, now)
            if state == "Cancel":
                return  # cancelling twice is harmless (lets clients retry the PUT)
            if state != "Submitted":
                raise InvalidArgument(
                    f"job {jid} is {state}; only jobs not yet running (Submitted) can be cancelled"
                )
            result = dumps({"end": now})
            db.execute(
                "UPDATE jobs SET final_state = 'Cancel', result = ? WHERE id = ?", (result, jid)
            )

    # ----- queue and objects -----------------------------------------------------------------

    def queue(self, bucket: str, region: str) -> Row:
        with self.store.tx() as db:
            now = self._now()
            return self._bucket(db, bucket, region, now)

    def put_object(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: str,
        *,
        headers: list[tuple[str, str]] | None = None,
        forbid_overwrite: bool = False,
    ) -> Row:
        """Store an object; with ``forbid_overwrite`` an existing key is refused in the same
        transaction that would write it, so of two racing creators exactly one wins."""
        with self.store.tx() as db:
            now = self._now()
            lifecycle.settle(db, now)
            if (
                forbid_overwrite
                and db.execute(
                    "SELECT 1 FROM objects WHERE bucket = ? AND key = ?", (bucket, key)
                ).fetchone()
            ):
                raise FileAlreadyExists("The object already exists and overwrite is forbidden.")
            lifecycle.put_object(db, bucket, key, data, content_type, now, headers or [])
            return self._object(db, bucket, key)

    def get_object(self, bucket: str, key: str) -> Row:
        with self.store.tx() as db:
            lifecycle.settle(db, self._now())
            return self._object(db, bucket, key)

    def delete_object(self, bucket: str, key: str) -> None:
        with self.store.tx() as db:
            lifecycle.settle(db, self._now())
            db.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", (bucket, key))

    def list_objects(
        self, bucket: str, prefix: str, marker: str, max_keys: int, delimiter: str | None = None
    ) -> tuple[list[Row | str], bool]:
        """Entries after ``marker`` under ``prefix`` in key order (metadata only); with a
        ``delimiter``, common prefixes as strings in place of the keys under them."""
        with self.store.tx() as db:
            lifecycle.settle(db, self._now())
            return listing.walk(db, bucket, prefix, marker, max_keys, delimiter)

    def _object(self, db: sqlite3.Connection, bucket: str, key: str) -> Row:
        row = db.execute(
            "SELECT * FROM objects WHERE bucket = ? AND key = ?", (bucket, key)
        ).fetchone()
        if row is None:
            raise NoSuchKey("The specified key does not exist.")
        out = dict(row)
        out["headers"] = [(str(n), str(v)) for n, v in json.loads(out.get("headers") or "[]")]
        return out


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise InvalidArgument(
            f"Name must be 1-64 characters: Chinese, letters, digits, '_', '-' or '*'; got {name!r}"
        )


def _make_token(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode()


def _token_seq(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        if not text.startswith("seq:"):
            raise ValueError(text)
        return int(text[4:])
    except ValueError:
        raise InvalidArgument(f"nextToken {token!r} is not a token this service issued") from None
