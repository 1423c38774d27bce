"""The journal line format, shared by the local journal file and the COS journal chunks.

Line format (valid JSON, so ``jq`` can read it)::

    {"crc":"1a2b3c4d","e":{"lineage": "...", "op": "put_job", "record": {...}}}

``crc`` is the CRC-32 of the exact bytes of the ``e`` value, so a torn or damaged line is
detected without re-serialising. Both backends write and read exactly these lines; only where
they live (one appended file, or immutable chunk objects) differs.
"""

from __future__ import annotations

import json
import zlib
from typing import Any, Final

from reconciler.errors import StateError
from reconciler.model.records import JobRecord, RecordError, TemplateRecord
from reconciler.state.document import strict_json

HEAD: Final = b'{"crc":"'
MID: Final = b'","e":'
_PREFIX_LEN: Final = len(HEAD) + 8 + len(MID)

PUT_JOB: Final = "put_job"
DROP_JOB: Final = "drop_job"
PUT_TEMPLATE: Final = "put_template"
DROP_TEMPLATE: Final = "drop_template"

Entry = tuple[str, Any]  # (op, JobRecord | TemplateRecord | (key, key))


def encode(lineage: str, op: str, value: JobRecord | TemplateRecord | tuple[str, str]) -> bytes:
    """One journal line for ``op`` applied to ``value`` (a record, or a key for drops)."""
    payload: dict[str, Any] = {"lineage": lineage, "op": op}
    if isinstance(value, JobRecord | TemplateRecord):
        payload["record"] = value.to_dict()
    else:
        payload["key"] = list(value)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return b"%s%08x%s%s}\n" % (HEAD, zlib.crc32(body), MID, body)


def decode_body(line: bytes) -> bytes | None:
    """The checksummed payload bytes of a well-formed line, or None if torn or damaged."""
    if len(line) < _PREFIX_LEN + 1 or not line.startswith(HEAD) or not line.endswith(b"}"):
        return None
    if line[_PREFIX_LEN - len(MID) : _PREFIX_LEN] != MID:
        return None
    body = line[_PREFIX_LEN:-1]
    try:
        crc = int(line[len(HEAD) : len(HEAD) + 8], 16)
    except ValueError:
        return None
    return body if zlib.crc32(body) == crc else None


def decode_entry(body: bytes, lineage: str, where: str) -> Entry:
    """Turn a checksummed payload into an entry; a valid checksum over nonsense is refused."""
    try:
        raw = strict_json(body)
        if not isinstance(raw, dict):
            raise RecordError("the entry is not a JSON object")
        if raw.get("lineage") != lineage:
            raise StateError(
                f"{where} belongs to another state (lineage {raw.get('lineage')!r}, the state "
                f"file has {lineage!r}); it was left untouched. Remove the journal only if it "
                "was copied here by mistake"
            )
        op = raw.get("op")
        if op in (PUT_JOB, PUT_TEMPLATE):
            kind = JobRecord if op == PUT_JOB else TemplateRecord
            return op, kind.from_dict(raw.get("record"))
        key: Any = raw.get("key")
        if op in (DROP_JOB, DROP_TEMPLATE) and _is_key(key):
            return op, (key[0], key[1])
        raise RecordError(f"unknown operation {op!r} or bad key")
    except (ValueError, RecursionError) as exc:
        raise StateError(
            f"{where} is not a valid journal entry ({exc}); it was left untouched"
        ) from None


def _is_key(key: Any) -> bool:
    return isinstance(key, list) and len(key) == 2 and all(isinstance(k, str) for k in key)
