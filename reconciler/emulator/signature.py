"""Server-side check of the COS "q-sign" request signature (ci-api.md §6.1, recipe §6.3).

Written from the documented algorithm, independently of the client's signer. The checker
rebuilds HttpString from what arrived on the wire, restricted to the parameters and headers the
client listed, so unsigned extras (the Python SDK's hand-appended ``?cancel``) pass while a
tampered path, signed parameter or signed header does not.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

#: Seconds a signature may start in the future (client clocks run a little ahead).
CLOCK_SKEW = 60


class AuthFailure(Exception):
    """Why a request is refused; ``kind`` is mapped to a CI or COS error code by the app."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind  # missing | malformed | unknown_id | expired | mismatch | token
        self.message = message


@dataclass(frozen=True)
class WireRequest:
    """What the signature covers, as received: decoded path and query, lower-cased headers."""

    method: str
    path: str
    query: Sequence[tuple[str, str]]
    headers: Mapping[str, str]


@dataclass(frozen=True)
class AuthFields:
    secret_id: str
    sign_time: str
    key_time: str
    header_list: tuple[str, ...]
    param_list: tuple[str, ...]
    signature: str


def encode(value: str) -> str:
    """UrlEncode of §6.1: only ``A-Z a-z 0-9 - _ . ~`` stay, upper-case hex, space as %20."""
    return quote(value, safe="-_.~")


def parse_authorization(raw: str) -> AuthFields:
    """Split ``q-sign-algorithm=sha1&q-ak=...`` into its fields, refusing malformed ones."""
    fields: dict[str, str] = {}
    for part in raw.strip().split("&"):
        name, sep, value = part.partition("=")
        if not sep:
            raise AuthFailure("malformed", f"Authorization part {name!r} has no '='")
        fields[name.strip()] = value.strip()
    required = ("q-sign-algorithm", "q-ak", "q-sign-time", "q-key-time", "q-signature")
    missing = [n for n in required if not fields.get(n)]
    if missing:
        raise AuthFailure("malformed", f"Authorization lacks {', '.join(missing)}")
    if fields["q-sign-algorithm"] != "sha1":
        raise AuthFailure("malformed", "q-sign-algorithm must be sha1")
    return AuthFields(
        secret_id=fields["q-ak"],
        sign_time=fields["q-sign-time"],
        key_time=fields["q-key-time"],
        header_list=_split_list(fields.get("q-header-list", "")),
        param_list=_split_list(fields.get("q-url-param-list", "")),
        signature=fields["q-signature"].lower(),
    )


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(n.strip().lower() for n in value.split(";") if n.strip())


def _window(value: str) -> tuple[int, int]:
    start, sep, end = value.partition(";")
    if not sep or not start.isdigit() or not end.isdigit():
        raise AuthFailure("malformed", f"time window {value!r} is not '<start>;<end>'")
    return int(start), int(end)


def check_window(auth: AuthFields, now: float) -> None:
    """Refuse a signature outside its ``q-sign-time`` / ``q-key-time`` windows."""
    for value in (auth.sign_time, auth.key_time):
        start, end = _window(value)
        if now > end:
            raise AuthFailure("expired", "Request has expired")
        if now + CLOCK_SKEW < start:
            raise AuthFailure("expired", "the signature is not valid yet")


def _param_string(query: Sequence[tuple[str, str]], names: tuple[str, ...]) -> str:
    received: dict[str, list[str]] = {}
    for name, value in query:
        received.setdefault(encode(name).lower(), []).append(encode(value))
    parts: list[str] = []
    for name in names:
        if name not in received:
            raise AuthFailure("mismatch", f"signed parameter {name!r} is not in the request")
        parts.extend(f"{name}={value}" for value in sorted(received[name]))
    return "&".join(parts)


def _header_strings(headers: Mapping[str, str], names: tuple[str, ...]) -> list[str]:
    """Every HttpHeaders string worth trying: the Host as received, then without its port."""
    variants: list[list[str]] = [[]]
    for name in names:
        if name not in headers:
            raise AuthFailure("mismatch", f"signed header {name!r} is not in the request")
        value = headers[name]
        options = [value]
        if name == "host" and ":" in value:
            options.append(value.rsplit(":", 1)[0])
        variants = [v + [f"{name}={encode(o)}"] for v in variants for o in options]
    return ["&".join(v) for v in variants]


def signature_for(
    secret_key: str, auth: AuthFields, method: str, path: str, params: str, headers: str
) -> str:
    """Steps 2, 5, 6 and 7 of §6.1 for one candidate HttpString."""
    sign_key = hmac.new(secret_key.encode(), auth.key_time.encode(), hashlib.sha1).hexdigest()
    http_string = f"{method.lower()}\n{path}\n{params}\n{headers}\n"
    digest = hashlib.sha1(http_string.encode()).hexdigest()
    to_sign = f"sha1\n{auth.sign_time}\n{digest}\n"
    return hmac.new(sign_key.encode(), to_sign.encode(), hashlib.sha1).hexdigest()


def verify(
    request: WireRequest, authorization: str | None, credentials: Mapping[str, str], now: float
) -> str:
    """Check the request's signature; return the SecretId it was signed with."""
    if not authorization:
        raise AuthFailure("missing", "the request carries no Authorization")
    auth = parse_authorization(authorization)
    secret_key = credentials.get(auth.secret_id)
    if secret_key is None:
        raise AuthFailure("unknown_id", "the SecretId in the Authorization is not known")
    check_window(auth, now)
    params = _param_string(request.query, auth.param_list)
    for headers in _header_strings(request.headers, auth.header_list):
        expected = signature_for(secret_key, auth, request.method, request.path, params, headers)
        if hmac.compare_digest(expected, auth.signature):
            return auth.secret_id
    raise AuthFailure(
        "mismatch", "The request signature we calculated does not match the signature you provided"
    )


def authorization_from_query(query: Sequence[tuple[str, str]]) -> str | None:
    """The signature may travel as query parameters instead of a header (DOC-SIGN)."""
    q = [(n, v) for n, v in query if n.startswith("q-")]
    if not any(n == "q-signature" for n, _ in q):
        return None
    return "&".join(f"{n}={v}" for n, v in q)
