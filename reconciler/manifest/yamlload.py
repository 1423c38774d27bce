"""YAML files to plain values that remember where every key and value was written.

Safe by construction: only the safe scalar constructors run, and the node graph is turned into
Python values by our own walker so that we can (1) record line/column per JSON path, (2) reject
duplicate keys, (3) bound alias expansion (a "billion laughs" document is a located error, not a
hang) and recursion, and (4) bound nesting depth before Python's recursion limit is reached.
libyaml scans and parses when available (fast on large scalars); PyYAML's composer builds nodes.
"""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from reconciler.errors import Problem

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIAS_NODES = 100_000
MAX_DOCUMENTS = 10_000  # per file: far above real use, low enough to stay fast on hostile input

JsonPath = tuple[str | int, ...]
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_STANDARD_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap"}
_STANDARD_TAGS |= {"tag:yaml.org,2002:set", "tag:yaml.org,2002:pairs"}


@dataclass(frozen=True)
class Pos:
    """A 1-based line and column."""

    line: int
    column: int


@dataclass
class Document:
    """One YAML document of a file, with the position of every value and mapping key."""

    file: str
    value: Any
    start: Pos
    values: dict[JsonPath, Pos] = field(default_factory=dict)
    keys: dict[JsonPath, Pos] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def at(self, path: JsonPath) -> Pos:
        """Where the value at ``path`` is, or its closest written ancestor."""
        for end in range(len(path), -1, -1):
            pos = self.values.get(path[:end])
            if pos is not None:
                return pos
        return self.start

    def key_at(self, path: JsonPath) -> Pos:
        """Where the key of the entry at ``path`` is (its value's position if not a mapping key)."""
        return self.keys.get(path) or self.at(path)


class _Abort(Exception):
    """Stop reading a file: the problem is located at ``pos`` (field ``path``)."""

    def __init__(self, message: str, pos: Pos, path: JsonPath = ()) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.path = path


def dotted(path: JsonPath) -> str:
    """``spec.inputs.objects[2]`` for ('spec', 'inputs', 'objects', 2): the field in messages."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _pos(mark: Any) -> Pos:
    return Pos(mark.line + 1, mark.column + 1)


class _DepthLimit(Composer):
    """Composer that refuses nesting deeper than MAX_DEPTH (it recurses once per level)."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[attr-defined]
                raise _Abort(f"nesting deeper than {MAX_DEPTH} levels", _pos(mark))
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# libyaml's parser (C) when present; PyYAML's composer on top of it either way.
try:
    _CParser: Any = importlib.import_module("yaml.cyaml").CParser
except (ImportError, AttributeError):  # pragma: no cover - PyYAML built without libyaml
    _CParser = None

if _CParser is not None:

    class _Loader(_DepthLimit, _CParser, SafeConstructor, Resolver):  # type: ignore[misc]
        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _DepthLimit.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

else:  # pragma: no cover - exercised only without libyaml

    class _Loader(_DepthLimit, yaml.SafeLoader):  # type: ignore[no-redef]
        pass


class _Walker:
    """Turns one composed document into plain values, recording positions and problems."""

    def __init__(self, loader: Any, doc: Document) -> None:
        self.loader = loader
        self.doc = doc
        self.seen: set[int] = set()
        self.stack: set[int] = set()
        self.alias_budget = MAX_ALIAS_NODES

    def problem(self, pos: Pos, path: JsonPath, message: str) -> None:
        self.doc.problems.append(
            Problem(self.doc.file, pos.line, pos.column, dotted(path), message)
        )

    def value(self, node: Node, path: JsonPath, depth: int = 0) -> Any:
        pos = _pos(node.start_mark)
        if id(node) in self.stack:
            raise _Abort("recursive alias: a node contains itself", pos, path)
        if depth > MAX_DEPTH:
            raise _Abort(f"nesting deeper than {MAX_DEPTH} levels (through aliases)", pos, path)
        if id(node) in self.seen:
            self.alias_budget -= 1
            if self.alias_budget < 0:
                raise _Abort(f"aliases expand to more than {MAX_ALIAS_NODES} nodes", pos, path)
        self.seen.add(id(node))
        self.doc.values[path] = pos
        if isinstance(node, ScalarNode):
            return self.scalar(node, path, pos)
        if node.tag not in _STANDARD_TAGS:
            self.problem(pos, path, f"unsupported YAML tag {node.tag!r}")
            return None
        self.stack.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [
                    self.value(item, (*path, i), depth + 1) for i, item in enumerate(node.value)
                ]
            assert isinstance(node, MappingNode)
            return self.mapping(node, path, depth)
        finally:
            self.stack.discard(id(node))

    def scalar(self, node: ScalarNode, path: JsonPath, pos: Pos) -> Any:
        if node.tag == _STR_TAG:  # what SafeConstructor returns for it, minus four calls
            return node.value
        try:
            value = self.loader.construct_object(node)
        except yaml.MarkedYAMLError:
            self.problem(pos, path, f"unsupported YAML tag {node.tag!r}")
            return None
        except (ValueError, OverflowError) as exc:
            self.problem(pos, path, f"cannot read {node.value!r} ({exc}); quote it for a string")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(pos, path, f"must be a finite number, got {node.value}")
        return value

    def mapping(self, node: MappingNode, path: JsonPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                self.merge(result, value_node, path, depth)
        explicit: dict[str, Pos] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.key(key_node, path)
            if key is None:
                continue
            key_pos = _pos(key_node.start_mark)
            if key in explicit:
                first = explicit[key]
                message = f"duplicate key '{key}' (first at line {first.line})"
                self.problem(key_pos, (*path, key), message)
                continue
            explicit[key] = key_pos
            self.doc.keys[(*path, key)] = key_pos
            result[key] = self.value(value_node, (*path, key), depth + 1)
        return result

    def key(self, key_node: Node, path: JsonPath) -> str | None:
        pos = _pos(key_node.start_mark)
        if not isinstance(key_node, ScalarNode):
            self.problem(pos, path, "mapping keys must be plain strings")
            return None
        key = self.scalar(key_node, path, pos)
        if not isinstance(key, str):
            shown = "null" if key is None else str(key).lower()
            self.problem(pos, path, f"key {shown} must be a string (quote it: '{key_node.value}')")
            return None
        return key

    def merge(self, into: dict[str, Any], node: Node, path: JsonPath, depth: int) -> None:
        """``<<: *defaults``: earlier sources win over later ones, explicit keys over all."""
        sources = node.value if isinstance(node, SequenceNode) else [node]
        for source in reversed(sources):
            if not isinstance(source, MappingNode):
                raise _Abort("'<<' merges only mappings", _pos(source.start_mark), path)
            merged = self.value(source, path, depth)
            into.update(merged)
            for key_node, _ in source.value:
                if isinstance(key_node, ScalarNode) and key_node.value in merged:
                    self.doc.keys[(*path, key_node.value)] = _pos(key_node.start_mark)


def _read_text(path: str) -> str:
    """The file's text, refusing huge files before reading them."""
    size = os.stat(path).st_size
    if size > MAX_FILE_BYTES:
        raise _Abort(f"file is {size} bytes, more than the {MAX_FILE_BYTES} byte limit", Pos(1, 1))
    with open(path, "rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _Abort(f"file is larger than the {MAX_FILE_BYTES} byte limit", Pos(1, 1))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise _Abort("not valid UTF-8 text", Pos(line, column)) from exc


def _offset_pos(text: str, offset: int) -> Pos:
    before = text[:offset]
    return Pos(before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)


def _yaml_error(exc: yaml.YAMLError, text: str) -> _Abort:
    if isinstance(exc, yaml.reader.ReaderError):
        character = f"U+{exc.character:04X}" if isinstance(exc.character, int) else "byte"
        return _Abort(
            f"invalid YAML: character {character} is not allowed", _offset_pos(text, exc.position)
        )
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    pos = _pos(mark) if mark is not None else Pos(1, 1)
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    if problem:
        message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    else:
        message = f"invalid YAML: {str(exc).splitlines()[0]}"
    return _Abort(message, pos)


def _documents(path: str, text: str) -> Iterator[Document]:
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # the pure-Python reader checks characters up front
        raise _yaml_error(exc, text) from exc
    try:
        count = 0
        while True:
            try:
                if not loader.check_node():
                    return
                count += 1
                if count > MAX_DOCUMENTS:
                    mark = loader.peek_event().start_mark
                    raise _Abort(f"more than {MAX_DOCUMENTS} documents in one file", _pos(mark))
                node = loader.get_node()
            except yaml.YAMLError as exc:
                raise _yaml_error(exc, text) from exc
            except RecursionError as exc:
                raise _Abort("nesting too deep", Pos(1, 1)) from exc
            if node is None:
                continue
            doc = Document(path, None, _pos(node.start_mark))
            doc.value = _Walker(loader, doc).value(node, ())
            if doc.value is not None or doc.problems:  # empty documents are skipped
                yield doc
    finally:
        loader.dispose()


def load_file(path: str) -> tuple[list[Document], list[Problem]]:
    """Every non-empty document of ``path``; a broken stream ends the file with a problem.

    Documents before the break are still returned, so their problems are reported too.
    """
    docs: list[Document] = []
    try:
        docs.extend(_documents(path, _read_text(path)))
    except _Abort as exc:
        where = dotted(exc.path)
        return docs, [Problem(path, exc.pos.line, exc.pos.column, where, exc.message)]
    except OSError as exc:
        return docs, [Problem(path, 1, 1, "", f"cannot read: {exc.strerror or exc}")]
    return docs, []
