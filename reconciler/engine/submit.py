"""Submit one job exactly once, whatever happens to the request, the reply or this process.

The protocol:

1. Durably record the *intent* (job key, fingerprint, marker, time) before ``POST /jobs``.
2. Send. On a reply, record the JobId.
3. On any answer but a definite refusal, look the job up: a lost reply (NoReplyError), a 5xx
   (the server may have committed before failing), a 2xx we cannot read (empty, ``<Response/>``,
   no ``<JobId>``, garbage: the service said yes, we just cannot see to what) and a 4xx whose
   body is not the service's ``<Error>`` (a proxy spoke, not the service). The lookup
   lists jobs for the input object created after the intent (minus a clock-skew allowance)
   and matches the marker in UserData exactly. Found: adopt it. Truly absent (after a
   second look, in case the service's listing lags): submit again.
4. An intent left behind by a crash is resolved the same way on the next run, before any POST.

Throttling (SlowDown) and connect failures never reached the service, so they are simply
retried with backoff. Only a 4xx carrying the service's own error body means nothing was
created: the intent is then withdrawn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from reconciler.engine.queues import QueueBook
from reconciler.errors import ApiError, BadReplyError, NoReplyError, RemoteError, TransportError
from reconciler.model import JobDetail, JobRequest
from reconciler.model.records import INTENT_STATE, JobRecord
from reconciler.model.times import iso, parse_iso
from reconciler.plan.expand import has_marker, marker_for
from reconciler.remote import RemoteWriter
from reconciler.remote.retry import RetryPolicy

CLOCK_SKEW = timedelta(minutes=15)


@dataclass(frozen=True)
class SubmitPolicy(RetryPolicy):
    """The submit loop's bounds: the remote layer's backoff (full jitter; ``sleep`` and
    ``jitter`` injectable so tests neither wait nor guess), a little more patient, plus the
    pause before the second look-up after an ambiguous failure."""

    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 8.0
    lookup_delay: float = 1.0


class SubmitFailed(Exception):
    """The service refused the job (4xx) or retries ran out; nothing more will be tried now.

    ``maybe_created`` is True when some attempt may have reached the service: the intent must
    then stay recorded (Pending) so the next run looks the job up before submitting again.
    """

    def __init__(self, error: RemoteError, maybe_created: bool) -> None:
        self.error = error
        self.maybe_created = maybe_created
        super().__init__(str(error))


def find_submitted(
    writer: RemoteWriter,
    record: JobRecord,
    exclude: frozenset[str],
    book: QueueBook | None = None,
    queue: str | None = None,
) -> JobDetail | None:
    """The job carrying this record's marker, created after its intent; None when absent.

    ``queue`` is the job's configured queue; ``book`` knows the bucket's queues (engine.queues).
    """
    since = parse_iso(record.intent_time) - CLOCK_SKEW
    listed = (book or QueueBook()).jobs(
        writer, queue, input_object=record.input_object, since=since
    )
    found = [
        j for j in listed if has_marker(j.user_data, record.marker) and j.job_id not in exclude
    ]
    found.sort(key=lambda j: (j.creation_time, j.job_id))
    return found[0] if found else None


def _ambiguous(error: RemoteError) -> bool:
    """Could the server have created the job although we got an error?

    Everything except a definite refusal: a SlowDown (throttling rejects up front), a connect
    failure (never sent) and a 4xx with the service's own error body are the only "no"s.
    """
    if isinstance(error, NoReplyError | BadReplyError):
        return True
    if isinstance(error, ApiError):
        if error.code == "SlowDown":
            return False
        return error.status >= 500 or not error.from_service
    return False


def _never_sent(error: RemoteError) -> bool:
    if isinstance(error, ApiError):
        return error.code == "SlowDown"
    return isinstance(error, TransportError) and not isinstance(error, NoReplyError)


class Submitter:
    """Runs the protocol for one job against one writer, recording through ``record``."""

    def __init__(
        self,
        writer: RemoteWriter,
        record: Callable[[JobRecord], None],
        policy: SubmitPolicy,
        now: Callable[[], datetime],
        book: QueueBook | None = None,
    ) -> None:
        self.writer = writer
        self.record = record
        self.policy = policy
        self.now = now
        self.book = book or QueueBook()
        self.queue: str | None = None  # the configured queue of the job being run

    def intent(self, request: JobRequest, batch: str, target: str, fingerprint: str,
               previous: JobRecord | None) -> JobRecord:  # fmt: skip
        """A new Pending record, carrying forward the superseded job IDs."""
        history = previous.previous_job_ids if previous else ()
        if previous and previous.job_id:
            history = (*history, previous.job_id)
        return JobRecord(
            batch=batch, input_object=request.input_object, target=target,
            fingerprint=fingerprint, marker=marker_for(batch, request.input_object, fingerprint),
            state=INTENT_STATE, intent_time=iso(self.now()), previous_job_ids=history,
        )  # fmt: skip

    def adopt(self, pending: JobRecord, detail: JobDetail) -> JobRecord:
        if self.queue is None:
            self.book.learn(self.writer.bucket, detail.queue_id)
        done = replace(
            pending, job_id=detail.job_id, state=detail.state, submitted_at=iso(self.now())
        )
        self.record(done)
        return done

    def resolve(self, pending: JobRecord) -> JobRecord | None:
        """Look for an earlier submission of this intent; adopt it when found."""
        exclude = frozenset(pending.previous_job_ids)
        found = find_submitted(self.writer, pending, exclude, self.book, self.queue)
        return self.adopt(pending, found) if found else None

    def run(self, pending: JobRecord, request: JobRequest, resolve_first: bool) -> JobRecord:
        """Submit ``request`` for the (already recorded) intent ``pending``."""
        self.queue = request.queue_id or None
        if resolve_first and (done := self.resolve(pending)):
            return done
        last: RemoteError | None = None
        maybe_created = resolve_first
        for attempt in range(self.policy.attempts):
            try:
                return self.adopt(pending, self.writer.submit_job(request))
            except RemoteError as error:
                last = error
                if _ambiguous(error):
                    maybe_created = True
                    if done := self._look_twice(pending):
                        return done
                elif not _never_sent(error):
                    raise SubmitFailed(error, maybe_created) from error
            self.policy.pause(attempt)
        assert last is not None
        raise SubmitFailed(last, maybe_created) from last

    def _look_twice(self, pending: JobRecord) -> JobRecord | None:
        """Resolve after an ambiguous failure; look again after a pause before giving up."""
        if done := self.resolve(pending):
            return done
        self.policy.sleep(self.policy.lookup_delay)
        return self.resolve(pending)
