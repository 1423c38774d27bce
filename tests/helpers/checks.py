"""Checks on the service and the state: how many jobs exist per key, and does the state agree."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from reconciler.errors import ApiError
from reconciler.model import JobDetail
from reconciler.plan.adopt import marker_of
from reconciler.remote.client import CIClient
from reconciler.remote.credentials import Credentials
from reconciler.state.local.store import LocalStateStore
from tests.helpers.identity import SECRET_ID, SECRET_KEY
from tests.helpers.manifests import BUCKET


def list_all_jobs(client: CIClient) -> list[JobDetail]:
    """Every job of the client's bucket, listed over the API page by page (queue by queue when
    the emulator is told to refuse listings that name no queue)."""
    queues: list[str | None] = [None]
    if client.list_queues() and _needs_queue(client):
        queues = [q.queue_id for q in client.list_queues()]
    jobs: list[JobDetail] = []
    for queue in queues:
        token = ""
        while True:
            page = client.list_jobs(size=100, next_token=token, queue_id=queue)
            jobs.extend(page.jobs)
            if not page.next_token or not page.jobs:
                break
            token = page.next_token
    return jobs


def _needs_queue(client: CIClient) -> bool:
    try:
        client.list_jobs(size=1)
    except ApiError as error:
        return error.status == 400
    return False


def jobs_on_service(url: str) -> list[JobDetail]:
    """Every job of write_manifests' bucket on the served emulator at ``url``."""
    creds = Credentials(SECRET_ID, SECRET_KEY)
    with CIClient(BUCKET, "ap-chongqing", creds, endpoint=url) as c:
        return list_all_jobs(c)


def assert_exactly_once(url: str, state_path: Path, n: int) -> None:
    """One job per input object on the service, ``n`` of them, and the state records each."""
    jobs = jobs_on_service(url)
    per_key = Counter(j.input_object for j in jobs)
    assert len(per_key) == n and set(per_key.values()) == {1}, per_key.most_common(3)
    state = LocalStateStore(state_path).read()
    recorded = {r.input_object: r.job_id for r in state.jobs.values()}
    assert recorded == {j.input_object: j.job_id for j in jobs}


def per_submission(url: str) -> Counter[tuple[str, str | None]]:
    """Jobs on the service per (input object, marker): one marker per (key, fingerprint)."""
    return Counter((j.input_object, marker_of(j.user_data)) for j in jobs_on_service(url))


def assert_one_per_key(url: str, n: int, state: Path | None = None) -> None:
    """Exactly one job per (key, fingerprint), ``n`` of them; ``state`` (local) records them."""
    counts = per_submission(url)
    assert len(counts) == n and set(counts.values()) == {1}, counts.most_common(3)
    if state is not None:
        recorded = {r.input_object: r.job_id for r in LocalStateStore(state).read().jobs.values()}
        assert recorded == {j.input_object: j.job_id for j in jobs_on_service(url)}
