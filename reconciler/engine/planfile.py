"""Saved plans on disk: ``plan --out`` writes one, ``apply PLANFILE`` and ``show`` read it back.

The file is JSON Lines (docs/plan-format.md): a header line, one line per job action (with its
pin), and an end line that counts the job lines and seals every byte before it with a sha256.
Nothing here holds a whole plan: writing streams line by line through an atomic temporary file,
and reading checks the seal in one streaming pass (so a truncated or garbled file is refused
before anything is shown or applied) and returns a Plan whose ``jobs`` re-read the file one line
at a time (:class:`SavedJobs`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, get_args

from reconciler.errors import PlanError
from reconciler.plan.actions import JobAction
from reconciler.plan.document import (
    END,
    check_format,
    header_document,
    job_document,
    job_from_document,
    plan_from_header,
)
from reconciler.plan.jobseq import JobSequence, pinned_jobs
from reconciler.plan.pins import RecordPin
from reconciler.plan.planner import Plan
from reconciler.state.local.fileio import atomic_stream

CHUNK = 1 << 16  # bytes of lines gathered per write to stdout
JOB_KINDS = frozenset(cls.kind for cls in get_args(JobAction))
# How plans of format 1 and 2 (one indented JSON document) say their version.
_OLD_VERSION = re.compile(rb'^ "format_version": (\d+),?\s*$')


def _encode(doc: dict[str, Any]) -> bytes:
    """One compact line, ``line`` first (what kind of line it is shows at its start), the
    other keys sorted so the same plan is the same bytes."""
    rest = {k: v for k, v in doc.items() if k != "line"}
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (
        f'{{"line":{json.dumps(doc["line"])}' + ("," if rest else "") + text[1:] + "\n"
    ).encode()


def plan_lines(plan: Plan) -> Iterator[bytes]:
    """The plan as encoded lines, one at a time: header, job lines, the sealing end line."""
    seal = hashlib.sha256()
    count = 0
    for line in _body(plan):
        seal.update(line)
        count += 1
        yield line
    yield _encode({"line": END, "jobs": count - 1, "sha256": seal.hexdigest()})


def _body(plan: Plan) -> Iterator[bytes]:
    yield _encode(header_document(plan))
    for action, pin in pinned_jobs(plan):
        yield _encode(job_document(action, pin))


def plan_chunks(plan: Plan) -> Iterator[str]:
    """The lines as text in pieces of about :data:`CHUNK` bytes (``plan --json``, ``show
    --json``). A plan read from a file is copied from it: the lines exactly as saved."""
    lines = plan.jobs.raw_lines() if isinstance(plan.jobs, SavedJobs) else plan_lines(plan)
    buffer: list[bytes] = []
    size = 0
    for line in lines:
        buffer.append(line)
        size += len(line)
        if size >= CHUNK:
            yield b"".join(buffer).decode()
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer).decode()


def write_plan(plan: Plan, path: Path) -> None:
    """Save atomically with mode 0600 (a plan holds no secrets, but may hold private names),
    streaming: neither the plan's document nor its text is built whole."""
    with atomic_stream(path) as out:
        for line in plan_lines(plan):
            out.write(line)


def read_plan(path: Path) -> Plan:
    """The plan saved at ``path``, its seal checked; its jobs stay in the file (SavedJobs)."""
    source = str(path)
    try:
        with path.open("rb") as f:
            first = f.readline()
            header = _header(first, f, source)
            offset = f.tell()
            count = _check_seal(first, f, source)
            identity = _identity(os.fstat(f.fileno()))
    except OSError as exc:
        raise PlanError(f"{path}: cannot read plan ({exc})") from exc
    if header.get("job_count") != count:
        raise PlanError(f"{source}: damaged plan file (its header counts other jobs than it has)")
    summary = header.get("summary")
    kinds = summary if isinstance(summary, dict) else {}
    acting = sum(n for k, n in kinds.items() if k in JOB_KINDS and k != "keep_job")
    jobs = SavedJobs(path, offset, count, identity, acting)
    return plan_from_header(header, jobs, source)


def _header(first: bytes, rest: IO[bytes], source: str) -> dict[str, Any]:
    """The header line, or a PlanError saying what the file is instead."""
    if first.strip() == b"{":  # formats 1 and 2: one indented document
        for line in rest:
            match = _OLD_VERSION.match(line)
            if match:
                check_format(int(match.group(1)), source)
        check_format(None, source)
    try:
        doc = json.loads(first)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise PlanError(f"{source}: not a reconciler plan (its first line is not a JSON object)")
    check_format(doc.get("format_version"), source)
    return doc


def _check_seal(first: bytes, rest: IO[bytes], source: str) -> int:
    """Read the job lines once (hashing, not parsing) and return their count; refuse a file
    whose end line is missing (truncated) or does not match what precedes it."""
    seal = hashlib.sha256(first)
    count = 0
    last: bytes | None = None
    for line in rest:
        if last is not None:
            seal.update(last)
            count += 1
        last = line
    try:
        end = json.loads(last) if last is not None and last.endswith(b"\n") else None
    except ValueError:
        end = None
    if not isinstance(end, dict) or end.get("line") != END:
        raise PlanError(
            f"{source}: truncated plan file (it does not end with its end line); "
            "make the plan again"
        )
    if end.get("jobs") != count or end.get("sha256") != seal.hexdigest():
        raise PlanError(
            f"{source}: damaged plan file (its content does not match its end line's count "
            "and sha256: changed after it was written); make the plan again"
        )
    return count


def _identity(stat: os.stat_result) -> tuple[int, ...]:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


class SavedJobs(JobSequence):
    """The job lines of a checked plan file, parsed again on every iteration (none held).

    The file must stay the one that was checked: a plan replaced or edited while it is used is
    refused at the next read rather than mixed with the old one."""

    def __init__(
        self, path: Path, offset: int, count: int, identity: tuple[int, ...], acting: int
    ) -> None:
        self.path = path
        self.offset = offset
        self.size = count
        self.identity = identity
        self._acting = acting

    def __len__(self) -> int:
        return self.size

    @property
    def acting(self) -> int:
        return self._acting

    def pinned(self) -> Iterator[tuple[JobAction, str | None]]:
        for number, doc in self._docs():
            try:
                yield job_from_document(doc)
            except (KeyError, TypeError, ValueError) as exc:
                raise self._damaged(number, exc) from exc

    def pins(self) -> Iterator[RecordPin]:
        """The job pins, without building the actions (the staleness check reads only these)."""
        for number, doc in self._docs():
            try:
                if "pin" in doc:
                    action = doc["action"]
                    key = (str(action["batch"]), str(action["input_object"]))
                    yield RecordPin("job", key, str(doc["pin"]))
            except (KeyError, TypeError) as exc:
                raise self._damaged(number, exc) from exc

    def raw_lines(self) -> Iterator[bytes]:
        """Every line of the file as saved (header and end line included)."""
        with self._open() as f:
            f.seek(0)
            yield from f

    def _docs(self) -> Iterator[tuple[int, Any]]:
        with self._open() as f:
            for index in range(self.size):
                line = f.readline()
                try:
                    yield index + 2, json.loads(line)
                except ValueError as exc:
                    raise self._damaged(index + 2, exc) from exc

    def _open(self) -> IO[bytes]:
        try:
            f = self.path.open("rb")
        except OSError as exc:
            raise PlanError(f"{self.path}: cannot read plan ({exc})") from exc
        if _identity(os.fstat(f.fileno())) != self.identity:
            f.close()
            raise PlanError(f"{self.path}: the plan file changed since it was read; plan again")
        f.seek(self.offset)
        return f

    def _damaged(self, line: int, exc: Exception) -> PlanError:
        return PlanError(f"{self.path}:{line}: damaged plan file ({type(exc).__name__}: {exc})")
