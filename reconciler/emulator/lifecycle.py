"""Job lifecycle, computed lazily from the clock (moto's ManagedState idea, time-driven).

A job is Submitted until ``run_at``, Running until ``end_at``, then finished. Nothing runs in
the background: before every backend operation :func:`settle` finishes the jobs whose time has
come (checks the input object, writes the output objects, records MediaResult) in the same
transaction as the operation, so every observer sees one consistent story, and an injected
clock moves jobs forward without sleeping.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

from . import snapshot
from .store import Row, dumps, to_row

#: SQL for the state of a not-yet-finalised job at ``:now``.
STATE_SQL = "COALESCE(final_state, CASE WHEN run_at > :now THEN 'Submitted' ELSE 'Running' END)"
#: Job-level failure code when the input object is missing. The real snapshot failure codes are
#: unknown (ci-api.md §5.2); ResourceNotFound (1103) is CI's "input resource does not exist".
MISSING_INPUT_CODE = "ResourceNotFound"


def state_of(job: Row, now: float) -> str:
    if job["final_state"]:
        return str(job["final_state"])
    return "Submitted" if job["run_at"] > now else "Running"


def fake_jpeg(label: str) -> bytes:
    """A few bytes with JPEG start/end markers and a comment naming the capture."""
    comment = label.encode("utf-8")[:200]
    length = (len(comment) + 2).to_bytes(2, "big")
    return b"\xff\xd8\xff\xfe" + length + comment + b"\xff\xd9"


def put_object(
    db: sqlite3.Connection,
    bucket: str,
    key: str,
    data: bytes,
    content_type: str,
    when: float,
    headers: list[tuple[str, str]] | None = None,
) -> str:
    """Write an object; ``headers`` are the stored response headers (Cache-Control, ...)."""
    etag = '"' + hashlib.md5(data).hexdigest() + '"'
    db.execute(
        "INSERT OR REPLACE INTO objects (bucket, key, data, etag, content_type, modified, headers)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (bucket, key, data, etag, content_type, when, dumps(headers or [])),
    )
    return etag


def settle(db: sqlite3.Connection, now: float) -> None:
    """Finish every job whose end time has passed, oldest first."""
    due = db.execute(
        "SELECT * FROM jobs WHERE final_state IS NULL AND end_at <= ? ORDER BY seq", (now,)
    ).fetchall()
    for raw in due:
        job = to_row(raw)
        assert job is not None
        _finish(db, job)


def _finish(db: sqlite3.Connection, job: Row) -> None:
    spec = job["spec"]
    exists = db.execute(
        "SELECT 1 FROM objects WHERE bucket = ? AND key = ?", (job["bucket"], job["input_object"])
    ).fetchone()
    result: dict[str, Any] = {"start": job["run_at"], "end": job["end_at"]}
    if exists is None:
        state = "Failed"
        result["code"] = MISSING_INPUT_CODE
        result["message"] = f"The input object {job['input_object']} does not exist"
    else:
        state = "Success"
        result["media"] = _write_outputs(db, job["id"], spec, job["end_at"])
    db.execute(
        "UPDATE jobs SET final_state = ?, result = ? WHERE id = ?",
        (state, dumps(result), job["id"]),
    )


def _write_outputs(db: sqlite3.Connection, job_id: str, spec: Row, when: float) -> Row:
    settings = spec["settings"]
    output = spec["output"]
    media: Row = {"bucket": output["Bucket"], "region": output["Region"]}
    mode = snapshot.out_mode(settings)
    if mode != "OnlySprite":
        media["frames"] = _write_series(
            db, job_id, output, output["Object"], snapshot.frame_count(settings), when
        )
    if mode != "OnlySnapshot":
        media["sprites"] = _write_series(
            db, job_id, output, output["SpriteObject"], snapshot.sprite_count(settings), when
        )
    return media


def _write_series(
    db: sqlite3.Connection,
    job_id: str,
    output: dict[str, str],
    pattern: str,
    count: int,
    when: float,
) -> Row:
    prefix = snapshot.object_prefix(pattern)
    names = []
    for n in range(count):
        key = snapshot.numbered(pattern, n)
        put_object(db, output["Bucket"], key, fake_jpeg(f"{job_id} {key}"), "image/jpeg", when)
        names.append(key[len(prefix) :])
    return {"prefix": prefix, "names": names}
