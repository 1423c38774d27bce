"""Hostile replies at the command line: ``reconciler plan`` against a loopback server of ours
that answers every request with the same bad bytes. Always exit 1 with one ``Error:`` line, no
traceback, no secret, nothing followed elsewhere. (The codec and transport are fuzzed one level
down, in ``tests/remote``.)"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli.commands import cli
from tests.helpers.identity import ENV, SECRET_KEY
from tests.helpers.manifests import write_manifests
from tests.helpers.rawserver import BOMB, Handler, RawServer, reply

TOKEN = "HostileReplySessionToken0123456789"


def endless(conn: socket.socket, _request: bytes, stop: threading.Event) -> None:
    """A body with no declared length that never ends (until the client gives up)."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n<Response>")
    chunk = b"<NextToken>" + b"x" * 65536 + b"</NextToken>"
    try:
        while not stop.is_set():
            conn.sendall(chunk)
    except OSError:
        pass


def trickle(conn: socket.socket, _request: bytes, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n<Response>")
    try:
        while not stop.is_set():
            conn.sendall(b" ")
            time.sleep(0.5)
    except OSError:
        pass


HOSTILE: dict[str, Handler] = {
    "entity bomb": reply(BOMB),
    "external entity": reply(
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<Response><TemplateList><Name>&x;</Name></TemplateList></Response>"
    ),
    "dtd only": reply(b'<!DOCTYPE Response SYSTEM "http://127.0.0.1:9/x.dtd"><Response/>'),
    "non-utf8": reply(b"<Response><TotalCount>\xff\xfe</TotalCount></Response>"),
    "huge body": reply(b"<Response/>" + b" " * (64 * 2**20)),
    "endless body": endless,
    "garbage status line": lambda conn, _r, _s: conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\r\n"),
    "html 502": reply(b"<html><body><h1>502 Bad Gateway</h1></body></html>", "502 Bad Gateway"),
    "error xml with secret-looking text": reply(
        b"<Error><Code>AccessDenied</Code><Message>" + b"\x1b[31mred\n" * 50 + b"</Message>"
        b"<RequestId>r</RequestId></Error>", "403 Forbidden"
    ),
}  # fmt: skip


@pytest.fixture
def servers() -> Iterator[list[RawServer]]:
    started: list[RawServer] = []
    yield started
    for server in started:
        server.stop()


def plan(tmp_path: Path, url: str, *extra: str) -> Result:
    manifests = write_manifests(tmp_path / "m", 3)
    argv = [
        "--endpoint",
        url,
        "--state",
        str(tmp_path / "state.json"),
        *extra,
        "plan",
        str(manifests),
    ]
    env = {**ENV, "TENCENTCLOUD_SECURITY_TOKEN": TOKEN, "NO_COLOR": "1"}
    return CliRunner().invoke(cli, argv, env=env)


def assert_one_error_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and len(errors[0]) < 400, result.stderr
    assert SECRET_KEY not in result.output and TOKEN not in result.output
    assert "\x1b" not in errors[0]
    return errors[0]


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_plan_against_a_hostile_server_is_one_line(
    tmp_path: Path, servers: list[RawServer], case: str
) -> None:
    server = RawServer(HOSTILE[case])
    servers.append(server)
    started = time.monotonic()
    line = assert_one_error_line(plan(tmp_path, server.url))
    assert time.monotonic() - started < 60, line
    assert "root:" not in line and "lollol" not in line
    assert not (tmp_path / "state.json").exists(), "plan never writes the state"


def test_redirect_to_another_host_is_not_followed(tmp_path: Path, servers: list[RawServer]) -> None:
    elsewhere = RawServer(reply(b"<Response/>"))
    servers.append(elsewhere)
    other = elsewhere.url.replace("127.0.0.1", "localhost")
    server = RawServer(reply(b"", "302 Found", f"Location: {other}/template?steal=1"))
    servers.append(server)
    line = assert_one_error_line(plan(tmp_path, server.url))
    assert elsewhere.connections == 0 and elsewhere.requests == [], "a redirect was followed"
    assert "302" in line, line
    assert all(b"Authorization" in r or b"authorization" in r for r in server.requests)


def trickle_headers(conn: socket.socket, _request: bytes, stop: threading.Event) -> None:
    """A header one byte every half second: every single read succeeds."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    try:
        while not stop.is_set():
            conn.sendall(b"a")
            time.sleep(0.5)
    except OSError:
        pass


@pytest.mark.slow
@pytest.mark.parametrize("handler", [trickle, trickle_headers], ids=["body", "headers"])
def test_plan_against_a_trickling_server_times_out(
    tmp_path: Path, servers: list[RawServer], handler: Handler
) -> None:
    """The default --request-timeout (30 s): a call gives up after its budget of 60 s."""
    server = RawServer(handler)
    servers.append(server)
    started = time.monotonic()
    line = assert_one_error_line(plan(tmp_path, server.url))
    elapsed = time.monotonic() - started
    print(f"\ntrickling server ({handler.__name__}): {line} after {elapsed:.0f}s")
    assert server.url in line and "--request-timeout" in line, line
    assert elapsed < 2 * 30 + 20, elapsed
