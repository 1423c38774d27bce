"""HTTP plumbing: the request as the handlers see it, responses, Host -> bucket/region."""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from .exceptions import EntityTooLarge, InvalidContent

#: Largest body accepted at all (objects included); the emulator keeps bodies in SQLite.
MAX_BODY_BYTES = 64 << 20

_HOST = re.compile(
    r"^(?P<bucket>[a-z0-9][a-z0-9-]*[a-z0-9])\.(?P<svc>ci|cos)\.(?P<region>[a-z0-9-]+)"
    r"\.myqcloud\.com(:\d+)?$"
)


@dataclass
class Request:
    method: str
    path: str  # percent-decoded, UTF-8
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names
    environ: dict[str, Any] = field(repr=False)
    _body: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Request:
        headers = {}
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                headers[key[5:].lower().replace("_", "-")] = str(value)
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                headers[key.lower().replace("_", "-")] = str(value)
        return cls(
            method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
            path=_utf8_path(str(environ.get("PATH_INFO", "/")) or "/"),
            query=parse_qsl(str(environ.get("QUERY_STRING", "")), keep_blank_values=True),
            headers=headers,
            environ=environ,
        )

    def param(self, name: str) -> str | None:
        """A query parameter; empty values count as not set (PY sends empty ones)."""
        for key, value in self.query:
            if key == name:
                return value if value != "" else None
        return None

    def has_param(self, name: str) -> bool:
        return any(key == name for key, _ in self.query)

    def body(self) -> bytes:
        if self._body is None:
            if "content-length" not in self.headers and "chunked" in self.headers.get(
                "transfer-encoding", ""
            ):
                return self._read_to_end()
            raw = self.headers.get("content-length") or "0"
            if not raw.strip().isdigit():
                raise InvalidContent(f"Content-Length {raw!r} is not a number")
            length = int(raw)
            if length > MAX_BODY_BYTES:
                raise EntityTooLarge(f"bodies larger than {MAX_BODY_BYTES} bytes are refused")
            stream = self.environ.get("wsgi.input")
            self._body = stream.read(length) if (stream is not None and length) else b""
        return self._body

    def _read_to_end(self) -> bytes:
        """A chunked body the server de-chunked without giving its length (WSGI servers such
        as httpx's WSGITransport): the input stream ends where the body does."""
        stream = self.environ.get("wsgi.input")
        data = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        if len(data) > MAX_BODY_BYTES:
            raise EntityTooLarge(f"bodies larger than {MAX_BODY_BYTES} bytes are refused")
        self._body = bytes(data)
        return self._body


def _utf8_path(path: str) -> str:
    """PEP 3333 servers pass the path as latin-1 text; httpx's WSGITransport passes real text."""
    try:
        return path.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return path


@dataclass(frozen=True)
class Target:
    bucket: str
    region: str
    service: str | None  # "ci", "cos", or None for any other Host


def resolve_host(host: str, default_bucket: str, default_region: str) -> Target:
    match = _HOST.match(host.strip().lower())
    if match is None:
        return Target(default_bucket, default_region, None)
    return Target(match["bucket"], match["region"], match["svc"])


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str | None = "application/xml"
    send_body: bool = True  # False for HEAD: headers describe a body that is not sent

    def wsgi_status(self) -> str:
        return f"{self.status} {HTTPStatus(self.status).phrase}"

    def wsgi_headers(self) -> list[tuple[str, str]]:
        out = list(self.headers)
        if self.content_type is not None:
            out.append(("Content-Type", self.content_type))
        if not any(name.lower() == "content-length" for name, _ in out):
            out.append(("Content-Length", str(len(self.body))))
        out.append(("Date", formatdate(usegmt=True)))
        return out


def new_request_id() -> str:
    return base64.b64encode(os.urandom(18)).decode()
