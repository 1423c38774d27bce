"""Which ``queueId`` a job listing sends, whichever way the service turns out to need it.

Older DescribeMediaJobs pages mark ``queueId`` required, the newest one optional (ci-api.md
§3.5, open question 2). So a listing sends the queue when one is configured (the batch's
``queueId``) or known: learned from a job's ``<QueueId>`` (a job submitted without a queue
lands in the bucket's default one) or from ``GET /queue``. With nothing known it is sent without
one; should the service refuse that (any 400: the wording is not documented), the bucket's
queues are listed and the listing is repeated per queue (and remembered for the rest of the
run). A refusal for another reason comes back from the per-queue listing as it was.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TypeVar

from reconciler.errors import ApiError
from reconciler.model import JobDetail
from reconciler.remote import RemoteReader

QUEUE_PAGE = 100
T = TypeVar("T")
MAX_QUEUE_PAGES = 50


def needs_queue(error: ApiError) -> bool:
    """Could this refusal of a listing sent without ``queueId`` mean "name a queue"?

    Any 400 from the service counts (the wording of the refusal is not documented): the
    listing is then repeated per queue, and a refusal for another reason simply comes back.
    """
    return error.status == 400 and error.from_service


class QueueBook:
    """Queue IDs per bucket learned during one run; shared by apply's worker threads."""

    def __init__(self) -> None:
        self._default: dict[str, str] = {}
        self._all: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def learn(self, bucket: str, queue_id: str) -> None:
        """``queue_id`` is where a job submitted without a queue went: the default queue."""
        if queue_id:
            with self._lock:
                self._default.setdefault(bucket, queue_id)

    def queues_for(self, bucket: str, configured: str | None) -> tuple[str | None, ...]:
        """The queues to list for a job of ``configured`` queue (None: the default queue)."""
        if configured:
            return (configured,)
        with self._lock:
            if bucket in self._default:
                return (self._default[bucket],)
            return self._all.get(bucket) or (None,)

    def all_queues(self, reader: RemoteReader) -> tuple[str, ...]:
        """Every queue of the bucket (``GET /queue``, all pages), remembered."""
        found: list[str] = []
        for number in range(1, MAX_QUEUE_PAGES + 1):
            page = reader.list_queues(page_number=number, page_size=QUEUE_PAGE)
            found += [q.queue_id for q in page if q.queue_id and q.queue_id not in found]
            if len(page) < QUEUE_PAGE:
                break
        with self._lock:
            self._all[reader.bucket] = tuple(found)
        return tuple(found)

    def each_queue(
        self,
        reader: RemoteReader,
        queues: Sequence[str | None],
        listing: Callable[[str | None], T],
    ) -> list[T]:
        """``listing`` once per queue of ``queues`` (None: name no queue). Should the service
        refuse a listing that names no queue in a way that may mean "name one", ``listing`` runs
        once per queue of the bucket instead (and per named queue), the queues remembered."""
        try:
            return [listing(q) for q in queues]
        except ApiError as error:
            if None not in queues or not needs_queue(error):
                raise
            every = self.all_queues(reader)
            if not every:
                raise
        named = [q for q in queues if q and q not in every]
        return [listing(q) for q in (*every, *named)]

    def jobs(
        self,
        reader: RemoteReader,
        configured: str | None,
        *,
        input_object: str,
        since: datetime,
    ) -> list[JobDetail]:
        """Every job of ``input_object`` created since ``since``, over all pages and queues."""
        queues = self.queues_for(reader.bucket, configured)
        parts = self.each_queue(
            reader, queues, lambda q: list(_pages(reader, q, input_object, since))
        )
        return [j for part in parts for j in part]


def _pages(
    reader: RemoteReader, queue: str | None, input_object: str, since: datetime
) -> Iterator[JobDetail]:
    token = ""
    while True:
        page = reader.list_jobs(
            input_object=input_object, start_creation_time=since, next_token=token, queue_id=queue
        )
        yield from page.jobs
        if not page.next_token or not page.jobs:
            return
        token = page.next_token
