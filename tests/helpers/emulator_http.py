"""The in-process emulator behind a signing httpx client, with a clock tests move."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from reconciler.emulator import EmulatorApp
from tests.helpers.clocks import ManualClock

SID = "AKIDemulatorTests00000000000000000000"


SKEY = "emulatorTestsSecretKey0000000000"


BUCKET = "examplebucket-1250000000"


REGION = "ap-guangzhou"


CI = f"http://{BUCKET}.ci.{REGION}.myqcloud.com"


COS = f"http://{BUCKET}.cos.{REGION}.myqcloud.com"


T0 = 1_767_225_600.0  # 2026-01-01T08:00:00+0800


def _enc(value: str) -> str:
    return quote(value, safe="-_.~")


def q_sign(
    method: str,
    path: str,
    params: list[tuple[str, str]],
    headers: dict[str, str],
    *,
    now: float,
    secret_id: str = SID,
    secret_key: str = SKEY,
    expire: int = 600,
) -> str:
    """The tests' own signer, written from ci-api.md §6.1 (independent of both the
    client's signer and the emulator's checker)."""
    key_time = f"{int(now) - 60};{int(now) + expire}"
    p = sorted((_enc(k).lower(), _enc(v)) for k, v in params)
    h = sorted((_enc(k).lower(), _enc(v)) for k, v in headers.items())
    http_string = (
        f"{method.lower()}\n{path}\n"
        + "&".join(f"{k}={v}" for k, v in p)
        + "\n"
        + "&".join(f"{k}={v}" for k, v in h)
        + "\n"
    )
    sign_key = hmac.new(secret_key.encode(), key_time.encode(), hashlib.sha1).hexdigest()
    sts = f"sha1\n{key_time}\n{hashlib.sha1(http_string.encode()).hexdigest()}\n"
    sig = hmac.new(sign_key.encode(), sts.encode(), hashlib.sha1).hexdigest()
    return (
        f"q-sign-algorithm=sha1&q-ak={secret_id}&q-sign-time={key_time}"
        f"&q-key-time={key_time}&q-header-list={';'.join(k for k, _ in h)}"
        f"&q-url-param-list={';'.join(k for k, _ in p)}&q-signature={sig}"
    )


class QSign(httpx.Auth):
    """Signs host, content-type/length, x-cos-*/x-ci-* headers and every query parameter."""

    def __init__(self, clock: Callable[[], float], secret_key: str = SKEY):
        self.clock = clock
        self.secret_key = secret_key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, Any, None]:
        if "authorization" not in request.headers:
            signed = {
                k.lower(): v
                for k, v in request.headers.items()
                if k.lower() in ("host", "content-type", "content-length")
                or k.lower().startswith(("x-cos-", "x-ci-"))
            }
            request.headers["Authorization"] = q_sign(
                request.method,
                request.url.path,
                list(request.url.params.multi_items()),
                signed,
                now=self.clock(),
                secret_key=self.secret_key,
            )
        yield request


@dataclass
class Local:
    """An in-process emulator: the app, its clock and a signed httpx client."""

    app: EmulatorApp
    clock: ManualClock
    http: httpx.Client

    def xml(self, method: str, url: str, body: str | None = None, **kw: Any) -> httpx.Response:
        content = body.encode() if body is not None else None
        return self.http.request(method, url, content=content, **kw)
