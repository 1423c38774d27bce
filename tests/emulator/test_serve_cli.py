"""``reconciler emulator serve`` as a user starts it: the default bucket and region, the banner
that names them, and the listing and variant switches."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.helpers.emulator_http import SID, SKEY, QSign

pytestmark = pytest.mark.served

BUCKET = "media-1250000001"
REGION = "ap-beijing"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENCENTCLOUD_")}
    return {**env, "TENCENTCLOUD_SECRET_ID": SID, "TENCENTCLOUD_SECRET_KEY": SKEY}


@pytest.fixture
def serve() -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _start(procs: list[subprocess.Popen[str]], *flags: str) -> tuple[str, str]:
    argv = [sys.executable, "-m", "reconciler", "emulator", "serve", "--port", "0", *flags]
    proc = subprocess.Popen(
        argv, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    procs.append(proc)
    assert proc.stdout is not None
    first = proc.stdout.readline().strip()
    assert first.startswith("emulator listening on http://127.0.0.1:"), first
    return first.rsplit(" ", 1)[1], proc.stdout.readline().strip()


def test_bucket_and_region_set_the_default_and_the_banner_names_them(
    serve: list[subprocess.Popen[str]],
) -> None:
    url, banner = _start(serve, "--bucket", BUCKET, "--region", REGION, "--list-requires-queue-id")
    assert f"default bucket {BUCKET} in {REGION}" in banner
    assert "GET /jobs requires queueId" in banner
    with httpx.Client(base_url=url, auth=QSign(time.time)) as http:
        assert http.put("/seed/a.txt", content=b"hello").status_code == 200
        named = {"Host": f"{BUCKET}.cos.{REGION}.myqcloud.com"}
        assert http.get("/seed/a.txt", headers=named).content == b"hello"
        other = {"Host": f"examplebucket-1250000000.cos.{REGION}.myqcloud.com"}
        assert http.get("/seed/a.txt", headers=other).status_code == 404
        body = (
            "<Request><Tag>Snapshot</Tag><Name>t</Name><Snapshot><Count>1</Count></Snapshot>"
            "</Request>"
        )
        assert http.post("/template", content=body.encode()).status_code == 200
        ci_host = {"Host": f"{BUCKET}.ci.{REGION}.myqcloud.com"}
        listed = http.get("/template", headers=ci_host).text
        assert "<TotalCount>1</TotalCount>" in listed and f"<BucketId>{BUCKET}</BucketId>" in listed
        refused = http.get("/jobs", params={"tag": "Snapshot"})
        assert refused.status_code == 400 and b"<Code>InvalidArgument</Code>" in refused.content


def test_reply_variants_switch(serve: list[subprocess.Popen[str]]) -> None:
    url, banner = _start(serve, "--reply-variants", "5")
    assert "default bucket examplebucket-1250000000 in ap-guangzhou" in banner
    assert "reply variants (seed 5)" in banner
    with httpx.Client(base_url=url, auth=QSign(time.time)) as http:
        bodies = [http.get("/jobs", params={"tag": "Snapshot"}).content for _ in range(40)]
    assert any(b"X-Emulator-Extra" in b for b in bodies)
    assert any(b"<JobsDetail></JobsDetail>" in b for b in bodies)


def test_bad_bucket_name_is_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "emulator", "serve", "--port", "0",
         "--bucket", "Not_A_Bucket"],
        env=_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "'Not_A_Bucket' is not a COS bucket name" in lines[0]
