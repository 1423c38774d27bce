"""GET /jobs as a client scanning a bucket uses it: pages of 100 over hundreds of jobs, with
and without inputObject, inside a creation-time window, and the queueId knob."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tests.helpers.emulator_http import T0, Local

from .helpers import error, job_body, jobs, parse

_CST = timezone(timedelta(hours=8))


def _stamp(t: float, tz: timezone = _CST) -> str:
    return datetime.fromtimestamp(t, tz).strftime("%Y-%m-%dT%H:%M:%S%z")


def _submit_many(local: Local, n: int) -> list[tuple[str, str, int]]:
    """``n`` jobs, ten per second, alternating inputs: (JobId, input, second offset)."""
    out = []
    for i in range(n):
        obj = "in/x.mp4" if i % 2 == 0 else "in/y.mp4"
        resp = local.xml("POST", "/jobs", job_body(obj))
        assert resp.status_code == 200, resp.text
        out.append((jobs(resp)[0].findtext("JobId") or "", obj, int(local.clock.now - T0)))
        if i % 10 == 9:
            local.clock.advance(1)
    return out


def _scan(local: Local, params: dict[str, str]) -> tuple[list[str], list[int]]:
    """Follow NextToken to the end; the job ids in reply order and each page's size."""
    ids: list[str] = []
    sizes: list[int] = []
    token = ""
    for _ in range(20):
        query = {**params, "size": "100", **({"nextToken": token} if token else {})}
        root = parse(local.http.get("/jobs", params=query))
        page = [j.findtext("JobId") or "" for j in root.findall("JobsDetail")]
        ids += page
        sizes.append(len(page))
        token = root.findtext("NextToken") or ""
        assert root.find("NextToken") is not None
        if not token:
            return ids, sizes
    raise AssertionError("NextToken never ran out")


@pytest.fixture
def many(make_local: Callable[..., Local]) -> tuple[Local, list[tuple[str, str, int]]]:
    local = make_local(job_seconds=10_000.0)
    return local, _submit_many(local, 250)


def test_scan_all_jobs_without_input_object(many: tuple[Local, list[Any]]) -> None:
    local, made = many
    ids, sizes = _scan(local, {"tag": "Snapshot"})
    assert sizes == [100, 100, 50]
    assert ids == [jid for jid, _, _ in reversed(made)]  # Desc by default
    asc, _ = _scan(local, {"tag": "Snapshot", "orderByTime": "Asc"})
    assert asc == [jid for jid, _, _ in made]


def test_scan_by_input_object(many: tuple[Local, list[Any]]) -> None:
    local, made = many
    ids, sizes = _scan(local, {"tag": "Snapshot", "inputObject": "in/y.mp4", "orderByTime": "Asc"})
    assert sizes == [100, 25]
    assert ids == [jid for jid, obj, _ in made if obj == "in/y.mp4"]


@pytest.mark.parametrize("input_object", [None, "in/x.mp4"])
def test_scan_creation_window_is_strict(
    many: tuple[Local, list[Any]], input_object: str | None
) -> None:
    """startCreationTime/endCreationTime are strict; any UTC offset names the same instant."""
    local, made = many
    params = {
        "tag": "Snapshot",
        "orderByTime": "Asc",
        "startCreationTime": _stamp(T0 + 5),
        "endCreationTime": _stamp(T0 + 20, UTC),  # +0000 form of the same kind of stamp
    }
    if input_object:
        params["inputObject"] = input_object
    ids, sizes = _scan(local, params)
    expected = [
        jid
        for jid, obj, sec in made
        if 5 < sec < 20 and (input_object is None or obj == input_object)
    ]
    assert ids == expected and len(expected) == (140 if input_object is None else 70)
    assert sum(sizes) == len(expected) and all(s <= 100 for s in sizes)


def test_scan_mixed_filters_and_states(many: tuple[Local, list[Any]]) -> None:
    local, made = many
    queue = parse(local.http.get("/queue")).findtext("QueueList/QueueId") or ""
    by_queue, _ = _scan(local, {"tag": "Snapshot", "queueId": queue, "states": "Submitted"})
    assert len(by_queue) == 250
    none, _ = _scan(local, {"tag": "Snapshot", "queueId": "pnot-this-queue"})
    assert none == []
    other_tag, _ = _scan(local, {"tag": "Transcode"})
    assert other_tag == []
    running, _ = _scan(local, {"tag": "Snapshot", "states": "Running,Success"})
    assert running == []
    stale = {"tag": "Snapshot", "nextToken": "bm90LWEtdG9rZW4="}
    assert error(local.http.get("/jobs", params=stale))[1] == "InvalidArgument"


def test_list_requires_queue_id_knob(make_local: Callable[..., Local]) -> None:
    strict = make_local(list_requires_queue_id=True)
    status, code, message = error(strict.http.get("/jobs", params={"tag": "Snapshot"}))
    assert (status, code) == (400, "InvalidArgument") and "queueId" in message
    queue = parse(strict.http.get("/queue")).findtext("QueueList/QueueId") or ""
    ok = strict.http.get("/jobs", params={"tag": "Snapshot", "queueId": queue})
    assert ok.status_code == 200 and parse(ok).find("NextToken") is not None
    lax = make_local()
    assert lax.http.get("/jobs", params={"tag": "Snapshot"}).status_code == 200
