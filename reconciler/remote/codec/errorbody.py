"""Error replies: ``<Error>`` bodies (with or without ``<Resource>``) -> :class:`ApiError`.

A non-2xx reply is always an error, whatever its body. When the body is the service's XML we
keep its Code/Message/RequestId; when it is something else (a proxy's HTML 502, an empty HEAD
reply, garbage) the status still decides, so callers can retry a 5xx, and the message says the
body was not the service's.
"""

from __future__ import annotations

from reconciler.errors import ApiError, BadReplyError
from reconciler.remote.codec.xmlsafe import DEFAULT_MAX_BYTES, Element, parse_root, string

_REASONS = {301: "PermanentRedirect", 302: "Found", 307: "TemporaryRedirect", 404: "NotFound"}


def error_fields(body: bytes, op: str, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, str, str]:
    """``(code, message, request_id)`` of an ``<Error>`` body; BadReplyError otherwise."""
    root = parse_root(body, "Error", op, max_bytes)
    return _line(root, "Code"), _line(root, "Message"), _line(root, "RequestId")


_MAX_FIELD = 200


def _line(root: Element, name: str) -> str:
    """A field on one short line: a message spread over lines (or pages) must not break our
    one-line errors."""
    flat = " ".join(string(root, name).split())
    return flat if len(flat) <= _MAX_FIELD else flat[: _MAX_FIELD - 3] + "..."


def api_error(
    status: int,
    body: bytes,
    op: str,
    header_request_id: str = "",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ApiError:
    """The ApiError for a non-2xx reply; never raises."""
    fallback_code = _REASONS.get(status, f"HTTP{status}")
    if not body.strip():
        return ApiError(
            status, fallback_code, "no error body", header_request_id, op, from_service=False
        )
    try:
        code, message, request_id = error_fields(body, "", max_bytes)
    except BadReplyError as exc:
        detail = str(exc).removeprefix("bad reply: ")
        return ApiError(
            status,
            fallback_code,
            f"not a service error body: {detail}",
            header_request_id,
            op,
            from_service=False,
        )
    return ApiError(
        status,
        code or fallback_code,
        message or "(no message)",
        request_id or header_request_id,
        op,
    )
