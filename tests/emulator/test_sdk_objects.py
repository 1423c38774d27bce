"""What users send to seed their own test data, through the official SDK (qcloud_cos):
chunked uploads (empty file, stream, generator), stored object headers, ``response-*``
overrides on GET, and ``delimiter`` listings with CommonPrefixes."""

from __future__ import annotations

import gzip
import io
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import EmulatorConfig
from reconciler.emulator.backend import Backend
from reconciler.emulator.server import RunningServer
from tests.helpers.emulator_http import BUCKET, COS, SID, SKEY, Local, q_sign


def _read(sdk: Any, key: str, **kw: Any) -> tuple[bytes, dict[str, str]]:
    got = sdk.get_object(Bucket=BUCKET, Key=key, **kw)
    body: bytes = got["Body"].get_raw_stream().read()
    return body, {k.lower(): v for k, v in got.items() if k != "Body"}


@pytest.mark.served
def test_chunked_uploads_verify_and_store_exact_bytes(
    served: RunningServer, make_sdk: Callable[..., Any], tmp_path: Path
) -> None:
    """The SDK sends these with Transfer-Encoding: chunked and signs that header."""
    sdk = make_sdk(served)
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    with empty.open("rb") as fh:
        sdk.put_object(Bucket=BUCKET, Key="seed/empty.bin", Body=fh)
    assert _read(sdk, "seed/empty.bin")[0] == b""
    sdk.put_object(Bucket=BUCKET, Key="seed/empty-stream", Body=io.BytesIO(b""))
    assert _read(sdk, "seed/empty-stream")[0] == b""

    payload = os.urandom(300_000)
    stream = tmp_path / "video.bin"
    stream.write_bytes(payload)
    with stream.open("rb") as fh:
        put = sdk.put_object(Bucket=BUCKET, Key="seed/video.mp4", Body=fh)
    assert _read(sdk, "seed/video.mp4")[0] == payload
    assert put["ETag"].strip('"') == __import__("hashlib").md5(payload).hexdigest()

    def pieces() -> Iterator[bytes]:
        for i in range(50):
            yield bytes([i]) * (1000 + i)

    sdk.put_object(Bucket=BUCKET, Key="seed/generated", Body=pieces())
    assert _read(sdk, "seed/generated")[0] == b"".join(pieces())
    assert int(sdk.head_object(Bucket=BUCKET, Key="seed/generated")["Content-Length"]) == sum(
        1000 + i for i in range(50)
    )


@pytest.mark.served
def test_tampered_chunked_upload_still_refused(
    served: RunningServer, make_sdk: Callable[..., Any]
) -> None:
    """Keeping Transfer-Encoding in the check must not make the signature lax."""
    from qcloud_cos import CosServiceError

    bad = make_sdk(served, secret_key="not-the-key")
    with pytest.raises(CosServiceError) as err:
        bad.put_object(Bucket=BUCKET, Key="seed/x", Body=io.BytesIO(b""))
    assert err.value.get_error_code() == "SignatureDoesNotMatch"


@pytest.mark.served
def test_put_keeps_headers_and_metadata(
    served: RunningServer, make_sdk: Callable[..., Any]
) -> None:
    sdk = make_sdk(served)
    body = gzip.compress(b"hello " * 100)
    sdk.put_object(
        Bucket=BUCKET,
        Key="seed/page.html",
        Body=body,
        ContentType="text/html",
        CacheControl="max-age=600",
        ContentDisposition='attachment; filename="page.html"',
        ContentEncoding="gzip",
        ContentLanguage="zh-CN",
        Expires="Wed, 21 Oct 2037 07:28:00 GMT",
        Metadata={"x-cos-meta-owner": "team-a", "x-cos-meta-run": "42"},
    )
    expected = {
        "content-type": "text/html",
        "cache-control": "max-age=600",
        "content-disposition": 'attachment; filename="page.html"',
        "content-encoding": "gzip",
        "content-language": "zh-CN",
        "expires": "Wed, 21 Oct 2037 07:28:00 GMT",
        "x-cos-meta-owner": "team-a",
        "x-cos-meta-run": "42",
    }
    head = {k.lower(): v for k, v in sdk.head_object(Bucket=BUCKET, Key="seed/page.html").items()}
    got, headers = _read(sdk, "seed/page.html")
    assert got == body  # the raw bytes, not decoded
    for name, value in expected.items():
        assert head[name] == value, name
        assert headers[name] == value, name
    sdk.put_object(Bucket=BUCKET, Key="seed/page.html", Body=b"plain")
    head = {k.lower(): v for k, v in sdk.head_object(Bucket=BUCKET, Key="seed/page.html").items()}
    assert "cache-control" not in head and "x-cos-meta-owner" not in head  # a PUT replaces all


@pytest.mark.served
def test_get_honours_response_overrides(
    served: RunningServer, make_sdk: Callable[..., Any]
) -> None:
    sdk = make_sdk(served)
    sdk.put_object(
        Bucket=BUCKET,
        Key="seed/a.bin",
        Body=b"abc",
        ContentType="video/mp4",
        CacheControl="no-cache",
    )
    body, headers = _read(
        sdk,
        "seed/a.bin",
        ResponseContentType="application/octet-stream",
        ResponseContentDisposition="attachment; filename=a.bin",
        ResponseCacheControl="max-age=5",
        ResponseContentLanguage="en",
        ResponseExpires="Thu, 01 Jan 2037 00:00:00 GMT",
        ResponseContentEncoding="identity",
    )
    assert body == b"abc"
    assert headers["content-type"] == "application/octet-stream"
    assert headers["content-disposition"] == "attachment; filename=a.bin"
    assert headers["cache-control"] == "max-age=5"
    assert headers["content-language"] == "en"
    assert headers["expires"] == "Thu, 01 Jan 2037 00:00:00 GMT"
    assert headers["content-encoding"] == "identity"
    _, plain = _read(sdk, "seed/a.bin")  # overrides are for that one download only
    assert plain["content-type"] == "video/mp4" and plain["cache-control"] == "no-cache"
    assert "content-disposition" not in plain


@pytest.mark.served
def test_delimiter_listing_returns_common_prefixes(
    served: RunningServer, make_sdk: Callable[..., Any]
) -> None:
    sdk = make_sdk(served)
    keys = ["top.txt", "a/1", "a/2", "a/b/3", "b/1", "c d/1", "中文/1", "z.txt"]
    for key in keys:
        sdk.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    root = sdk.list_objects(Bucket=BUCKET, Delimiter="/")
    assert [p["Prefix"] for p in root["CommonPrefixes"]] == ["a/", "b/", "c d/", "中文/"]
    assert [c["Key"] for c in root["Contents"]] == ["top.txt", "z.txt"]
    assert root["Delimiter"] == "/" and root["IsTruncated"] == "false"
    inner = sdk.list_objects(Bucket=BUCKET, Prefix="a/", Delimiter="/")
    assert [p["Prefix"] for p in inner["CommonPrefixes"]] == ["a/b/"]
    assert [c["Key"] for c in inner["Contents"]] == ["a/1", "a/2"]
    flat = sdk.list_objects(Bucket=BUCKET, Prefix="a/")
    assert "CommonPrefixes" not in flat and len(flat["Contents"]) == 3

    seen: list[str] = []
    marker = ""
    for _ in range(10):  # pages of two entries: common prefixes count as one each
        page = sdk.list_objects(Bucket=BUCKET, Delimiter="/", MaxKeys=2, Marker=marker)
        entries = [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        entries += [c["Key"] for c in page.get("Contents", [])]
        assert len(entries) <= 2
        seen += entries
        if page["IsTruncated"] == "false":
            break
        marker = page["NextMarker"]
    assert sorted(seen) == sorted(["a/", "b/", "c d/", "中文/", "top.txt", "z.txt"])
    assert len(seen) == len(set(seen))


@pytest.mark.served
def test_delimiter_listing_raw_xml_and_url_encoding(
    served: RunningServer, make_sdk: Callable[..., Any]
) -> None:
    sdk = make_sdk(served)
    for key in ("p/x y/1", "p/x y/2", "p/k"):
        sdk.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    page = sdk.list_objects(Bucket=BUCKET, Prefix="p/", Delimiter="/", EncodingType="url")
    assert page["EncodingType"] == "url"
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["p/x%20y/"]
    assert [c["Key"] for c in page["Contents"]] == ["p/k"]


def test_old_data_file_gains_the_headers_column(tmp_path: Path) -> None:
    """A data directory written before object headers were kept still opens and serves."""
    db = sqlite3.connect(tmp_path / "emulator.sqlite3")
    db.execute(
        "CREATE TABLE objects (bucket TEXT NOT NULL, key TEXT NOT NULL, data BLOB NOT NULL, "
        "etag TEXT NOT NULL, content_type TEXT NOT NULL, modified REAL NOT NULL, "
        "PRIMARY KEY (bucket, key))"
    )
    db.execute("INSERT INTO objects VALUES ('b', 'k', x'6869', '\"e\"', 'text/plain', 1.0)")
    db.commit()
    db.close()
    backend = Backend(EmulatorConfig(credentials={SID: SKEY}, data_dir=str(tmp_path)))
    try:
        row = backend.get_object("b", "k")
        assert bytes(row["data"]) == b"hi" and row["headers"] == []
        backend.put_object("b", "k2", b"x", "text/plain", headers=[("Cache-Control", "no-store")])
        assert backend.get_object("b", "k2")["headers"] == [("Cache-Control", "no-store")]
    finally:
        backend.close()


def test_chunked_upload_in_process_with_signed_transfer_encoding(local: Local) -> None:
    """Behind httpx's WSGITransport the de-chunked body has no length: it is read to its end."""
    host = COS[len("http://") :]
    signed = {"host": host, "transfer-encoding": "chunked"}
    auth = q_sign("PUT", "/seed/gen", [], signed, now=local.clock())
    resp = local.http.put(
        f"{COS}/seed/gen",
        content=iter([b"ab", b"", b"cd" * 1000]),
        headers={"Authorization": auth},
    )
    assert resp.request.headers["transfer-encoding"] == "chunked"
    assert resp.status_code == 200, resp.text
    assert local.http.get(f"{COS}/seed/gen").content == b"ab" + b"cd" * 1000
    tampered = q_sign(
        "PUT", "/seed/gen", [], {**signed, "transfer-encoding": "x"}, now=local.clock()
    )
    refused = local.http.put(
        f"{COS}/seed/gen", content=iter([b"zz"]), headers={"Authorization": tampered}
    )
    assert refused.status_code == 403 and b"SignatureDoesNotMatch" in refused.content
