"""COS handlers: PUT/GET/HEAD/DELETE object and GET bucket (ListBucketResult)."""

from __future__ import annotations

from email.utils import formatdate

from . import views
from .exceptions import InvalidArgument
from .responses import Ctx
from .store import Row
from .wire import Response
from .xmlio import Tree, render

MAX_KEYS = 1000


def _object_headers(row: Row) -> list[tuple[str, str]]:
    return [
        ("ETag", str(row["etag"])),
        ("Last-Modified", formatdate(float(row["modified"]), usegmt=True)),
        ("Content-Length", str(len(row["data"]))),
    ]


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
        ctx.target.bucket, ctx.arg, ctx.request.body(), ctype, forbid_overwrite=forbid
    )
    return Response(200, b"", headers=[("ETag", str(row["etag"]))], content_type=None)


def get_object(ctx: Ctx) -> Response:
    row = ctx.backend.get_object(ctx.target.bucket, ctx.arg)
    return Response(
        200, bytes(row["data"]), headers=_object_headers(row), content_type=str(row["content_type"])
    )


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
    if req.param("delimiter") is not None:
        raise InvalidArgument("delimiter is not supported by the emulator")
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
    rows, truncated = ctx.backend.list_objects(ctx.target.bucket, prefix, marker, max_keys)
    tree: Tree = [("Name", ctx.target.bucket)]
    if encoding:
        tree.append(("EncodingType", encoding))
    tree += [
        ("Prefix", prefix),
        ("Marker", marker),
        ("MaxKeys", str(max_keys)),
        ("IsTruncated", "true" if truncated else "false"),
    ]
    if truncated and rows:
        tree.append(("NextMarker", str(rows[-1]["key"])))
    tree += [("Contents", views.object_contents(r, encoding == "url")) for r in rows]
    return Response(200, render("ListBucketResult", tree))
