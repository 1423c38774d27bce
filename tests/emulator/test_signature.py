"""Signature checks (ci-api.md §6.3): what is refused, with which code, and what passes."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.helpers.emulator_http import BUCKET, REGION, SID, T0, Local, q_sign

from .helpers import error

CI_HOST = f"{BUCKET}.ci.{REGION}.myqcloud.com"
COS_HOST = f"{BUCKET}.cos.{REGION}.myqcloud.com"


def _send(
    local: Local,
    method: str,
    host: str,
    path: str,
    params: list[tuple[str, str]],
    auth: str | None,
    extra: dict[str, str] | None = None,
) -> httpx.Response:
    headers = {"Host": host, **(extra or {})}
    if auth is not None:
        headers["Authorization"] = auth
    return local.http.request(
        method, f"http://{host}{path}", params=params, headers=headers, auth=None
    )


@pytest.fixture
def raw(make_local: Callable[..., Local]) -> Local:
    return make_local()


def test_valid_signature_with_and_without_port(raw: Local) -> None:
    for signed_host, wire_host in (
        (CI_HOST, CI_HOST),
        (CI_HOST, CI_HOST + ":8443"),
        (CI_HOST + ":8443", CI_HOST + ":8443"),
    ):
        auth = q_sign("GET", "/queue", [], {"host": signed_host}, now=T0)
        assert _send(raw, "GET", wire_host, "/queue", [], auth).status_code == 200


def test_unsigned_extra_param_is_allowed(raw: Local) -> None:
    auth = q_sign("GET", "/jobs", [("tag", "Snapshot")], {"host": CI_HOST}, now=T0)
    params = [("tag", "Snapshot"), ("size", "5")]  # size not signed, like PY's ?cancel
    assert _send(raw, "GET", CI_HOST, "/jobs", params, auth).status_code == 200


@pytest.mark.parametrize("case", ["path", "param", "header", "missing_param", "key"])
def test_tampering_is_refused(raw: Local, case: str) -> None:
    params = [("tag", "Snapshot"), ("size", "5")]
    headers = {"host": CI_HOST, "x-ci-trace": "a"}
    auth = q_sign(
        "GET",
        "/jobs",
        params,
        headers,
        now=T0,
        secret_key="wrong" if case == "key" else "emulatorTestsSecretKey0000000000",
    )
    path = "/jobs/jx" if case == "path" else "/jobs"
    if case == "param":
        params = [("tag", "Snapshot"), ("size", "6")]
    if case == "missing_param":
        params = [("tag", "Snapshot")]
    extra = {"x-ci-trace": "b" if case == "header" else "a"}
    resp = _send(raw, "GET", CI_HOST, path, params, auth, extra)
    assert error(resp)[:2] == (403, "AccessDenied")


def test_cos_codes(raw: Local) -> None:
    good = q_sign("GET", "/", [], {"host": COS_HOST}, now=T0, secret_key="wrong")
    status, code, _ = error(_send(raw, "GET", COS_HOST, "/", [], good))
    assert (status, code) == (403, "SignatureDoesNotMatch")
    assert error(_send(raw, "GET", COS_HOST, "/", [], None))[:2] == (403, "AccessDenied")
    body = _send(raw, "GET", COS_HOST, "/k", [], None).text
    assert f"<Resource>{COS_HOST}/k</Resource>" in body


def test_expired_unknown_missing_malformed(raw: Local) -> None:
    auth = q_sign("GET", "/queue", [], {"host": CI_HOST}, now=T0 - 3600)
    assert error(_send(raw, "GET", CI_HOST, "/queue", [], auth))[:2] == (401, "SignatureExpired")
    future = q_sign("GET", "/queue", [], {"host": CI_HOST}, now=T0 + 3600)
    assert error(_send(raw, "GET", CI_HOST, "/queue", [], future))[1] == "SignatureExpired"
    other = q_sign("GET", "/queue", [], {"host": CI_HOST}, now=T0).replace(SID, "AKIDother")
    assert error(_send(raw, "GET", CI_HOST, "/queue", [], other))[:2] == (401, "SecretidNotExist")
    assert error(_send(raw, "GET", CI_HOST, "/queue", [], None))[:2] == (
        401,
        "MissingAuthorization",
    )
    sha256 = auth.replace("q-sign-algorithm=sha1", "q-sign-algorithm=sha256")
    assert error(_send(raw, "GET", CI_HOST, "/queue", [], sha256))[1] == "InvalidAuthorization"
    body = _send(raw, "GET", CI_HOST, "/queue", [], None).text
    assert "<TraceId>" in body and "<Resource>" not in body


def test_signature_in_query_parameters(raw: Local) -> None:
    auth = q_sign("GET", "/queue", [], {"host": CI_HOST}, now=T0)
    params = [tuple(part.split("=", 1)) for part in auth.split("&")]
    resp = _send(raw, "GET", CI_HOST, "/queue", params, None)  # type: ignore[arg-type]
    assert resp.status_code == 200


def test_security_token_headers(make_local: Callable[..., Local]) -> None:
    local = make_local(security_token="tok")
    for header in ("x-cos-security-token", "x-ci-security-token"):
        auth = q_sign("GET", "/queue", [], {"host": CI_HOST, header: "tok"}, now=T0)
        assert _send(local, "GET", CI_HOST, "/queue", [], auth, {header: "tok"}).status_code == 200
    auth = q_sign("GET", "/queue", [], {"host": CI_HOST}, now=T0)
    assert error(_send(local, "GET", CI_HOST, "/queue", [], auth))[:2] == (
        401,
        "InvalidAuthorization",
    )
