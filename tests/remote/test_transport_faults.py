"""Misbehaving servers of our own on 127.0.0.1: clear errors, no hang, no credential leak."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.errors import ApiError, BadReplyError, NoReplyError, RemoteError, TransportError
from reconciler.model import JobOutput, JobRequest
from reconciler.remote.client import CIClient
from tests.helpers.rawserver import TEST_CREDS, RawServer, quick_retry

Factory = Callable[..., CIClient]
JOB = JobRequest(
    input_object="videos/a.mp4", output=JobOutput(region="r", bucket="b"), template_id="t1abc"
)
HTML_502 = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"
)


def response(status: str, body: bytes, *extra: str) -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def trickle(conn: socket.socket, _req: bytes, stop: threading.Event) -> None:
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 100000"
        b"\r\n\r\n<Response>"
    )
    end = time.monotonic() + 5
    while not stop.is_set() and time.monotonic() < end:
        conn.sendall(b" ")
        time.sleep(0.05)


def html_502(conn: socket.socket, _req: bytes, _stop: threading.Event) -> None:
    conn.sendall(response("502 Bad Gateway", HTML_502, "Content-Type: text/html"))


def hang_up(conn: socket.socket, _req: bytes, _stop: threading.Event) -> None:
    """Reads the whole request, then closes without a byte of reply."""


def truncated(conn: socket.socket, _req: bytes, _stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n<Response><JobsDetail>")


def test_trickling_server_hits_the_deadline(
    raw_server: Callable[..., RawServer], make_client: Factory
):
    server = raw_server(trickle)
    client = make_client(endpoint=server.url, timeout=0.4, retry=quick_retry(2))
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        client.list_templates()
    assert not isinstance(caught.value, NoReplyError)
    assert f"no complete reply from {server.url}" in str(caught.value)
    assert "(--request-timeout)" in str(caught.value)
    assert time.monotonic() - started < 3
    assert len(server.requests) == 2  # a safe call is retried


def test_trickling_reply_to_a_job_submit_is_no_reply(
    raw_server: Callable[..., RawServer], make_client: Factory
):
    server = raw_server(trickle)
    client = make_client(endpoint=server.url, timeout=0.4)
    with pytest.raises(NoReplyError, match="submit_job videos/a.mp4: no reply"):
        client.submit_job(JOB)
    assert len(server.requests) == 1  # never re-POSTed


def test_html_502_is_a_retried_api_error(
    raw_server: Callable[..., RawServer], make_client: Factory
):
    server = raw_server(html_502)
    client = make_client(endpoint=server.url)
    with pytest.raises(ApiError) as caught:
        client.describe_jobs(["j1", "j2"])
    err = caught.value
    assert err.status == 502 and "HTML page" in err.message and "502 Bad Gateway" in err.message
    assert "\n" not in str(err)
    assert len(server.requests) == 3


def test_html_502_to_submit_is_not_retried(
    raw_server: Callable[..., RawServer], make_client: Factory
):
    server = raw_server(html_502)
    with pytest.raises(ApiError, match=r"HTTP 502"):
        make_client(endpoint=server.url).submit_job(JOB)
    assert len(server.requests) == 1


def test_redirect_is_never_followed(raw_server: Callable[..., RawServer], make_client: Factory):
    elsewhere = raw_server(html_502)
    redirect = response("302 Found", b"", f"Location: {elsewhere.url}/steal")

    def redirector(conn: socket.socket, _req: bytes, _stop: threading.Event) -> None:
        conn.sendall(redirect)

    server = raw_server(redirector)
    client = make_client(endpoint=server.url)
    with pytest.raises(ApiError) as caught:
        client.list_jobs()
    assert caught.value.status == 302
    assert len(server.requests) == 1 and b"Authorization: q-sign" in server.requests[0]
    time.sleep(0.1)
    assert elsewhere.connections == 0 and elsewhere.requests == []


def test_hang_up_after_request(raw_server: Callable[..., RawServer], make_client: Factory):
    server = raw_server(hang_up)
    client = make_client(endpoint=server.url)
    with pytest.raises(NoReplyError):
        client.submit_job(JOB)
    assert len(server.requests) == 1
    with pytest.raises(TransportError) as caught:
        client.list_queues()
    assert not isinstance(caught.value, NoReplyError)
    assert len(server.requests) == 4


def test_truncated_body(raw_server: Callable[..., RawServer], make_client: Factory):
    server = raw_server(truncated)
    client = make_client(endpoint=server.url)
    with pytest.raises(NoReplyError, match="cut short"):
        client.submit_job(JOB)
    assert len(server.requests) == 1


def test_connection_refused_is_retried_even_for_post(make_client: Factory):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    retry = quick_retry(3)
    client = make_client(endpoint=f"http://127.0.0.1:{port}", retry=retry)
    with pytest.raises(TransportError, match="cannot connect") as caught:
        client.submit_job(JOB)
    assert not isinstance(caught.value, NoReplyError)
    assert len(retry.sleep.calls) == 2  # type: ignore[attr-defined]


def test_wire_request_is_signed_for_the_bucket_host(
    raw_server: Callable[..., RawServer], make_client: Factory
):
    server = raw_server(hang_up)
    client = make_client(endpoint=server.url, retry=quick_retry(1))
    with pytest.raises(TransportError):
        client.describe_jobs(["ja", "jb"])
    head = server.requests[0].decode()
    assert head.startswith("GET /jobs/ja%2Cjb HTTP/1.1")
    assert "Host: media-1250000000.ci.ap-chongqing.myqcloud.com\r\n" in head
    assert "q-header-list=host&" in head
    assert "testSecretKey" not in head


def test_oversized_reply_is_refused(raw_server: Callable[..., RawServer], make_client: Factory):
    body = b"<Response>" + b" " * 5000 + b"</Response>"

    def big(conn: socket.socket, _req: bytes, _stop: threading.Event) -> None:
        conn.sendall(response("200 OK", body))

    server = raw_server(big)
    client = make_client(endpoint=server.url, max_reply_bytes=1000)
    with pytest.raises(BadReplyError, match="exceeds 1000"):
        client.list_jobs()
    assert len(server.requests) == 1


# ---------------------------------------------------------------- scripted service (MockTransport)


class Script:
    """A fake *service* (not a fake client): answers each request from a list of replies."""

    def __init__(self, *replies: httpx.Response | Exception) -> None:
        self.replies = list(replies)
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply


def error(status: int, code: str) -> httpx.Response:
    body = f"<Error><Code>{code}</Code><Message>m</Message><RequestId>r-{code}</RequestId></Error>"
    return httpx.Response(status, content=body.encode(), headers={"x-ci-request-id": "h"})


SUBMITTED = httpx.Response(
    200,
    content=(
        b"<Response><JobsDetail><JobId>j1</JobId><State>Submitted</State>"
        b"<Input><Object>videos/a.mp4</Object></Input></JobsDetail></Response>"
    ),
)


@pytest.fixture
def scripted(make_client: Factory) -> Iterator[Callable[[Script], CIClient]]:
    def make(script: Script) -> CIClient:
        return make_client(transport=httpx.MockTransport(script))

    yield make


def test_post_job_retries_slowdown_but_not_5xx(scripted: Callable[[Script], CIClient]):
    script = Script(error(503, "SlowDown"), error(503, "SlowDown"), SUBMITTED)
    assert scripted(script).submit_job(JOB).job_id == "j1"
    assert len(script.seen) == 3
    auths = {r.headers["Authorization"] for r in script.seen}
    assert len(auths) >= 1
    script = Script(error(500, "InternalError"), SUBMITTED)
    with pytest.raises(ApiError) as caught:
        scripted(script).submit_job(JOB)
    assert (caught.value.status, caught.value.code, caught.value.request_id) == (
        500,
        "InternalError",
        "r-InternalError",
    )
    assert len(script.seen) == 1


def test_safe_calls_retry_5xx_then_give_up(scripted: Callable[[Script], CIClient]):
    script = Script(error(500, "InternalError"), httpx.Response(200, content=b"<Response/>"))
    assert scripted(script).list_queues() == []
    assert len(script.seen) == 2
    script = Script(error(503, "ServiceUnavailable"))
    with pytest.raises(ApiError, match="ServiceUnavailable"):
        scripted(script).list_queues()
    assert len(script.seen) == 3


def test_4xx_is_not_retried(scripted: Callable[[Script], CIClient]):
    script = Script(error(400, "InvalidArgument"))
    with pytest.raises(ApiError, match="get_templates: InvalidArgument"):
        scripted(script).get_templates(["t1a"])
    assert len(script.seen) == 1


def test_head_404_is_none_and_token_headers(make_client: Factory):
    from reconciler.remote.credentials import Credentials

    script = Script(httpx.Response(404))
    client = CIClient(
        "b-1",
        "ap-x",
        Credentials("AKID", "k", "tok"),
        transport=httpx.MockTransport(script),
        retry=quick_retry(),
    )
    try:
        assert client.head_object("videos/a b.mp4") is None
        seen = script.seen[0]
        assert seen.headers["x-cos-security-token"] == "tok"
        assert seen.headers["Host"] == "b-1.cos.ap-x.myqcloud.com"
        assert "x-cos-security-token" in seen.headers["Authorization"]
        assert seen.url.raw_path == b"/videos/a%20b.mp4"
        script.replies = [SUBMITTED]
        client.submit_job(JOB)
        post = script.seen[1]
        assert post.headers["x-ci-security-token"] == "tok"
        assert (
            "q-header-list=content-length;content-md5;content-type;host;x-ci-security-token"
            in post.headers["Authorization"]
        )
    finally:
        client.close()


def test_wsgi_app_cutting_the_connection(make_client: Factory):
    calls: list[str] = []

    def app(environ: dict[str, object], start_response: Callable[..., object]) -> list[bytes]:
        calls.append(str(environ["REQUEST_METHOD"]))
        raise ConnectionAbortedError("dropped after commit")

    client = make_client(transport=httpx.WSGITransport(app=app))
    with pytest.raises(NoReplyError):
        client.submit_job(JOB)
    with pytest.raises(TransportError):
        client.list_objects()
    assert calls == ["POST", "GET", "GET", "GET"]


def test_argument_checks(make_client: Factory):
    client = make_client(transport=httpx.MockTransport(Script(SUBMITTED)))
    with pytest.raises(ValueError, match="at most 100"):
        client.describe_jobs([f"j{i}" for i in range(101)])
    with pytest.raises(ValueError):
        client.describe_jobs(["a/b"])
    with pytest.raises(ValueError):
        client.list_jobs(size=0)
    assert client.describe_jobs([]).jobs == ()


def test_default_endpoints_and_query_encoding(make_client: Factory):
    script = Script(
        httpx.Response(200, content=b"<Response/>"),
        httpx.Response(200, content=b"<ListBucketResult/>"),
    )
    client = make_client(transport=httpx.MockTransport(script))
    client.list_jobs(input_object="v/a b+c.mp4", states=["Submitted", "Running"])
    client.list_objects(prefix="视频/")
    jobs, objects = script.seen
    assert str(jobs.url).startswith("https://media-1250000000.ci.ap-chongqing.myqcloud.com/jobs?")
    assert b"inputObject=v%2Fa%20b%2Bc.mp4" in jobs.url.query
    assert b"states=Submitted%2CRunning" in jobs.url.query
    assert (
        "q-url-param-list=inputobject;orderbytime;size;states;tag&" in jobs.headers["Authorization"]
    )
    assert objects.url.host == "media-1250000000.cos.ap-chongqing.myqcloud.com"
    assert objects.url.query == b"prefix=%E8%A7%86%E9%A2%91%2F&max-keys=1000"


@settings(max_examples=150, deadline=None)
@given(
    status=st.sampled_from([200, 200, 204, 301, 400, 404, 500, 503]),
    body=st.one_of(
        st.binary(max_size=200),
        st.sampled_from(
            [
                b"<Response><JobsDetail><JobId>j</JobId></JobsDetail></Response>",
                b"<Error><Code>SlowDown</Code></Error>",
                b"<!DOCTYPE x><Response/>",
            ]
        ),
    ),
)
def test_fuzz_any_reply_is_a_remote_error(status: int, body: bytes):
    transport = httpx.MockTransport(lambda _r: httpx.Response(status, content=body))
    with CIClient("b-1", "r", TEST_CREDS, transport=transport, retry=quick_retry(2)) as client:
        for call in (
            client.list_jobs,
            client.list_queues,
            client.list_templates,
            lambda: client.describe_jobs(["j"]),
            lambda: client.submit_job(JOB),
        ):
            try:
                call()
            except RemoteError as exc:
                assert "\n" not in str(exc)


def test_stall_inside_the_headers(raw_server: Callable[..., RawServer], make_client: Factory):
    def stall(conn: socket.socket, _req: bytes, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Ty")
        stop.wait(3)

    server = raw_server(stall)
    client = make_client(endpoint=server.url, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(NoReplyError):
        client.submit_job(JOB)
    assert time.monotonic() - started < 2 and len(server.requests) == 1
