"""Our signer must reproduce the official PY SDK's Authorization header byte for byte.

Expected values are produced at test time by ``qcloud_cos.cos_auth.CosS3Auth`` with its clock
pinned; the case inputs live in data/sign_cases.json. Nothing expected is computed by our code.
"""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import pytest
import qcloud_cos.cos_auth as cos_auth
import requests
from qcloud_cos import CosConfig

from reconciler.remote.credentials import Credentials
from reconciler.remote.signer import (
    authorization,
    host_without_port,
    signable_headers,
    url_encode,
)

CASES = json.loads((Path(__file__).parent / "data" / "sign_cases.json").read_text("utf-8"))
NOW = 1_700_000_000
EXPIRE = 10000
SECRET_ID = "AKIDexampleSecretId0123456789"
SECRET_KEY = "exampleSecretKeyForSigningTests0"


def sdk_authorization(case: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> tuple[str, dict]:
    """Prepare the request with requests and sign it with the SDK's CosS3Auth (clock pinned)."""
    monkeypatch.setattr(cos_auth, "time", types.SimpleNamespace(time=lambda: NOW))
    conf = CosConfig(Region="ap-chongqing", SecretId=SECRET_ID, SecretKey=SECRET_KEY)
    url = f"https://{case['host']}/{quote(case['key'], safe='/-_.~')}"
    body = case["body"].encode("utf-8") if case["body"] is not None else None
    prepared = requests.Request(
        case["method"], url, headers=dict(case["headers"]), data=body
    ).prepare()
    signer = cos_auth.CosS3Auth(conf, case["key"], params=case["params"], expire=EXPIRE)
    signed = signer(prepared)
    headers = {k: v for k, v in signed.headers.items() if k != "Authorization"}
    return signed.headers["Authorization"], headers


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_signature_matches_official_sdk(case: dict[str, Any], monkeypatch: pytest.MonkeyPatch):
    expected, sent_headers = sdk_authorization(case, monkeypatch)
    chosen = signable_headers(sent_headers)
    chosen["host"] = urlparse(f"https://{case['host']}").hostname or ""
    ours = authorization(
        Credentials(SECRET_ID, SECRET_KEY, case.get("token")),
        case["method"],
        "/" + case["key"],
        case["params"].items(),
        chosen,
        now=NOW,
        expire=EXPIRE,
    )
    assert ours == expected


def test_changing_any_input_changes_the_signature():
    creds = Credentials(SECRET_ID, SECRET_KEY)
    base = dict(method="GET", path="/jobs", params=[("tag", "Snapshot")], headers={"host": "h"})

    def sign(**change: Any) -> str:
        args = {**base, **change}
        return authorization(
            creds, args["method"], args["path"], args["params"], args["headers"], now=NOW
        )

    reference = sign()
    assert sign(method="POST") != reference
    assert sign(path="/jobs/x") != reference
    assert sign(params=[("tag", "Snapshots")]) != reference
    assert sign(headers={"host": "other"}) != reference
    other_key = authorization(
        Credentials(SECRET_ID, SECRET_KEY + "x"),
        "GET",
        "/jobs",
        [("tag", "Snapshot")],
        {"host": "h"},
        now=NOW,
    )
    assert other_key != reference


def test_authorization_fields_and_window():
    value = authorization(
        Credentials("AKID", "key"),
        "get",
        "/",
        [("B", "1"), ("a", "")],
        {"Host": "x", "x-cos-meta": "v"},
        now=1000.9,
        expire=50,
    )
    fields = dict(part.split("=", 1) for part in value.split("&"))
    assert fields["q-sign-time"] == fields["q-key-time"] == "940;1050"
    assert fields["q-url-param-list"] == "a;b"
    assert fields["q-header-list"] == "host;x-cos-meta"
    assert fields["q-ak"] == "AKID"
    assert len(fields["q-signature"]) == 40


def test_url_encode_keeps_only_unreserved():
    assert url_encode("a b+c/~_.-*") == "a%20b%2Bc%2F~_.-%2A"
    assert url_encode("é") == "%C3%A9"


def test_signable_headers_policy():
    chosen = signable_headers(
        {
            "Host": "h",
            "Content-Type": "t",
            "Content-MD5": "m",
            "Content-Length": "1",
            "X-Cos-Security-Token": "s",
            "x-ci-security-token": "s",
            "User-Agent": "u",
            "Authorization": "no",
            "Accept": "*/*",
        }
    )
    assert sorted(k.lower() for k in chosen) == [
        "content-length",
        "content-md5",
        "content-type",
        "host",
        "x-ci-security-token",
        "x-cos-security-token",
    ]


@pytest.mark.parametrize(
    ("host", "bare"), [("a.b:9000", "a.b"), ("a.b", "a.b"), ("[::1]:80", "[::1]")]
)
def test_host_without_port(host: str, bare: str):
    assert host_without_port(host) == bare
