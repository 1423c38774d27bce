"""A real WSGI middleware in front of the emulator, for reply shapes the emulator never sends.

The emulator handles every request for real (it commits, signs, stores); the middleware only
changes what comes back on the way out, the way a proxy or an odd service build would. Rules are
matched in order on ``"METHOD /path"`` (prefix match) and may be switched off by the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

Reply = tuple[str, list[tuple[str, str]], bytes]
Rewrite = Callable[[dict[str, Any], Reply], Reply | None]


@dataclass
class Rule:
    """``rewrite`` gets the WSGI environ and the emulator's reply; None means: drop the reply
    (the connection is cut after the emulator has committed). ``times`` < 0 means forever."""

    route: str
    rewrite: Rewrite
    times: int = -1
    hits: int = 0
    query: str = ""  # only requests whose query string contains this

    def matches(self, environ: dict[str, Any]) -> bool:
        request = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}"
        wanted = self.query in environ.get("QUERY_STRING", "")
        return request.startswith(self.route) and wanted and self.times != 0


def body_to(new: bytes) -> Rewrite:
    """Keep the status and headers (Content-Length fixed), replace the body."""

    def rewrite(_environ: dict[str, Any], reply: Reply) -> Reply:
        return reply[0], reply[1], new

    return rewrite


def drop(_environ: dict[str, Any], _reply: Reply) -> Reply | None:
    return None


def error(status: str, code: str, message: str) -> Rewrite:
    """Answer with a service-shaped ``<Error>`` instead of the emulator's reply."""
    body = (
        f"<?xml version='1.0' encoding='utf-8'?>\n<Error><Code>{code}</Code>"
        f"<Message>{message}</Message><RequestId>mw-0001</RequestId></Error>"
    ).encode()

    def rewrite(_environ: dict[str, Any], reply: Reply) -> Reply:
        return status, [("Content-Type", "application/xml")], body

    return rewrite


@dataclass
class Middleware:
    """WSGI app wrapping ``app``; ``rules`` are consulted for every request."""

    app: Any
    rules: list[Rule] = field(default_factory=list)
    before: list[Callable[[dict[str, Any]], Reply | None]] = field(default_factory=list)

    def add(self, route: str, rewrite: Rewrite, times: int = -1, query: str = "") -> Rule:
        rule = Rule(route, rewrite, times, query=query)
        self.rules.append(rule)
        return rule

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        for hook in self.before:
            early = hook(environ)
            if early is not None:
                return _send(early, start_response)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        chunks: Iterable[bytes] = self.app(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        original: Reply = (captured["status"], list(captured["headers"]), body)
        reply: Reply | None = original
        for rule in self.rules:
            if rule.matches(environ):
                rule.hits += 1
                if rule.times > 0:
                    rule.times -= 1
                assert reply is not None
                reply = rule.rewrite(environ, reply)
                if reply is None:
                    raise ConnectionAbortedError("middleware dropped the reply after commit")
        assert reply is not None
        if reply is original:  # untouched: pass through as is (HEAD keeps its Content-Length)
            start_response(original[0], original[1])
            return [body]
        return _send(reply, start_response)

    def close(self) -> None:
        close = getattr(self.app, "close", None)
        if close is not None:
            close()


def _send(reply: Reply, start_response: Callable[..., Any]) -> list[bytes]:
    status, headers, body = reply
    kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
    start_response(status, [*kept, ("Content-Length", str(len(body)))])
    return [body]


def template_lists(environ: dict[str, Any]) -> bool:
    return bool(environ["REQUEST_METHOD"] == "GET" and environ["PATH_INFO"] == "/template")


def proxy(
    app: Any,
    rewrite: Callable[[bytes], bytes],
    wants: Callable[[dict[str, Any]], bool] = template_lists,
) -> Any:
    """A WSGI middleware that rewrites the bodies of 200 replies to the requests ``wants``."""

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], *rest: Any) -> None:
            captured["status"], captured["headers"] = status, headers

        body = b"".join(app(environ, keep))
        if wants(environ) and captured["status"].startswith("200"):
            body = rewrite(body)
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return middleware
