"""One deadline per request (connect, headers, body) and one retry budget per call.

Real trickling servers on 127.0.0.1: headers one byte at a time, a stall after the status line,
slow 503s. The bounds checked are generous (seconds) next to the server's patience (10 s+), so
they fail only when the deadline does not hold at all.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli.commands import cli
from reconciler.cli.duration import parse_duration
from reconciler.errors import ApiError, NoReplyError, TransportError
from reconciler.model import JobOutput, JobRequest
from reconciler.remote.client import CIClient
from tests.helpers.rawserver import RawServer, quick_retry

Factory = Callable[..., CIClient]
JOB = JobRequest(
    input_object="videos/a.mp4", output=JobOutput(region="r", bucket="b"), template_id="t1abc"
)


def header_trickle(conn: socket.socket, _req: bytes, stop: threading.Event) -> None:
    """A status line, then a header one byte every 50 ms for 10 s: every read succeeds."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    end = time.monotonic() + 10
    while not stop.is_set() and time.monotonic() < end:
        conn.sendall(b"a")
        time.sleep(0.05)


def slow_503(conn: socket.socket, _req: bytes, stop: threading.Event) -> None:
    stop.wait(0.3)
    body = b"<Error><Code>ServiceUnavailable</Code><Message>busy</Message></Error>"
    head = f"HTTP/1.1 503 Service Unavailable\r\nContent-Length: {len(body)}\r\n"
    conn.sendall(head.encode() + b"Connection: close\r\n\r\n" + body)


def test_headers_trickled_byte_by_byte_end_at_the_deadline(
    raw_server: Callable[..., RawServer], make_client: Factory
) -> None:
    server = raw_server(header_trickle)
    client = make_client(endpoint=server.url, timeout=0.5, retry=quick_retry(5))
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        client.list_templates()
    took = time.monotonic() - started
    message = str(caught.value)
    assert message.startswith("list_templates: no complete reply from " + server.url), message
    assert "(--request-timeout)" in message and "\n" not in message
    assert took < 2.5, f"budget is 1 s, took {took:.1f} s"
    assert len(server.requests) <= 2, "the budget (twice the timeout) stops the retries"


def test_submit_with_trickled_headers_is_no_reply_naming_the_endpoint(
    raw_server: Callable[..., RawServer], make_client: Factory
) -> None:
    server = raw_server(header_trickle)
    client = make_client(endpoint=server.url, timeout=0.4)
    with pytest.raises(NoReplyError, match=f"no complete reply from {server.url}"):
        client.submit_job(JOB)
    assert len(server.requests) == 1


def test_retry_budget_stops_a_call_before_its_attempts_run_out(
    raw_server: Callable[..., RawServer], make_client: Factory
) -> None:
    server = raw_server(slow_503)
    client = make_client(endpoint=server.url, timeout=5.0, budget=0.8, retry=quick_retry(10))
    with pytest.raises((ApiError, TransportError)) as caught:
        client.list_templates()
    assert "retry budget of 0.8 s" in str(caught.value)
    assert 2 <= len(server.requests) <= 4, "10 attempts allowed, the budget ends it first"


def test_a_prompt_server_is_untouched_by_the_deadline(
    raw_server: Callable[..., RawServer], make_client: Factory
) -> None:
    body = b"<Response><TotalCount>0</TotalCount></Response>"

    def ok(conn: socket.socket, _req: bytes, _stop: threading.Event) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n"
        conn.sendall(head.encode() + body)

    server = raw_server(ok)
    client = make_client(endpoint=server.url, timeout=0.5)
    for _ in range(3):  # the same pooled connection, each with a fresh deadline
        assert client.list_templates().templates == ()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30", 30.0), ("2.5", 2.5), ("90s", 90.0), ("2m", 120.0), ("1m30s", 90.0), ("500ms", 0.5)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "5x", "1m 30s", "s"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_cli_plan_against_a_trickling_server_is_one_line_within_the_bound(
    raw_server: Callable[..., RawServer], tmp_path: Path
) -> None:
    server = raw_server(header_trickle)
    manifest = tmp_path / "m.yaml"
    manifest.write_text(
        "apiVersion: reconciler/v1\nkind: Target\nmetadata: {name: media}\n"
        "spec: {region: ap-chongqing, bucket: media-1250000000}\n---\n"
        "apiVersion: reconciler/v1\nkind: SnapshotTemplate\nmetadata: {name: t}\n"
        "spec: {mode: Interval, count: 3}\n"
    )
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "TENCENTCLOUD_SECRET_ID": "AKIDtrickle000000000000000000000000",
        "TENCENTCLOUD_SECRET_KEY": "trickleSecretKey0000000000000000",
    }
    argv = [sys.executable, "-m", "reconciler", "--endpoint", server.url]
    argv += ["--state", str(tmp_path / "s.json"), "--request-timeout", "700ms", "plan"]
    started = time.monotonic()
    done = subprocess.run([*argv, str(manifest)], env=env, capture_output=True, text=True)
    took = time.monotonic() - started
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert len(lines) == 1 and server.url in lines[0] and "--request-timeout" in lines[0], (
        done.stderr
    )
    assert "Traceback" not in done.stderr
    assert took < 8, f"budget 1.4 s (+ interpreter start), took {took:.1f} s"


@pytest.mark.parametrize(("value", "message"), [("abc", "not a duration"), ("0", "more than zero")])
def test_bad_request_timeout_from_the_environment_is_a_usage_error(
    value: str, message: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        cli, ["validate", str(tmp_path)], env={"RECONCILER_REQUEST_TIMEOUT": value}
    )
    assert result.exit_code == 1 and message in result.output, result.output


def test_a_stalled_connect_ends_within_the_budget(make_client: Factory) -> None:
    """A listener whose backlog is full never completes a handshake (or never answers it)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    fillers = []
    try:
        for _ in range(8):
            filler = socket.socket()
            filler.setblocking(False)
            try:
                filler.connect(listener.getsockname())
            except BlockingIOError:
                pass
            fillers.append(filler)
        client = make_client(endpoint=url, timeout=0.5, retry=quick_retry(5))
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:
            client.list_templates()
        took = time.monotonic() - started
        assert url in str(caught.value) and "(--request-timeout)" in str(caught.value)
        assert took < 3, f"budget is 1 s, took {took:.1f} s"
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
