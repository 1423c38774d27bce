"""The emulator's own XML: a hardened request parser and a tiny ordered renderer.

Parsing uses lxml with entity resolution, DTD loading and network access off, and refuses any
document that carries a DOCTYPE at all (no DTD means no entity bomb and no external entity).
Rendering works on an ordered list of ``(name, value)`` pairs so repeated elements
(``<ObjectName>`` x N, ``<JobsDetail>`` x N) keep their order, exactly as the service sends them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from lxml import etree

from .exceptions import InvalidContent, MissingContent

#: Largest request body the CI routes parse (a snapshot job is well under 8 KiB).
MAX_XML_BYTES = 1 << 20

Tree = list[tuple[str, "str | Tree"]]

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


@dataclass
class Elem:
    """A parsed element: local name, text (None when empty or blank) and children in order."""

    name: str
    text: str | None
    children: list[Elem] = field(default_factory=list)

    def all(self, name: str) -> list[Elem]:
        return [c for c in self.children if c.name == name]

    def child(self, name: str) -> Elem | None:
        found = self.all(name)
        return found[0] if found else None

    def value(self, name: str) -> str | None:
        """Text of the first child called ``name``; empty elements count as not set."""
        node = self.child(name)
        return None if node is None else node.text


def parse_request(body: bytes, root: str = "Request") -> Elem:
    """Parse a request body, refusing empty, oversized, DTD-carrying or malformed documents."""
    if not body.strip():
        raise MissingContent("the request body is empty")
    if len(body) > MAX_XML_BYTES:
        raise InvalidContent(f"the request body is larger than {MAX_XML_BYTES} bytes")
    if b"<!doctype" in body.lower() or b"<!entity" in body.lower():
        raise InvalidContent("DOCTYPE and ENTITY declarations are not accepted")
    try:
        element = etree.fromstring(body, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise InvalidContent(f"the request body is not well-formed XML: {exc}") from None
    tree = _convert(element)
    if tree.name != root:
        raise InvalidContent(f"the root element must be <{root}>, got <{tree.name}>")
    return tree


def _convert(element: etree._Element) -> Elem:
    name = etree.QName(element).localname
    kids = [_convert(c) for c in element if isinstance(c.tag, str)]
    text = element.text if element.text is not None and element.text.strip() else None
    return Elem(name, None if kids else text, kids)


def render(root: str, items: Tree) -> bytes:
    """Serialise ``items`` under ``root`` with an XML declaration, as the service does."""
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n', f"<{root}>"]
    _render_items(items, parts)
    parts.append(f"</{root}>")
    return "".join(parts).encode("utf-8")


def _render_items(items: Tree, parts: list[str]) -> None:
    for name, value in items:
        if isinstance(value, str):
            parts.append(f"<{name}>{escape(value)}</{name}>" if value else f"<{name}/>")
        else:
            parts.append(f"<{name}>")
            _render_items(value, parts)
            parts.append(f"</{name}>")
