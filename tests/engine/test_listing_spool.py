"""Prefix listings are spooled to a file as the pages arrive (engine.spool): the plan is the same
over many small pages, a service that does not sort is sorted, memory stays bounded, and the
spool files are gone after the run, errors included. Real HTTP to the emulator throughout; the
middleware only changes what the service sends (smaller pages, another order, an error)."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import sqlite3
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import EmulatorConfig, create_app
from reconciler.emulator.store import Store
from reconciler.engine.spool import list_prefix, spool_directory
from reconciler.engine.workflow import make_plan
from reconciler.errors import ApiError
from reconciler.model import BatchSpec, InputSelector, OutputSpec
from reconciler.plan.expand import batch_inputs
from reconciler.plan.observed import Listing, listing_line
from reconciler.plan.planner import Plan, PlanOptions
from reconciler.remote.client import CIClient
from reconciler.remote.credentials import Credentials
from reconciler.remote.inprocess import wsgi_transport
from tests.helpers.emulators import World
from tests.helpers.identity import SECRET_ID, SECRET_KEY
from tests.helpers.middleware import Middleware, Reply, error

PREFIX = "videos/2026/"
LISTS = "max-keys="  # every object listing the client sends names max-keys
CONTENTS = re.compile(rb"<Contents>.*?</Contents>", re.DOTALL)


def more_objects(world: World, n: int = 25) -> list[str]:
    keys = [f"{PREFIX}more/clip-{i:03d}.mp4" for i in range(n)]
    media = world.client()
    for key in keys:
        media.put_object(key, key.encode())
    return keys


def short_pages(size: int) -> Any:
    """A rewrite: the service answers every listing in pages of at most ``size`` objects
    (the request's max-keys is signed, so the reply is cut: IsTruncated and NextMarker say so)."""

    def rewrite(_environ: dict[str, Any], reply: Reply) -> Reply:
        status, headers, body = reply
        entries = CONTENTS.findall(body)
        if len(entries) <= size:
            return reply
        parts = CONTENTS.split(body)
        kept = parts[0] + b"".join(e + p for e, p in zip(entries[:size], parts[1:], strict=False))
        last = re.search(rb"<Key>(.*?)</Key>", entries[size - 1], re.DOTALL)
        assert last is not None
        kept += parts[-1]
        kept = re.sub(rb"<NextMarker>.*?</NextMarker>", b"", kept, flags=re.DOTALL)
        kept = re.sub(
            rb"<IsTruncated>\w+</IsTruncated>",
            b"<IsTruncated>true</IsTruncated><NextMarker>" + last.group(1) + b"</NextMarker>",
            kept,
        )
        return status, headers, kept

    return rewrite


def reversed_pages(_environ: dict[str, Any], reply: Reply) -> Reply:
    """The objects of each page in reverse key order (NextMarker still says where to go on)."""
    status, headers, body = reply
    entries = CONTENTS.findall(body)
    parts = CONTENTS.split(body)
    out = parts[0] + b"".join(e + p for e, p in zip(reversed(entries), parts[1:], strict=True))
    return status, headers, out


def plan_through(world: World, app: Any) -> Plan:
    settings = dataclasses.replace(world.settings, transport=wsgi_transport(app))
    return make_plan([world.manifests], settings, PlanOptions())[1]


def comparable(plan: Plan) -> tuple[Any, ...]:
    return plan.jobs, plan.listings, plan.warnings


def test_many_small_pages_give_the_same_plan(world: World) -> None:
    more_objects(world)
    whole = plan_through(world, world.app)
    mw = Middleware(world.app)
    paged = mw.add("GET /", short_pages(3), query=LISTS)
    assert comparable(plan_through(world, mw)) == comparable(whole)
    pin = next(p for p in whole.listings if p.prefix == PREFIX)
    assert paged.hits >= pin.count // 3 >= 9  # really paged: one request per 3 objects
    inputs = [j.request.input_object for j in whole.jobs if j.batch == pin.batch]
    assert len(inputs) >= 25 and inputs == sorted(inputs)


def test_a_service_that_does_not_sort_is_sorted(world: World, tmp_path: Path) -> None:
    keys = more_objects(world)
    whole = plan_through(world, world.app)
    mw = Middleware(world.app)
    mw.add("GET /", short_pages(4), query=LISTS)
    shuffled = mw.add("GET /", reversed_pages, query=LISTS)
    assert comparable(plan_through(world, mw)) == comparable(whole)
    assert shuffled.hits > 1
    client = CIClient(
        "media-1250000000", "ap-chongqing", Credentials(SECRET_ID, SECRET_KEY),
        endpoint="http://emulator.invalid", transport=wsgi_transport(mw),
    )  # fmt: skip
    with client, spool_directory() as spool:
        listing = list_prefix(client, PREFIX + "more/", spool, page=4, run=5)  # 5 runs merged
        pairs = list(listing.pairs())
        assert [k for k, _ in pairs] == keys and listing.count == len(keys)
        lines = "".join(listing_line(k, e) for k, e in pairs).encode()
        assert listing.digest == hashlib.sha256(lines).hexdigest()
        assert [p.name for p in spool.iterdir()] == [p.name for p in spool.glob("listing-*")]


def spool_dirs(root: Path) -> list[Path]:
    return sorted(root.glob("reconciler-listing-*"))


def test_spool_files_are_removed_after_a_run_and_after_an_error(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    more_objects(world)
    seen: list[list[str]] = []

    def look(environ: dict[str, Any]) -> Reply | None:
        if LISTS in environ.get("QUERY_STRING", ""):  # while listing: the spool is on disk
            seen.append([p.name for d in spool_dirs(root) for p in d.iterdir()])
        return None

    mw = Middleware(world.app, before=[look])
    mw.add("GET /", short_pages(5), query=LISTS)
    assert plan_through(world, mw).listings
    assert any(any(n.startswith("listing-") for n in names) for names in seen[1:])
    assert spool_dirs(root) == []
    mw.add("GET /", error("403 Forbidden", "AccessDenied", "no"), query="marker=")
    with pytest.raises(ApiError, match="AccessDenied"):
        plan_through(world, mw)  # the second page fails
    assert spool_dirs(root) == [] and list(root.iterdir()) == []


# --- memory: tracemalloc over a listing of N objects -------------------------------------------

N = 50_000
BUCKET = "media-1250000000"
#: Peak Python allocation allowed while listing N objects and walking them as the planner does.
#: Held in memory, the (key, ETag) pairs alone take about 10 MB (measured below); spooled, the
#: peak is one page of 1,000 objects in flight.
BOUND = 4 * 1024 * 1024


def seeded_emulator(data: Path, n: int) -> Any:
    """An emulator whose data file holds ``n`` objects under PREFIX (inserted into its table:
    ``n`` PUTs over HTTP would take minutes and measure the emulator)."""
    Store(str(data))  # the emulator's own schema
    db = sqlite3.connect(data / "emulator.sqlite3")
    rows = (
        (BUCKET, f"{PREFIX}clip-{i:06d}.mp4", b"", hashlib.md5(str(i).encode()).hexdigest(),
         "video/mp4", time.time(), "[]")
        for i in range(n)
    )  # fmt: skip
    with db:
        db.executemany("INSERT INTO objects VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    db.close()
    return create_app(EmulatorConfig(credentials={SECRET_ID: SECRET_KEY}, data_dir=str(data)))


def peak_of(work: Any) -> tuple[Any, int]:
    """(result of ``work()``, the peak of Python allocations above the start while it ran)."""
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        result = work()
        return result, tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


def test_listing_fifty_thousand_objects_stays_within_a_small_memory_bound(tmp_path: Path) -> None:
    (tmp_path / "emu").mkdir()
    app = seeded_emulator(tmp_path / "emu", N)
    batch = BatchSpec(
        "bulk", "t", InputSelector(prefix=PREFIX, objects=("a.mp4",)),
        OutputSpec("ap-chongqing", "out-1250000000", "f/{path}"),
    )  # fmt: skip
    client = CIClient(
        BUCKET, "ap-chongqing", Credentials(SECRET_ID, SECRET_KEY),
        endpoint="http://emulator.invalid", transport=wsgi_transport(app),
    )  # fmt: skip
    with client, spool_directory() as spool:
        list_prefix(client, PREFIX + "clip-00000", spool)  # warm: imports, caches, connection

        def streamed() -> tuple[int, Listing]:
            listing = list_prefix(client, PREFIX, spool)
            return sum(1 for _ in batch_inputs(batch, listing)), listing

        (walked, listing), peak = peak_of(streamed)
        held, in_memory = peak_of(lambda: list(listing.pairs()))  # what holding them would cost
    app.close()
    assert walked == N + 1 and len(held) == N == listing.count
    assert held[0] == (f"{PREFIX}clip-000000.mp4", hashlib.md5(b"0").hexdigest())
    assert peak < BOUND < in_memory, (peak, in_memory)
