"""One signed HTTP exchange with the service, retried when that is safe (the httpx edge).

This module owns every decision about the wire: which host is sent and signed, how the body is
read (streamed, with a size cap), what counts as "never sent" versus "sent but unanswered", and
when to try again.

Time: every attempt has one overall deadline (``timeout``) covering connect, TLS, headers and
body (:mod:`reconciler.remote.deadline` clips each socket operation), and a call's attempts and
pauses together stay within ``budget`` (default twice the timeout). A trickling or stalled
server therefore ends in one line naming the endpoint, within the budget. Callers hand
in a :class:`Call` and get a :class:`Reply` or a :class:`reconciler.errors.RemoteError`.

Retry rules: idempotent calls are repeated on 5xx, ``SlowDown`` and network errors. Calls that
create something (POST) are repeated only when the service certainly did nothing: ``SlowDown``
(throttling rejects up front) and connection failures (the request never left). A POST whose
reply is lost raises :class:`NoReplyError` so the caller can look before it leaps.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

import httpx

from reconciler.errors import ApiError, BadReplyError, NoReplyError, RemoteError, TransportError
from reconciler.remote import codec
from reconciler.remote.credentials import Credentials
from reconciler.remote.deadline import bounded, install
from reconciler.remote.ratelimit import RateLimiter
from reconciler.remote.retry import RetryPolicy
from reconciler.remote.signer import authorization, host_without_port, signable_headers, url_encode

log = logging.getLogger("reconciler.remote")

Service = Literal["ci", "cos"]
_BUDGET = "retry budget"
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_LOST = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError, ConnectionError)


@dataclass(frozen=True)
class Call:
    """What to send. ``path`` is decoded (``/jobs/a,b``); it is percent-encoded on the wire."""

    operation: str
    method: str
    service: Service
    path: str
    params: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    content_type: str | None = None
    idempotent: bool = True
    accept: frozenset[int] = frozenset()
    limiter: RateLimiter | None = None
    max_bytes: int | None = None
    headers: tuple[tuple[str, str], ...] = ()  # extra request headers, signed (x-cos-*, if-*)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    request_id: str


class _Lost(Exception):
    """The request went out but no complete reply came back."""


class Exchange:
    """Signs, sends and retries calls for one bucket; owns (or borrows) an httpx.Client."""

    def __init__(
        self,
        bucket: str,
        region: str,
        credentials: Credentials,
        *,
        endpoint: str | None,
        transport: httpx.BaseTransport | None,
        http: httpx.Client | None,
        retry: RetryPolicy,
        timeout: float,
        max_reply_bytes: int,
        budget: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if http is not None and transport is not None:
            raise ValueError("pass either an httpx.Client or a transport, not both")
        self.bucket, self.region = bucket, region
        self._credentials = credentials
        self._endpoint = endpoint.rstrip("/") if endpoint else None
        self._retry, self._timeout, self._max = retry, timeout, max_reply_bytes
        self._budget = 2 * timeout if budget is None else budget
        self._clock = clock
        self._owned = http is None
        self._http = http or httpx.Client(
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
            trust_env=endpoint is None and transport is None,
        )
        if self._owned:
            install(self._http)

    def close(self) -> None:
        if self._owned:
            self._http.close()

    def host(self, service: Service) -> str:
        return f"{self.bucket}.{service}.{self.region}.myqcloud.com"

    def where(self, service: Service) -> str:
        """The endpoint calls for ``service`` go to, for messages."""
        return self._endpoint or f"https://{self.host(service)}"

    def call(self, call: Call) -> Reply:
        """Send ``call`` until it succeeds, fails for good, or retries or the budget run out."""
        attempts = self._retry.attempts
        give_up = time.monotonic() + self._budget
        for number in range(attempts):
            try:
                return self._attempt(call, give_up)
            except RemoteError as exc:
                if number + 1 >= attempts or not _retryable(exc, call):
                    raise
                pause = self._retry.delay(number)
                if time.monotonic() + pause >= give_up:
                    raise exc if _BUDGET in str(exc) else _spent(exc, self._budget) from None
                log.info("%s: retrying after %s", call.operation, exc)  # shown with --debug
            self._retry.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, call: Call, give_up: float) -> Reply:
        if call.limiter is not None:
            call.limiter.acquire()
        request = self._request(call)
        started = time.monotonic()
        deadline = min(started + self._timeout, give_up)
        try:
            with bounded(deadline):
                reply = self._send(request, call, deadline, give_up == deadline)
        except _Lost as exc:
            if call.idempotent:
                raise TransportError(f"{call.operation}: {exc}") from None
            raise NoReplyError(
                f"{call.operation}: no reply ({exc}); it may have been done"
            ) from None
        elapsed = (time.monotonic() - started) * 1000
        log.debug(
            "%s %s -> %s [%s] %.0f ms",
            call.method,
            call.path,
            reply.status,
            reply.request_id or "-",
            elapsed,
        )
        if 200 <= reply.status < 300 or reply.status in call.accept:
            return reply
        max_bytes = call.max_bytes or self._max
        raise codec.api_error(reply.status, reply.body, call.operation, reply.request_id, max_bytes)

    def _request(self, call: Call) -> httpx.Request:
        host = self.host(call.service)
        headers = {"Host": host, **dict(call.headers)}
        if call.body is not None:
            headers["Content-Length"] = str(len(call.body))
            headers["Content-MD5"] = base64.b64encode(hashlib.md5(call.body).digest()).decode()
            if call.content_type:
                headers["Content-Type"] = call.content_type
        if self._credentials.token:
            headers[f"x-{call.service}-security-token"] = self._credentials.token
        signed = signable_headers(headers)
        signed["Host"] = host_without_port(host)
        headers["Authorization"] = authorization(
            self._credentials, call.method, call.path, call.params, signed, now=self._clock()
        )
        return self._http.build_request(
            call.method, self._url(call), headers=headers, content=call.body, timeout=self._timeout
        )

    def _url(self, call: Call) -> str:
        base = self._endpoint or f"https://{self.host(call.service)}"
        query = "&".join(
            url_encode(name) if value == "" else f"{url_encode(name)}={url_encode(value)}"
            for name, value in call.params
        )
        return base + quote(call.path, safe="/-_.~") + (f"?{query}" if query else "")

    def _send(self, request: httpx.Request, call: Call, deadline: float, last: bool) -> Reply:
        """``last``: the call's retry budget, not the request timeout, sets ``deadline``."""
        where = self.where(call.service)
        late = self._overdue(where, last)
        try:
            response = self._http.send(request, stream=True, follow_redirects=False)
        except _NOT_SENT as exc:
            if time.monotonic() >= deadline:
                raise TransportError(f"{call.operation}: {late}") from None
            raise TransportError(
                f"{call.operation}: cannot connect to {request.url.host}: {_one_line(exc)}"
            ) from None
        except _LOST as exc:
            if time.monotonic() >= deadline:
                raise _Lost(late) from None
            raise _Lost(_one_line(exc)) from None
        except httpx.HTTPError as exc:
            raise TransportError(f"{call.operation}: {_one_line(exc)}") from None
        try:
            body = self._read(response, call, deadline, late)
        finally:
            response.close()
        headers = {k.lower(): v for k, v in response.headers.items()}
        request_id = headers.get("x-ci-request-id") or headers.get("x-cos-request-id", "")
        return Reply(response.status_code, headers, body, request_id)

    def _overdue(self, where: str, last: bool) -> str:
        if last:
            return (
                f"no complete reply from {where} before the {_BUDGET} of "
                f"{self._budget:g} s ran out (--request-timeout)"
            )
        return f"no complete reply from {where} within {self._timeout:g} s (--request-timeout)"

    def _read(self, response: httpx.Response, call: Call, deadline: float, late: str) -> bytes:
        """Stream the body under the size cap and the attempt's deadline."""
        limit = call.max_bytes or self._max
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise codec_bad(call, f"declared body of {declared} bytes exceeds {limit}")
        # One growing buffer, not a list of small chunks: a 40 MB state segment read as
        # thousands of heap-allocated pieces left that much resident after they were joined.
        body = bytearray()
        try:
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > limit:
                    raise codec_bad(call, f"body exceeds the {limit}-byte limit")
                if time.monotonic() > deadline:
                    raise _Lost(late)
        except _LOST as exc:
            if time.monotonic() >= deadline:
                raise _Lost(late) from None
            raise _Lost(f"reply cut short: {_one_line(exc)}") from None
        except httpx.HTTPError as exc:
            raise _Lost(f"reply unreadable: {_one_line(exc)}") from None
        return bytes(body)


def codec_bad(call: Call, what: str) -> BadReplyError:
    return BadReplyError(f"{call.operation}: bad reply: {what}")


def _retryable(exc: RemoteError, call: Call) -> bool:
    if isinstance(exc, NoReplyError) or isinstance(exc, BadReplyError):
        return False
    if isinstance(exc, TransportError):
        return True  # idempotent loss, or never sent at all
    if isinstance(exc, ApiError):
        return exc.code == "SlowDown" or (call.idempotent and exc.status >= 500)
    return False


def _spent(exc: RemoteError, budget: float) -> RemoteError:
    """The same error, saying that the call's retry budget is spent."""
    suffix = f" (gave up: {_BUDGET} of {budget:g} s spent)"
    if isinstance(exc, ApiError):
        return ApiError(
            exc.status, exc.code, exc.message + suffix, exc.request_id, exc.operation,
            from_service=exc.from_service,
        )  # fmt: skip
    return type(exc)(str(exc) + suffix)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]
