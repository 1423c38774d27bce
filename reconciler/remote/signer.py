"""The COS/CI request signature (``q-sign-algorithm=sha1``, ci-api.md section 6.1).

Pure functions: the caller passes the clock reading, so the same inputs always give the same
Authorization value and tests can compare against the official SDK with its clock pinned.
Which headers get signed is a policy (:func:`signable_headers`); *how* they are signed is the
algorithm (:func:`authorization`). Keeping them apart lets the golden tests feed exactly the
headers the SDK chose.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import quote

from reconciler.remote.credentials import Credentials

#: Headers signed besides every ``x-cos-*`` / ``x-ci-*`` one. Signing the body's type, length and
#: MD5 ties the signature to the body; signing ``host`` ties it to the bucket.
SIGNED_HEADERS = frozenset({"host", "content-type", "content-length", "content-md5"})

#: The PY SDK back-dates the start of the validity window so a slightly fast server clock
#: does not reject a fresh request; we do the same.
BACKDATE_SECONDS = 60
DEFAULT_EXPIRE_SECONDS = 3600


def url_encode(value: str) -> str:
    """Percent-encode UTF-8 bytes, keeping only ``A-Z a-z 0-9 - _ . ~``; upper-case hex."""
    return quote(value.encode("utf-8"), safe="-_.~")


def signable_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The subset of ``headers`` we sign: host, content-*, and the service's own x- headers."""
    chosen = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in SIGNED_HEADERS or lower.startswith(("x-cos-", "x-ci-")):
            chosen[name] = value
    return chosen


def host_without_port(host: str) -> str:
    """Sign the host name without ``:port``, as the PY SDK does (the emulator accepts both)."""
    if host.startswith("["):  # IPv6 literal
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def _encoded_pairs(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Names encoded then lower-cased, values encoded; sorted by name then value (byte order)."""
    return sorted((url_encode(name).lower(), url_encode(value)) for name, value in pairs)


def _joined(pairs: list[tuple[str, str]]) -> tuple[str, str]:
    """``(n1=v1&n2=v2, n1;n2)`` for the HttpString and the Authorization lists."""
    return "&".join(f"{n}={v}" for n, v in pairs), ";".join(n for n, _ in pairs)


def key_time(now: float, expire: int = DEFAULT_EXPIRE_SECONDS) -> str:
    """``start;end`` in Unix seconds, start back-dated by :data:`BACKDATE_SECONDS`."""
    start = int(now)
    return f"{start - BACKDATE_SECONDS};{start + expire}"


def authorization(
    credentials: Credentials,
    method: str,
    path: str,
    params: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    *,
    now: float,
    expire: int = DEFAULT_EXPIRE_SECONDS,
) -> str:
    """The Authorization header value for one request.

    ``path`` is the *decoded* path (``/jobs/a,b``), ``params`` every query parameter to sign
    (a parameter without a value is ``("cancel", "")``) and ``headers`` exactly the headers to
    sign. ``now`` is the caller's clock reading in Unix seconds.
    """
    times = key_time(now, expire)
    param_string, param_list = _joined(_encoded_pairs(params))
    header_string, header_list = _joined(_encoded_pairs(headers.items()))
    http_string = f"{method.lower()}\n{path}\n{param_string}\n{header_string}\n"
    digest = hashlib.sha1(http_string.encode("utf-8")).hexdigest()
    string_to_sign = f"sha1\n{times}\n{digest}\n"
    sign_key = _hmac_hex(credentials.secret_key.encode("utf-8"), times)
    signature = _hmac_hex(sign_key.encode("ascii"), string_to_sign)
    return (
        f"q-sign-algorithm=sha1&q-ak={credentials.secret_id}&q-sign-time={times}"
        f"&q-key-time={times}&q-header-list={header_list}&q-url-param-list={param_list}"
        f"&q-signature={signature}"
    )


def _hmac_hex(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha1).hexdigest()
