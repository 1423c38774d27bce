"""COS handlers: PUT/GET/HEAD/DELETE object and GET bucket (ListBucketResult).

A PUT keeps the standard headers COS stores with an object (Cache-Control, Content-Disposition,
Content-Encoding, Content-Language, Expires) and the ``x-cos-meta-*`` user metadata, and GET/HEAD
send them back. GET also honours the documented ``response-*`` query parameters, which replace
the matching response header for that one download (COS GET Object).
"""

from __future__ import annotations

from email.utils import formatdate
from urllib.parse import quote

from . import views
from .exceptions import InvalidArgument
from .responses import Ctx
from .store import Row
from .wire import Response
from .xmlio import Tree, render

MAX_KEYS = 1000
#: Standard headers a PUT stores and GET/HEAD return, by lower-case name -> wire spelling.
STORED_HEADERS = {
    "cache-control": "Cache-Control",
    "content-disposition": "Content-Disposition",
    "content-encoding": "Content-Encoding",
    "content-language": "Content-Language",
    "expires": "Expires",
}
#: GET Object query parameters that override one response header each.
OVERRIDES = {
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
    "response-content-language": "Content-Language",
    "response-content-type": "Content-Type",
    "response-expires": "Expires",
}


def _object_headers(row: Row) -> list[tuple[str, str]]:
    return [
        ("ETag", str(row["etag"])),
        ("Last-Modified", formatdate(float(row["modified"]), usegmt=True)),
        ("Content-Length", str(len(row["data"]))),
        *row["headers"],
    ]


def _stored_headers(ctx: Ctx) -> list[tuple[str, str]]:
    """What of a PUT's headers COS keeps: the standard ones above and x-cos-meta-*."""
    out = []
    for name, value in sorted(ctx.request.headers.items()):
        if name in STORED_HEADERS:
            out.append((STORED_HEADERS[name], value))
        elif name.startswith("x-cos-meta-") and len(name) > len("x-cos-meta-"):
            out.append((name, value))
    return out


def _with_overrides(ctx: Ctx, headers: list[tuple[str, str]], ctype: str) -> Response:
    """The GET reply with each given ``response-*`` parameter replacing its header."""
    for param, header in OVERRIDES.items():
        value = ctx.request.param(param)
        if value is None:
            continue
        if header == "Content-Type":
            ctype = value
        else:
            headers = [(n, v) for n, v in headers if n != header] + [(header, value)]
    return Response(200, b"", headers=headers, content_type=ctype)


def _forbid_overwrite(ctx: Ctx) -> bool:
    """``x-cos-forbid-overwrite``: "true" refuses an existing key; absent or "false" overwrites."""
    raw = ctx.request.headers.get("x-cos-forbid-overwrite")
    if raw is None or raw.strip().lower() in ("", "false"):
        return False
    if raw.strip().lower() == "true":
        return True
    raise InvalidArgument(f"x-cos-forbid-overwrite must be true or false; got {raw!r}")


def put_object(ctx: Ctx) -> Response:
    ctype = ctx.request.headers.get("content-type") or "application/octet-stream"
    forbid = _forbid_overwrite(ctx)
    row = ctx.backend.put_object(
        ctx.target.bucket,
        ctx.arg,
        ctx.request.body(),
        ctype,
        headers=_stored_headers(ctx),
        forbid_overwrite=forbid,
    )
    return Response(200, b"", headers=[("ETag", str(row["etag"]))], content_type=None)


def get_object(ctx: Ctx) -> Response:
    row = ctx.backend.get_object(ctx.target.bucket, ctx.arg)
    resp = _with_overrides(ctx, _object_headers(row), str(row["content_type"]))
    resp.body = bytes(row["data"])
    return resp


def head_object(ctx: Ctx) -> Response:
    row = ctx.backend.get_object(ctx.target.bucket, ctx.arg)
    return Response(
        200,
        b"",
        headers=_object_headers(row),
        content_type=str(row["content_type"]),
        send_body=False,
    )


def delete_object(ctx: Ctx) -> Response:
    ctx.backend.delete_object(ctx.target.bucket, ctx.arg)
    return Response(204, b"", content_type=None)


def list_objects(ctx: Ctx) -> Response:
    req = ctx.request
    prefix, marker = req.param("prefix") or "", req.param("marker") or ""
    delimiter = req.param("delimiter")
    encoding = req.param("encoding-type")
    if encoding not in (None, "url"):
        raise InvalidArgument(f"encoding-type must be url; got {encoding!r}")
    raw = req.param("max-keys")
    try:
        max_keys = MAX_KEYS if raw is None else min(MAX_KEYS, int(raw))
    except ValueError:
        raise InvalidArgument(f"max-keys must be an integer; got {raw!r}") from None
    if max_keys < 0:
        raise InvalidArgument("max-keys must not be negative")
    items, truncated = ctx.backend.list_objects(
        ctx.target.bucket, prefix, marker, max_keys, delimiter
    )

    def enc(text: str) -> str:
        return quote(text, safe="/") if encoding else text

    tree: Tree = [("Name", ctx.target.bucket)]
    if encoding:
        tree.append(("EncodingType", encoding))
    tree += [("Prefix", enc(prefix)), ("Marker", enc(marker)), ("MaxKeys", str(max_keys))]
    if delimiter is not None:
        tree.append(("Delimiter", enc(delimiter)))
    tree.append(("IsTruncated", "true" if truncated else "false"))
    if truncated and items:
        last = items[-1]
        tree.append(("NextMarker", enc(last if isinstance(last, str) else str(last["key"]))))
    tree += [("CommonPrefixes", [("Prefix", enc(i))]) for i in items if isinstance(i, str)]
    tree += [
        ("Contents", views.object_contents(i, encoding == "url"))
        for i in items
        if not isinstance(i, str)
    ]
    return Response(200, render("ListBucketResult", tree))
