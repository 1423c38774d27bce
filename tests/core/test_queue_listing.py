"""Job listings send ``queueId`` when configured or known, and work when the service needs it.

``strict`` is the world's emulator refusing ``GET /jobs`` without ``queueId`` (400
InvalidArgument), as the older DescribeMediaJobs pages say the service does. Until the emulator
has its own ``list_requires_queue_id`` knob a WSGI middleware does the refusing; the fixture
switches to the knob by itself once EmulatorConfig has it.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest

from reconciler.emulator import EmulatorConfig, create_app
from reconciler.engine.queues import QueueBook
from reconciler.engine.workflow import Settings, apply_manifests
from reconciler.errors import ApiError
from reconciler.plan.planner import PlanOptions
from reconciler.remote.client import CIClient
from reconciler.remote.credentials import Credentials
from reconciler.remote.inprocess import wsgi_transport
from reconciler.state.local.store import LocalStateStore as StateStore
from tests.helpers.emulators import World
from tests.helpers.identity import SECRET_ID, SECRET_KEY
from tests.helpers.middleware import Middleware, Reply, drop

KNOB = "list_requires_queue_id"


@dataclasses.dataclass
class Strict:
    app: Any
    mw: Middleware
    listings: list[dict[str, list[str]]]  # query of every GET /jobs


@pytest.fixture
def strict(world: World) -> Strict:
    knob = KNOB in {f.name for f in dataclasses.fields(EmulatorConfig)}
    if knob:  # the emulator refuses by itself; the middleware only records
        config = EmulatorConfig(credentials={SECRET_ID: SECRET_KEY}, clock=world.clock)
        world.app.close()
        world.app = create_app(dataclasses.replace(config, **{KNOB: True}))
        world.seed()
    mw = Middleware(world.app)
    listings: list[dict[str, list[str]]] = []

    def listing(environ: dict[str, Any]) -> Reply | None:
        if environ["REQUEST_METHOD"] == "GET" and environ["PATH_INFO"] == "/jobs":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            listings.append(query)
            if "queueId" not in query and not knob:
                body = (
                    b"<Error><Code>InvalidArgument</Code><Message>queueId is required"
                    b"</Message><RequestId>mw-1</RequestId></Error>"
                )
                return "400 Bad Request", [("Content-Type", "application/xml")], body
        return None

    mw.before.append(listing)
    return Strict(mw, mw, listings)


def _apply(world: World, app: Any) -> Any:
    settings = Settings(
        state_path=world.settings.state_path, env=world.settings.env, transport=wsgi_transport(app)
    )
    _, result = apply_manifests([world.manifests], settings, PlanOptions(), approve=lambda p: True)
    return result


def _client(world: World, app: Any) -> CIClient:
    """A client of the world's bucket whose requests go through ``app``."""
    client = CIClient(
        "media-1250000000", "ap-chongqing", Credentials(SECRET_ID, SECRET_KEY),
        endpoint="http://emulator.invalid", transport=wsgi_transport(app),
    )  # fmt: skip
    world.clients.append(client)
    return client


def _default_queue(world: World) -> str:
    return world.client().list_queues()[0].queue_id


def test_the_strict_listing_really_refuses_a_listing_without_queue(
    world: World, strict: Strict
) -> None:
    client = _client(world, strict.app)
    with pytest.raises(ApiError) as refused:
        client.list_jobs(input_object="videos/a.mp4")
    assert refused.value.status == 400 and refused.value.from_service
    queue = _default_queue(world)
    assert client.list_jobs(input_object="videos/a.mp4", queue_id=queue).jobs == ()


def test_lookup_lists_the_queues_when_the_service_needs_a_queue(
    world: World, strict: Strict
) -> None:
    strict.mw.add("POST /jobs", drop, times=4)  # every first submit is a lost reply
    result = _apply(world, strict.app)
    assert result.failures == [], result.failures
    jobs = world.jobs_on_service()
    assert len(jobs) == 4 and len({j.input_object for j in jobs}) == 4
    state = StateStore(world.settings.state_path).read()
    assert {r.job_id for r in state.jobs.values()} == {j.job_id for j in jobs}
    queue = _default_queue(world)
    with_queue = [q for q in strict.listings if q.get("queueId") == [queue]]
    assert with_queue, "the lookup found the jobs by listing with the bucket's queue"


def test_a_configured_queue_is_sent(world: World, strict: Strict) -> None:
    queue = _default_queue(world)
    path = world.manifests / "batches.yaml"
    path.write_text(path.read_text().replace("  jobLevel: 1", f"  jobLevel: 1\n  queueId: {queue}"))
    strict.mw.add("POST /jobs", drop, times=4)
    result = _apply(world, strict.app)
    assert result.failures == [], result.failures
    by_input = [q for q in strict.listings if "inputObject" in q]
    launch = [q for q in by_input if q["inputObject"][0].startswith("videos/launch/")]
    assert len(launch) >= 2 and all(q.get("queueId") == [queue] for q in launch)
    scans = [q for q in strict.listings if "inputObject" not in q]
    assert any(q.get("queueId") == [queue] for q in scans), "the pre-submit scan names it too"
    assert len(world.jobs_on_service()) == 4


def test_a_known_queue_is_sent_without_asking(world: World) -> None:
    client = world.client()
    book = QueueBook()
    since = datetime.now(UTC) - timedelta(hours=1)
    assert book.queues_for(client.bucket, None) == (None,)
    book.learn(client.bucket, "p123")
    assert book.queues_for(client.bucket, None) == ("p123",)
    assert book.queues_for(client.bucket, "pother") == ("pother",)
    assert book.jobs(client, None, input_object="videos/a.mp4", since=since) == []


def test_queue_listing_pages_and_remembers(world: World, strict: Strict) -> None:
    client = _client(world, strict.app)
    book = QueueBook()
    since = datetime.now(UTC) - timedelta(hours=1)
    assert book.jobs(client, None, input_object="videos/none.mp4", since=since) == []
    assert book.queues_for(client.bucket, None) == (_default_queue(world),)


def test_a_refusal_for_another_reason_comes_back(world: World) -> None:
    mw = Middleware(world.app)
    refusal = b"<Error><Code>InvalidArgument</Code><Message>bad time</Message></Error>"
    rule = mw.add("GET /jobs", lambda env, reply: ("400 Bad Request", [], refusal))
    queues = mw.add("GET /queue", lambda env, reply: reply)
    client = _client(world, mw)
    since = datetime.now(UTC) - timedelta(hours=1)
    with pytest.raises(ApiError, match="bad time"):
        QueueBook().jobs(client, None, input_object="videos/a.mp4", since=since)
    assert queues.hits == 1 and rule.hits == 2, "tried once without and once per queue"
