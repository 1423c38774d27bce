"""Serving the WSGI app on a loopback port: threaded, HTTP/1.1 keep-alive.

A small server of our own (not wsgiref) because one fault needs socket-level control: when the
app raises ``ConnectionAbortedError`` (drop after commit), the connection is reset with no
response bytes at all, which is what a client sees when the service commits and the network
then fails.
"""

from __future__ import annotations

import io
import socket
import struct
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from .app import EmulatorApp, create_app
from .config import EmulatorConfig, EmulatorConfigError
from .wire import MAX_BODY_BYTES


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: EmulatorApp):
        self.app = app
        self._open: set[socket.socket] = set()
        self._aborted: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def abort(self, request: socket.socket) -> None:
        """Close with SO_LINGER 0 (a reset) and skip the polite shutdown."""
        request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with self._conn_lock:
            self._aborted.add(request)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._open.discard(request)
            aborted = request in self._aborted
            self._aborted.discard(request)
        if aborted:
            self.close_request(request)
        else:
            super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (killed, timed out) is normal here, not worth a traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self._conn_lock:
            for sock in list(self._open):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Quiet: request logs would drown test output."""

    def setup(self) -> None:
        """Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm holds
        the body until the client's delayed ACK (about 40 ms on Linux) on every keep-alive call."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def _read_body(self) -> bytes:
        """The request body, de-chunked; an oversized one is cut and the connection closed
        afterwards (its unread rest would otherwise be taken for the next request)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = _read_chunked(self.rfile)
        else:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, MAX_BODY_BYTES + 1)) if length > 0 else b""
        if len(body) > MAX_BODY_BYTES:
            self.close_connection = True
        return body

    def _environ(self, body: bytes) -> dict[str, Any]:
        target = self.path
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            target = parts.path + ("?" + parts.query if parts.query else "")
        raw_path, _, query = target.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "PATH_INFO": unquote(raw_path, encoding="latin-1"),
            "QUERY_STRING": query,
            "SERVER_PROTOCOL": self.request_version,
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
        }
        for name, value in self.headers.items():
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[key] = value
            else:
                # Transfer-Encoding stays visible: the official SDK signs it on chunked uploads.
                environ["HTTP_" + key] = value
        if body or "CONTENT_LENGTH" in environ or "HTTP_TRANSFER_ENCODING" in environ:
            # The body is already de-chunked here, so its length is known.
            environ["CONTENT_LENGTH"] = str(len(body))
        return environ

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except ValueError:  # a malformed chunk size or Content-Length: nothing to answer
            self.close_connection = True
            self.send_error(400, "malformed request body framing")
            return
        environ = self._environ(body)
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> None:
            captured.update(status=status, headers=headers)

        try:
            chunks = b"".join(self.server.app(environ, start_response))
        except ConnectionAbortedError:
            self.close_connection = True
            self.server.abort(self.connection)
            return
        except Exception as exc:  # a bug in the emulator: answer 500 rather than hang up
            print(f"emulator: internal error: {exc!r}", file=sys.stderr)
            captured = {"status": "500 Internal Server Error", "headers": [("Content-Length", "0")]}
            chunks = b""
        code, _, reason = captured["status"].partition(" ")
        self.send_response_only(int(code), reason)
        for name, value in captured["headers"]:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(chunks)

    def version_string(self) -> str:
        return "tencent-ci"


def _read_chunked(stream: Any) -> bytes:
    out = bytearray()
    while True:
        size = int(stream.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while stream.readline().strip():
                pass  # trailers
            return bytes(out)
        out += stream.read(size)
        stream.readline()
        if len(out) > MAX_BODY_BYTES:
            return bytes(out)


@dataclass
class RunningServer:
    """A server running in a background thread of this process (tests, benches, embedded)."""

    url: str
    port: int
    app: EmulatorApp
    _server: _Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def stop(self) -> None:
        """Stop serving, cut open connections and close the store. Idempotent."""
        if not self._thread.is_alive():
            return
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(timeout=10)
        self.app.close()


def start_background(
    config: EmulatorConfig, host: str = "127.0.0.1", port: int = 0
) -> RunningServer:
    app = create_app(config)
    server = _Server((host, port), app)
    actual = server.server_address[1]
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        daemon=True,
        name=f"emulator-{actual}",
    )
    thread.start()
    return RunningServer(f"http://{host}:{actual}", int(actual), app, server, thread)


def run_server(
    host: str,
    port: int,
    *,
    data_dir: str | None,
    bucket: str | None = None,
    region: str | None = None,
    **options: Any,
) -> None:
    """Serve until interrupted. Credentials come from the environment, never the demo pair.

    ``options`` are :class:`EmulatorConfig` fields (latency_ms, qps, fail_rate, seed,
    reply_variants, ...); ``bucket``/``region`` set the default bucket, the one a client
    reaches through a bare host such as ``127.0.0.1:PORT``.
    """
    named: dict[str, Any] = {"default_bucket": bucket, "default_region": region}
    options.update({k: v for k, v in named.items() if v is not None})
    try:
        config = EmulatorConfig.from_env(allow_demo=False, data_dir=data_dir, **options)
    except EmulatorConfigError as exc:
        raise SystemExit(f"Error: emulator not started: {exc}") from None
    app = create_app(config)
    try:
        server = _Server((host, port), app)
    except OSError as exc:
        app.close()
        raise SystemExit(f"Error: emulator cannot listen on {host}:{port}: {exc}") from None
    try:
        print(f"emulator listening on http://{host}:{server.server_address[1]}", flush=True)
        print(banner(config), flush=True)
        server.serve_forever(poll_interval=0.2)
    finally:
        server.close_connections()
        server.server_close()
        app.close()


def banner(config: EmulatorConfig) -> str:
    """The second start-up line: where a client on a bare host lands, and the modes on."""
    modes = []
    if config.reply_variants is not None:
        modes.append(f"reply variants (seed {config.reply_variants})")
    if config.list_requires_queue_id:
        modes.append("GET /jobs requires queueId")
    return (
        f"default bucket {config.default_bucket} in {config.default_region} "
        "(requests to this address without a <bucket>.ci|cos.<region>.myqcloud.com Host land "
        "there)" + ("; " + ", ".join(modes) if modes else "")
    )
