"""The WSGI app: routing table, fault dice, signature check, error bodies, counters.

Order for every request: latency -> route (counted) -> fail/slowdown dice ("before doing
anything") -> signature and token -> QPS bucket (job submission only) -> handler -> reply
variants (successful CI replies, only when ``reply_variants`` is set: :mod:`variants`).
Errors become a CI body (Code, Message, RequestId, TraceId: ci-api.md §5.1) on CI routes and a
COS body (with Resource) on object routes. ``/_emulator/stats`` and ``/_emulator/reset-stats``
need no signature and are not counted.
"""

from __future__ import annotations

import hmac
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import cosresponses as cos
from . import responses as ci
from .backend import Backend
from .config import EmulatorConfig
from .exceptions import EmulatorError, InternalError, InvalidUrl, MethodNotAllowed, SlowDown
from .signature import AuthFailure, WireRequest, authorization_from_query, verify
from .wire import Request, Response, Target, new_request_id, resolve_host
from .xmlio import Tree, render

Handler = Callable[[ci.Ctx], Response]
StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class Route:
    op: str  # the stats key, e.g. "GET /jobs/{ids}"
    service: str  # "ci" or "cos": which error body and request-id header
    handler: Handler
    arg: str = ""


#: (method, path regex, stats key, handler) for the CI API.
CI_ROUTES: list[tuple[str, re.Pattern[str], str, Handler]] = [
    ("POST", re.compile(r"^/template$"), "POST /template", ci.create_template),
    ("GET", re.compile(r"^/template$"), "GET /template", ci.list_templates),
    ("PUT", re.compile(r"^/template/([^/]+)$"), "PUT /template/{id}", ci.update_template),
    ("DELETE", re.compile(r"^/template/([^/]+)$"), "DELETE /template/{id}", ci.delete_template),
    ("POST", re.compile(r"^/jobs$"), "POST /jobs", ci.submit_job),
    ("GET", re.compile(r"^/jobs$"), "GET /jobs", ci.list_jobs),
    ("GET", re.compile(r"^/jobs/([^/]+)$"), "GET /jobs/{ids}", ci.describe_jobs),
    ("PUT", re.compile(r"^/jobs/([^/]+)$"), "PUT /jobs/{id}", ci.cancel_job),
    ("GET", re.compile(r"^/queue$"), "GET /queue", ci.list_queues),
]
COS_OBJECT: dict[str, Handler] = {
    "PUT": cos.put_object,
    "GET": cos.get_object,
    "HEAD": cos.head_object,
    "DELETE": cos.delete_object,
}

_CI_AUTH = {
    "missing": (401, "MissingAuthorization"),
    "malformed": (401, "InvalidAuthorization"),
    "unknown_id": (401, "SecretidNotExist"),
    "expired": (401, "SignatureExpired"),
    "mismatch": (403, "AccessDenied"),
    "token": (401, "InvalidAuthorization"),
}
_COS_AUTH = {
    "missing": (403, "AccessDenied"),
    "malformed": (403, "AccessDenied"),
    "unknown_id": (403, "InvalidAccessKeyId"),
    "expired": (403, "AccessDenied"),
    "mismatch": (403, "SignatureDoesNotMatch"),
    "token": (403, "InvalidAccessKeyId"),
}


def _fallback(method: str) -> Handler:
    def refuse(ctx: ci.Ctx) -> Response:
        raise MethodNotAllowed(f"{method} is not supported on {ctx.request.path}")

    return refuse


def route(req: Request, target: Target) -> Route:
    """CI paths win on ci hosts and bare hosts; cos hosts only serve objects."""
    ci_path = any(p.match(req.path) for _, p, _, _ in CI_ROUTES)
    if target.service != "cos" and ci_path:
        for method, pattern, op, handler in CI_ROUTES:
            match = pattern.match(req.path)
            if match and method == req.method:
                return Route(op, "ci", handler, match.group(1) if pattern.groups else "")
        return Route(f"{req.method} other", "ci", _fallback(req.method))
    if target.service == "ci":
        return Route(f"{req.method} other", "ci", _invalid_url)
    if req.path == "/":
        handler = cos.list_objects if req.method == "GET" else _fallback(req.method)
        return Route(f"{req.method} /", "cos", handler)
    handler = COS_OBJECT.get(req.method) or _fallback(req.method)
    return Route(f"{req.method} /{{key}}", "cos", handler, req.path[1:])


def _invalid_url(ctx: ci.Ctx) -> Response:
    raise InvalidUrl(f"{ctx.request.method} {ctx.request.path} is not a CI API")


class EmulatorApp:
    """A WSGI callable. Thread-safe: the backend serialises every operation."""

    def __init__(self, config: EmulatorConfig):
        from .faults import Faults
        from .variants import ReplyVariants

        self.config = config
        self.backend = Backend(config)
        self.faults = Faults(config)
        seed = config.reply_variants
        self.variants = None if seed is None else ReplyVariants(seed)
        self._stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()

    def stats(self) -> dict[str, int]:
        with self._stats_lock:
            return {**self._stats, "total": sum(self._stats.values())}

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._stats.clear()

    def close(self) -> None:
        self.backend.close()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        req = Request.from_environ(environ)
        if req.path.startswith("/_emulator/"):
            resp = self._control(req)
        else:
            resp = self.handle(req)
        start_response(resp.wsgi_status(), resp.wsgi_headers())
        return [resp.body if resp.send_body else b""]

    def handle(self, req: Request) -> Response:
        if self.config.latency_ms > 0:
            time.sleep(self.config.latency_ms / 1000.0)
        target = resolve_host(
            req.headers.get("host", ""), self.config.default_bucket, self.config.default_region
        )
        rt = route(req, target)
        with self._stats_lock:
            self._stats[rt.op] += 1
        ctx = ci.Ctx(req, target, self.backend, new_request_id(), rt.arg)
        try:
            resp = self._guarded(rt, ctx)
        except EmulatorError as exc:
            resp = self._error(exc, rt, ctx)
        except AuthFailure as exc:
            status, code = (_CI_AUTH if rt.service == "ci" else _COS_AUTH)[exc.kind]
            resp = self._error(EmulatorError(exc.message, code=code, status=status), rt, ctx)
        header = "x-ci-request-id" if rt.service == "ci" else "x-cos-request-id"
        resp.headers += [(header, ctx.request_id), ("Server", f"tencent-{rt.service}")]
        if req.method == "HEAD":
            resp.send_body = False
        return resp

    def _guarded(self, rt: Route, ctx: ci.Ctx) -> Response:
        if self.faults.roll(self.config.fail_rate):
            raise InternalError("injected failure (--fail-rate)")
        if self.faults.roll(self.config.slowdown_rate):
            raise SlowDown("Please reduce your request rate (--slowdown-rate)")
        self._authenticate(ctx.request)
        if rt.op == "POST /jobs" and not self.faults.admit_submission():
            raise SlowDown(f"Please reduce your request rate (over {self.config.qps:g} QPS)")
        resp = rt.handler(ctx)
        if rt.op == "POST /jobs" and self.faults.roll(self.config.drop_after_commit_rate):
            raise ConnectionAbortedError("dropped after commit")
        if self.variants is not None and rt.service == "ci" and resp.status == 200 and resp.body:
            resp.body = self.variants.apply(resp.body, rt.op)
        return resp

    def _authenticate(self, req: Request) -> None:
        authorization = req.headers.get("authorization") or authorization_from_query(req.query)
        wire = WireRequest(req.method, req.path, req.query, req.headers)
        verify(wire, authorization, self.config.credentials, self.config.clock())
        expected = self.config.security_token
        if expected is not None:
            token = req.headers.get("x-cos-security-token") or req.headers.get(
                "x-ci-security-token", ""
            )
            if not hmac.compare_digest(token.encode(), expected.encode()):
                raise AuthFailure("token", "the security token is missing or invalid")

    def _error(self, exc: EmulatorError, rt: Route, ctx: ci.Ctx) -> Response:
        tree: Tree = [("Code", exc.code), ("Message", exc.message)]
        if rt.service == "cos":
            t = ctx.target
            tree.append(("Resource", f"{t.bucket}.cos.{t.region}.myqcloud.com{ctx.request.path}"))
        tree += [("RequestId", ctx.request_id), ("TraceId", new_request_id())]
        return Response(exc.status, render("Error", tree))

    def _control(self, req: Request) -> Response:
        if req.path == "/_emulator/stats" and req.method == "GET":
            body = json.dumps(self.stats(), sort_keys=True).encode()
            return Response(200, body, content_type="application/json")
        if req.path == "/_emulator/reset-stats" and req.method == "POST":
            self.reset_stats()
            return Response(204, b"", content_type=None)
        return Response(404, b'{"error": "unknown control route"}', content_type="application/json")


def create_app(config: EmulatorConfig) -> EmulatorApp:
    return EmulatorApp(config)
