"""Hardened XML parsing and small typed accessors over the parsed tree.

Replies are untrusted input: a proxy may answer with HTML, a broken connection may truncate the
body, and a hostile endpoint may send entity bombs or external entities. The parser therefore
refuses any DOCTYPE or ENTITY declaration *before* parsing, never resolves entities, never
touches the network or a DTD, demands UTF-8, and caps the size. Every failure becomes one
:class:`BadReplyError` line naming the operation and what was wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from lxml import etree

from reconciler.errors import BadReplyError

DEFAULT_MAX_BYTES = 8 << 20

Element = etree._Element

_DECLARATION_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([^\"']+)[\"']", re.I)
_HTML_TITLE = re.compile(rb"<title[^>]*>([^<]{0,200})", re.I)
_FORBIDDEN = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)
#: Numbers beyond 10**_MAX_DIGITS are refused: no service field is that large, and turning
#: ``1e999999999`` into an int would take minutes.
_MAX_DIGITS = 30


def bad(operation: str, what: str) -> BadReplyError:
    """One line: ``<operation>: bad reply: <what>``."""
    where = f"{operation}: " if operation else ""
    flat = " ".join(what.split())
    return BadReplyError(f"{where}bad reply: {flat[:200]}")


def _parser(recover: bool = False) -> etree.XMLParser:
    # A fresh parser per call: lxml parsers are not safe to share between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        recover=recover,
    )


def parse_root(
    body: bytes,
    root: str | tuple[str, ...],
    operation: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    lenient: bool = False,
) -> Element:
    """Parse ``body`` and return its root element, which must be named ``root`` (local name).

    Strict XML first. The CI docs print replies with slips a real server may share (a stray
    ``</Message>``, a closing ``<Response>`` for ``</Response>``), so a body that fails strict
    parsing is read again in lxml's recovery mode when it still *ends* with the expected root's
    closing tag: a truncated body never does, so truncation stays an error. ``lenient`` (for
    replies that are only an acknowledgement) recovers whatever the ending.
    """
    expected = (root,) if isinstance(root, str) else root
    _precheck(body, operation, max_bytes)
    try:
        element = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        element = _recovered(body, expected, lenient)
        if element is None:
            raise bad(operation, f"malformed XML ({_first_line(str(exc))})") from None
    except (ValueError, etree.LxmlError) as exc:
        raise bad(operation, f"unreadable XML ({_first_line(str(exc))})") from None
    if element is None:
        raise bad(operation, "empty XML document")
    name = local(element)
    if name not in expected:
        raise bad(operation, f"expected <{expected[0]}> but the root element is <{name}>")
    return element


def _recovered(body: bytes, expected: tuple[str, ...], lenient: bool) -> Element | None:
    """The document lxml's recovery mode makes of ``body``, when it may be trusted."""
    tail = body.rstrip()
    if not lenient and not any(tail.endswith(f"</{name}>".encode()) for name in expected):
        return None
    try:
        element = etree.fromstring(_drop_stray_end_tags(body), _parser(recover=True))
    except (ValueError, etree.LxmlError):
        return None
    if element is None or local(element) not in expected:
        return None
    return element


_TAG = re.compile(rb"<(/?)([A-Za-z_][\w.:-]*)[^<>]*?(/?)>")


def _drop_stray_end_tags(body: bytes) -> bytes:
    """``body`` without end tags that close nothing (the docs' ``<Code>x</Code></Message>``).

    libxml2's recovery would take such a tag to close the enclosing element instead, moving
    every later field of a ``<JobsDetail>`` out of it.
    """
    open_names: list[bytes] = []
    kept: list[bytes] = []
    last = 0
    for match in _TAG.finditer(body):
        closing, name, empty = match.groups()
        if closing and name not in open_names:
            kept.append(body[last : match.start()])
            last = match.end()
        elif closing:
            while open_names.pop() != name:
                pass
        elif not empty:
            open_names.append(name)
    kept.append(body[last:])
    return b"".join(kept)


def _precheck(body: bytes, operation: str, max_bytes: int) -> None:
    if len(body) > max_bytes:
        raise bad(operation, f"body of {len(body)} bytes exceeds the {max_bytes}-byte limit")
    if not body.strip():
        raise bad(operation, "empty body where XML was expected")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad(operation, f"body is not UTF-8 (byte {exc.start})") from None
    head = body.lstrip()[:512].lower()
    if head.startswith((b"<!doctype html", b"<html")):
        title = _HTML_TITLE.search(body[:4096])
        shown = title.group(1).decode("utf-8", "replace").strip() if title else "no title"
        raise bad(operation, f"got an HTML page, not XML ({shown[:80]})")
    declared = _DECLARATION_ENCODING.match(body)
    if declared and declared.group(1).decode("ascii", "replace").lower() not in ("utf-8", "utf8"):
        raise bad(operation, f"declared encoding {declared.group(1).decode('ascii', 'replace')}")
    if _FORBIDDEN.search(body):
        raise bad(operation, "DOCTYPE/ENTITY declarations are refused")
    if not body.lstrip().startswith(b"<"):
        raise bad(operation, f"not XML (starts with {body.lstrip()[:16]!r})")


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else "no detail"


def local(element: Element) -> str:
    """Local name of an element, ignoring any namespace."""
    tag = element.tag
    # Plain string work, not etree.QName: a recovered tree may hold names QName refuses.
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def children(element: Element, name: str) -> Iterator[Element]:
    """Direct child elements named ``name`` (namespace ignored), in document order."""
    for child in element:
        if isinstance(child.tag, str) and local(child) == name:
            yield child


def child(element: Element, name: str) -> Element | None:
    return next(children(element, name), None)


def blank(element: Element) -> bool:
    """True when ``element`` holds no text anywhere below it (``<X/>``, ``<X><A></A></X>``):
    the service's way of printing "not set" for a container."""
    return not any(part.strip() for part in element.itertext())


def text(element: Element | None, name: str | None = None) -> str | None:
    """Stripped text of ``element`` (or of its child ``name``); empty or absent is None."""
    node = element if name is None or element is None else child(element, name)
    if node is None:
        return None
    value = (node.text or "").strip()
    return value or None


def string(element: Element | None, name: str, default: str = "") -> str:
    value = text(element, name)
    return default if value is None else value


def _numeric(value: str) -> Decimal | None:
    """``value`` as a finite decimal of sane magnitude, however it is spelled (``640.0``,
    ``2.500``, ``+12``, ``1e3``); None when it is not a number at all."""
    try:
        parsed = Decimal(value)
    except InvalidOperation:
        return None
    if not parsed.is_finite() or parsed.adjusted() > _MAX_DIGITS:
        return None
    return parsed


def integer(element: Element | None, name: str, operation: str) -> int | None:
    """An integer field; ``640.0`` is 640, ``640.5`` is not an integer."""
    value = text(element, name)
    if value is None:
        return None
    parsed = _numeric(value)
    if parsed is None or parsed != parsed.to_integral_value():
        raise bad(operation, f"<{name}> is not an integer: {value[:40]!r}")
    return int(parsed)


def number(element: Element | None, name: str, operation: str) -> float | None:
    """A decimal field (seconds); ``2.500`` is 2.5."""
    value = text(element, name)
    if value is None:
        return None
    parsed = _numeric(value)
    if parsed is None:
        raise bad(operation, f"<{name}> is not a number: {value[:40]!r}")
    return float(parsed)


def boolean(element: Element | None, name: str, operation: str) -> bool | None:
    value = text(element, name)
    if value is None:
        return None
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise bad(operation, f"<{name}> is not true/false: {value[:40]!r}")


def time_text(element: Element | None, name: str) -> str:
    """A time stamp; ``-`` (seen before a job starts) is the same as empty."""
    value = string(element, name)
    return "" if value == "-" else value
