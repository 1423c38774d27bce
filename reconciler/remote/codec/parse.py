"""Response bodies: XML bytes -> model objects, one function per reply shape in ci-api.md.

This module holds the small shapes (queues, bucket listings, acknowledgements); templates and
jobs have their own modules. Every parser checks the root element, reads only the fields it
knows (unknown elements are ignored, so new service fields do not break us) and turns empty
elements into "not set". Repeated elements are always lists here, whatever their count; the PY
SDK's one-vs-many inconsistency (ci-api.md 7) does not exist in our model.
"""

from __future__ import annotations

from reconciler.errors import BadReplyError
from reconciler.model import ObjectInfo, ObjectPage, Queue
from reconciler.remote.codec.xmlsafe import (
    DEFAULT_MAX_BYTES,
    Element,
    boolean,
    children,
    integer,
    parse_root,
    string,
)


def check_root(body: bytes, root: str, op: str, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Validate a reply we only need to acknowledge."""
    parse_root(body, root, op, max_bytes)


def delete_reply(body: bytes, op: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """``DELETE /template/<id>``: the echoed TemplateId ("" when absent or the body is empty).

    The 2xx status is the answer; the body only confirms it. Parsed leniently, since every doc
    sample of it closes with ``<Response>`` instead of ``</Response>`` (ci-api.md 2.7); a body
    that is not the service's XML at all (an HTML page) is still an error.
    """
    if not body.strip():
        return ""
    return string(parse_root(body, "Response", op, max_bytes, lenient=True), "TemplateId")


def _informational(node: Element, name: str) -> int | None:
    """A number we only show (queue sizes, object sizes): unreadable is the same as absent,
    so an odd value never costs the queue or the object it describes."""
    try:
        return integer(node, name, "")
    except BadReplyError:
        return None


def queue_list(body: bytes, op: str, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Queue]:
    root = parse_root(body, "Response", op, max_bytes)
    return [
        Queue(
            queue_id=string(node, "QueueId"),
            name=string(node, "Name"),
            state=string(node, "State"),
            category=string(node, "Category"),
            max_size=_informational(node, "MaxSize"),
            max_concurrent=_informational(node, "MaxConcurrent"),
        )
        for node in children(root, "QueueList")
    ]


def unquote_etag(value: str) -> str:
    """COS ETags come quoted (``"abc"``); the model keeps the bare value."""
    return value.strip().strip('"')


def object_page(body: bytes, op: str, max_bytes: int = DEFAULT_MAX_BYTES) -> ObjectPage:
    """``GET /`` on a bucket (``ListBucketResult``); NextMarker falls back to the last key."""
    root = parse_root(body, "ListBucketResult", op, max_bytes)
    objects = tuple(
        ObjectInfo(
            key=string(node, "Key"),
            etag=unquote_etag(string(node, "ETag")),
            size=_informational(node, "Size") or 0,
            last_modified=string(node, "LastModified"),
        )
        for node in children(root, "Contents")
    )
    truncated = boolean(root, "IsTruncated", op) or False
    marker = string(root, "NextMarker")
    if truncated and not marker and objects:
        marker = objects[-1].key
    return ObjectPage(objects=objects, is_truncated=truncated, next_marker=marker)
