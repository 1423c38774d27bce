"""Whole state documents: strict parsing and stable, diff-friendly rendering.

A whole document is a format-1 state file, or the self-contained format-2 copy that
``state pull`` prints and ``state push`` takes (format 1 plus ``written_at``). The state itself
is stored in format 2, a header and segments (:mod:`.segments`, :mod:`.layout`).

Parsing refuses anything it does not fully understand (duplicate keys, unknown fields, a newer
version, duplicate records) because the next compaction would otherwise rewrite the file from
a partial understanding of it. Rendering writes one record per line, sorted by key, so a git diff
of the state shows exactly the records that changed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, Final

from reconciler.errors import StateError
from reconciler.model.records import JobRecord, RecordError, TemplateRecord

#: The state format version this code writes (it still reads version 1).
STATE_VERSION: Final = 2
_TOP_KEYS: Final = ("version", "serial", "lineage", "templates", "jobs")
_TOP_KEYS_V2: Final = ("version", "serial", "lineage", "written_at", "templates", "jobs")


@dataclass(frozen=True)
class Document:
    """The content of one state file."""

    version: int
    serial: int
    lineage: str
    templates: dict[tuple[str, str], TemplateRecord]
    jobs: dict[tuple[str, str], JobRecord]
    written_at: str = ""  # UTC ISO time of the last write ("" in version 1 files)


def new_document() -> Document:
    """The empty state: nothing recorded yet, a fresh lineage."""
    return Document(STATE_VERSION, 0, str(uuid.uuid4()), {}, {})


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r} in a JSON object")
        seen[key] = value
    return seen


def _no_constants(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


_DECODER: Final = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constants)


def strict_json(data: bytes | str) -> Any:
    """``json.loads`` that rejects duplicate object keys and NaN/Infinity.

    One shared decoder: ``json.loads`` with options builds a new one per call, which shows in
    profiles when a state is read one record line at a time.
    """
    if isinstance(data, bytes | bytearray):
        data = data.decode(json.detect_encoding(data), "surrogatepass")  # as json.loads does
    elif data.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", data, 0)
    return _DECODER.decode(data)


def refusal(path: Path, problem: str) -> StateError:
    """A one-line error that says which file, what is wrong, and how to recover."""
    backup = path.with_name(path.name + ".backup")
    return StateError(
        f"state file {path}: {problem}; it was left untouched. Fix it, or restore the backup "
        f"(one write behind: jobs of the last write are missing from it; that is safe because "
        f"the next plan looks jobs up on the service before submitting): cp {backup} {path}"
    )


def _int_field(raw: dict[str, Any], name: str, path: Path) -> int:
    value = raw[name]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise refusal(path, f"{name!r} must be a non-negative integer, not {value!r}")
    return value


def check_version(raw: Any, path: Path) -> int:
    """The version of a parsed state file (1 when the field is missing: reported later)."""
    if not isinstance(raw, dict):
        raise refusal(path, "the top level is not a JSON object")
    if "version" not in raw:
        return 1
    version = _int_field(raw, "version", path)
    if version > STATE_VERSION:
        raise StateError(
            f"state file {path} has version {version}, written by a newer reconciler "
            f"(this one understands version {STATE_VERSION}); upgrade reconciler. "
            "The file was left untouched."
        )
    if version not in (1, STATE_VERSION):
        raise refusal(path, f"unsupported version {version}")
    return version


def check_lineage(lineage: Any, path: Path) -> str:
    try:
        uuid.UUID(lineage)
    except (TypeError, ValueError, AttributeError):
        raise refusal(path, f"'lineage' is not a UUID: {lineage!r}") from None
    return str(lineage)


def _check_header(raw: Any, path: Path) -> tuple[int, int, str]:
    version = check_version(raw, path)
    keys = _TOP_KEYS if version == 1 else _TOP_KEYS_V2
    missing = [k for k in keys if k not in raw]
    unknown = sorted(set(raw) - set(keys))
    if missing or unknown:
        what = f"missing key {missing[0]!r}" if missing else f"unknown key {unknown[0]!r}"
        raise refusal(path, what)
    if version > 1 and not isinstance(raw["written_at"], str):
        raise refusal(path, "'written_at' must be a string")
    return version, _int_field(raw, "serial", path), check_lineage(raw["lineage"], path)


def _records(raw: Any, kind: type[TemplateRecord] | type[JobRecord], path: Path) -> dict[Any, Any]:
    if not isinstance(raw, list):
        label = "templates" if kind is TemplateRecord else "jobs"
        raise refusal(path, f"{label!r} must be a list")
    return _collect(raw, kind, path)


def _collect(
    items: Iterable[Any], kind: type[TemplateRecord] | type[JobRecord], path: Path
) -> dict[Any, Any]:
    label = "templates" if kind is TemplateRecord else "jobs"
    out: dict[Any, Any] = {}
    for index, item in enumerate(items):
        try:
            rec = kind.from_dict(item)
        except RecordError as exc:
            raise refusal(path, f"{label}[{index}]: {exc}") from None
        if rec.key in out:
            raise refusal(path, f"{label}[{index}]: a second record for {rec.key!r}")
        out[rec.key] = rec
    return out


class _NotOurLayout(Exception):
    """The bytes are not laid out exactly as :func:`render_document` writes them."""


def _lines(data: bytes) -> Iterator[bytes]:
    """The lines of ``data`` one at a time (no list of 100,000 line copies)."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        yield data[start:end]
        start = end + 1


def _section(lines: Iterator[bytes], name: bytes, end: bytes) -> Iterator[Any]:
    """The raw records of one list, one JSON line each; commas must sit where JSON needs them."""
    opening = next(lines, b"")
    if opening == b'  "' + name + b'": []' + end:
        return
    if opening != b'  "' + name + b'": [':
        raise _NotOurLayout
    more = True  # the previous record line ended with a comma (or there was none yet)
    for line in lines:
        if line == b"  ]" + end and not more:
            return
        if not more or not line.startswith(b"    {"):
            raise _NotOurLayout
        more = line.endswith(b",")
        yield strict_json(line[4 : len(line) - more].decode("utf-8"))
    raise _NotOurLayout


def _parse_our_layout(data: bytes, path: Path) -> Document:
    """Parse a file written by :func:`render_document` record line by record line.

    Same checks as the whole-document parse, but the peak memory is the records plus one line
    instead of the records plus the decoded text plus a dict per record (about 250 MB more at
    100,000 jobs). Any surprise raises and the caller falls back to the whole-document parse,
    which also produces the precise error message.
    """
    lines = _lines(data)
    if next(lines, b"") != b"{":
        raise _NotOurLayout
    fields = [next(lines, b"") for _ in range(3)]  # version, serial, lineage: each ends in ","
    line = next(lines, b"")
    if line.startswith(b'  "written_at": '):  # version 2
        fields.append(line)
        line = next(lines, b"")
    if not all(f.endswith(b",") for f in fields):
        raise _NotOurLayout
    head = strict_json(b"{" + b",".join(f[:-1] for f in fields) + b"}")
    if not isinstance(head, dict) or list(head)[:3] != ["version", "serial", "lineage"]:
        raise _NotOurLayout
    version, serial, lineage = _check_header({**head, "templates": [], "jobs": []}, path)
    templates = _collect(_section(chain([line], lines), b"templates", b","), TemplateRecord, path)
    jobs = _collect(_section(lines, b"jobs", b""), JobRecord, path)
    if next(lines, None) != b"}" or next(lines, None) is not None:
        raise _NotOurLayout
    return Document(version, serial, lineage, templates, jobs, head.get("written_at", ""))


def parse_document(data: bytes, path: Path) -> Document:
    """Parse and validate a state file; raises ``StateError`` naming ``path`` on any problem."""
    try:
        return _parse_our_layout(data, path)
    except (_NotOurLayout, ValueError, RecursionError, StateError):
        pass  # hand-edited, damaged or refused: the whole-document parse says precisely why
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise refusal(path, "it is not UTF-8 text (damaged or not a state file)") from None
    try:
        raw = strict_json(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        what = "truncated" if exc.pos >= len(text.rstrip()) else "not valid JSON"
        raise refusal(path, f"{what} ({where}: {exc.msg})") from None
    except (ValueError, RecursionError) as exc:
        raise refusal(path, f"not acceptable JSON ({exc})") from None
    version, serial, lineage = _check_header(raw, path)
    templates = _records(raw["templates"], TemplateRecord, path)
    jobs = _records(raw["jobs"], JobRecord, path)
    return Document(version, serial, lineage, templates, jobs, raw.get("written_at", ""))


_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


def _dump(record: dict[str, Any]) -> str:
    return _ENCODER.encode(record)


def _render_list(
    name: str, records: Mapping[tuple[str, str], TemplateRecord | JobRecord], last: bool
) -> list[bytes]:
    """One encoded line per record, converted one at a time: at 100,000 jobs a list of every
    record's dict plus the joined text would cost about 150 MB more at the peak of a save."""
    end = "" if last else ","
    if not records:
        return [f'  "{name}": []{end}'.encode()]
    keys = sorted(records)
    lines = [f'  "{name}": ['.encode()]
    lines.extend(f"    {_dump(records[k].to_dict())},".encode() for k in keys[:-1])
    lines.append(f"    {_dump(records[keys[-1]].to_dict())}".encode())
    lines.append(f"  ]{end}".encode())
    return lines


def render_header(serial: int, lineage: str, written_at: str) -> bytes:
    """The first lines of the file: version, serial, lineage and written_at, one per line."""
    lines = [b"{", f'  "version": {STATE_VERSION},'.encode(), f'  "serial": {serial},'.encode()]
    lines.append(f'  "lineage": {json.dumps(lineage)},'.encode())
    lines.append(f'  "written_at": {json.dumps(written_at)},'.encode())
    return b"\n".join(lines) + b"\n"


def render_records(
    templates: Mapping[tuple[str, str], TemplateRecord],
    jobs: Mapping[tuple[str, str], JobRecord],
) -> bytes:
    """The rest of the file after :func:`render_header`: one record per line, sorted by key.

    Kept apart from the header so a writer can tell whether the records changed (and the serial
    must move) by comparing these bytes with the file it last wrote, without rendering twice.
    """
    lines = _render_list("templates", templates, False)
    lines += _render_list("jobs", jobs, True)
    lines += [b"}", b""]  # the file ends with a newline
    return b"\n".join(lines)


def render_document(
    serial: int,
    lineage: str,
    templates: Mapping[tuple[str, str], TemplateRecord],
    jobs: Mapping[tuple[str, str], JobRecord],
    written_at: str = "",
) -> bytes:
    """A self-contained version 2 document (what ``state pull`` prints and ``state push``
    takes): header fields, then one record per line, each list sorted by key."""
    return render_header(serial, lineage, written_at) + render_records(templates, jobs)
