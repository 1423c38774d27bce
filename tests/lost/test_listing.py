"""The look-up's listing: time spans paged concurrently give exactly the plain listing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reconciler.engine.lookup import list_since
from reconciler.model import JobOutput, JobRequest, SnapshotSettings
from reconciler.remote.client import CIClient
from reconciler.remote.credentials import Credentials
from reconciler.remote.inprocess import wsgi_transport
from reconciler.remote.ratelimit import RateLimiter
from tests.helpers.checks import list_all_jobs
from tests.helpers.emulators import World
from tests.helpers.identity import SECRET_ID, SECRET_KEY


def test_sliced_listing_equals_the_plain_one(world: World) -> None:
    client = CIClient(
        "media-1250000000", "ap-chongqing", Credentials(SECRET_ID, SECRET_KEY),
        endpoint="http://emulator.invalid", transport=wsgi_transport(world.app),
        submit_limiter=RateLimiter(rate=1e6),
    )  # fmt: skip
    world.clients.append(client)
    start = datetime.fromtimestamp(world.clock.now, UTC)
    for i in range(330):
        request = JobRequest(
            input_object=f"in/{i}.mp4",
            output=JobOutput("ap-chongqing", "media-1250000000", f"out/{i}/f-${{Number}}.jpg"),
            snapshot=SnapshotSettings(count=1),
        )
        client.submit_job(request)
        if i % 7 == 0:
            world.clock.advance(1 + i % 3)  # several jobs per second, and gaps
    everything = [j.job_id for j in list_all_jobs(client)]
    for since in (start - timedelta(seconds=5), start - timedelta(days=7)):  # spread, clustered
        found, requests = list_since(client, since, workers=6)
        assert [j.job_id for j in found] == everything  # same jobs, same newest-first order
        assert len(everything) == 330 and 4 <= requests <= 4 + 2 * 6 + 25, requests
    few, one = list_since(client, datetime.fromtimestamp(world.clock.now - 10, UTC))
    assert one == 1 and 0 < len(few) < 100
