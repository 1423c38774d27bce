"""The Submitter's exactly-once decision table, one row per case, against a scripted writer.

Each row scripts the service's answers, runs one submission and asserts the calls made (in
order), the records written and the outcome. Sleeps are recorded, never slept.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from reconciler.engine.submit import SubmitFailed, SubmitPolicy, Submitter
from reconciler.errors import ApiError, BadReplyError, NoReplyError, TransportError
from reconciler.model import JobDetail, JobOutput, JobPage, JobRequest
from reconciler.model.records import JobRecord
from reconciler.plan.expand import marker_for, with_marker
from reconciler.remote import RemoteWriter
from tests.helpers.scripted import NO_JOBS, ScriptedWriter

BATCH, KEY, FP = "thumbs", "in/a.mp4", "fp-1"
MARKER = marker_for(BATCH, KEY, FP)
REQUEST = JobRequest(KEY, JobOutput("ap-chongqing", "out-1250000000", "o/${number}.jpg"),
                     template_id="t-1", user_data=with_marker(None, MARKER))  # fmt: skip
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)

SUBMITTED = JobDetail("j-sent", "Submitted", KEY, "2026-11-29T09:00:01Z", user_data=MARKER)
EARLIER = JobDetail("j-earlier", "Submitted", KEY, "2026-11-29T09:00:00Z", user_data=MARKER)
FOUND = JobPage(jobs=(EARLIER,), next_token="")
# another key's job with another marker, listed for the same object: never adopted
STRANGER = JobPage(
    jobs=(JobDetail("j-other", "Success", KEY, "2026-11-29T09:00:00Z", user_data="x"),),
    next_token="",
)

LOST = NoReplyError("reply lost")
UNREADABLE = BadReplyError("2xx without a JobId")
E500 = ApiError(500, "InternalError", "boom", "rid-500")
REFUSED = ApiError(400, "InvalidArgument", "bad output", "rid-400")
PROXY_4XX = ApiError(403, "Forbidden", "<html>", from_service=False)
SLOWDOWN = ApiError(503, "SlowDown", "throttled", "rid-503")
CONNECT = TransportError("connection refused")


@dataclass
class Row:
    script: dict[str, list[Any]]
    calls: list[str]
    job_id: str | None  # recorded at the end; None: the row ends in SubmitFailed
    maybe_created: bool | None = None
    lookups: int = 0  # pauses between a first and a second look
    backoffs: int = 0
    resolve_first: bool = False
    attempts: int = 3
    extra: dict[str, Any] = field(default_factory=dict)


ROWS = {
    "reply: recorded": Row({"submit_job": [SUBMITTED]}, ["submit_job"], "j-sent"),
    "no reply, lookup finds it: adopted": Row(
        {"submit_job": [LOST], "list_jobs": [FOUND]}, ["submit_job", "list_jobs"], "j-earlier"
    ),
    "no reply, absent twice: submitted again": Row(
        {"submit_job": [LOST, SUBMITTED], "list_jobs": [NO_JOBS, NO_JOBS]},
        ["submit_job", "list_jobs", "list_jobs", "submit_job"],
        "j-sent",
        lookups=1,
        backoffs=1,
    ),
    "no reply, the listing lags: found on the second look": Row(
        {"submit_job": [LOST], "list_jobs": [NO_JOBS, FOUND]},
        ["submit_job", "list_jobs", "list_jobs"],
        "j-earlier",
        lookups=1,
    ),
    "no reply, only another marker listed: submitted again": Row(
        {"submit_job": [LOST, SUBMITTED], "list_jobs": [STRANGER, STRANGER]},
        ["submit_job", "list_jobs", "list_jobs", "submit_job"],
        "j-sent",
        lookups=1,
        backoffs=1,
    ),
    "unreadable 2xx: looked up, adopted": Row(
        {"submit_job": [UNREADABLE], "list_jobs": [FOUND]},
        ["submit_job", "list_jobs"],
        "j-earlier",
    ),
    "unreadable 2xx, never found: fails, intent kept": Row(
        {"submit_job": [UNREADABLE] * 2, "list_jobs": [NO_JOBS] * 4},
        ["submit_job", "list_jobs", "list_jobs"] * 2,
        None,
        maybe_created=True,
        lookups=2,
        backoffs=2,
        attempts=2,
    ),
    "5xx: looked up, adopted": Row(
        {"submit_job": [E500], "list_jobs": [FOUND]}, ["submit_job", "list_jobs"], "j-earlier"
    ),
    "4xx with the service's error body: refused, nothing created": Row(
        {"submit_job": [REFUSED]}, ["submit_job"], None, maybe_created=False
    ),
    "4xx without a service body: looked up, intent kept": Row(
        {"submit_job": [PROXY_4XX], "list_jobs": [NO_JOBS, NO_JOBS]},
        ["submit_job", "list_jobs", "list_jobs"],
        None,
        maybe_created=True,
        lookups=1,
        backoffs=1,
        attempts=1,
    ),
    "SlowDown: retried with backoff, no lookup": Row(
        {"submit_job": [SLOWDOWN, SLOWDOWN, SUBMITTED]},
        ["submit_job"] * 3,
        "j-sent",
        backoffs=2,
    ),
    "connect error: retried, no lookup": Row(
        {"submit_job": [CONNECT, SUBMITTED]}, ["submit_job"] * 2, "j-sent", backoffs=1
    ),
    "throttled to the end: fails, surely not created": Row(
        {"submit_job": [SLOWDOWN] * 3},
        ["submit_job"] * 3,
        None,
        maybe_created=False,
        backoffs=3,
    ),
    "one lost reply among throttling: fails, maybe created": Row(
        {"submit_job": [SLOWDOWN, LOST, CONNECT], "list_jobs": [NO_JOBS, NO_JOBS]},
        ["submit_job", "submit_job", "list_jobs", "list_jobs", "submit_job"],
        None,
        maybe_created=True,
        lookups=1,
        backoffs=3,
    ),
    "refused after a lost reply: fails, maybe created": Row(
        {"submit_job": [LOST, REFUSED], "list_jobs": [NO_JOBS, NO_JOBS]},
        ["submit_job", "list_jobs", "list_jobs", "submit_job"],
        None,
        maybe_created=True,
        lookups=1,
        backoffs=1,
    ),
    "intent left by a crash, found: adopted without a POST": Row(
        {"list_jobs": [FOUND]}, ["list_jobs"], "j-earlier", resolve_first=True
    ),
    "intent left by a crash, absent: submitted": Row(
        {"list_jobs": [NO_JOBS], "submit_job": [SUBMITTED]},
        ["list_jobs", "submit_job"],
        "j-sent",
        resolve_first=True,
    ),
    "intent left by a crash, refused: fails, maybe created": Row(
        {"list_jobs": [NO_JOBS], "submit_job": [REFUSED]},
        ["list_jobs", "submit_job"],
        None,
        maybe_created=True,
        resolve_first=True,
    ),
}


class Sleeps:
    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


@pytest.mark.parametrize("case", list(ROWS))
def test_submit_decision_table(case: str) -> None:
    row = ROWS[case]
    writer = ScriptedWriter(**row.script)
    records: list[JobRecord] = []
    sleeps = Sleeps()
    policy = SubmitPolicy(attempts=row.attempts, lookup_delay=7.0, sleep=sleeps)
    submitter = Submitter(writer, records.append, policy, lambda: NOW)
    pending = submitter.intent(REQUEST, BATCH, "media", FP, None)
    assert pending.is_intent and pending.marker == MARKER

    if row.job_id is None:
        with pytest.raises(SubmitFailed) as failed:
            submitter.run(pending, REQUEST, row.resolve_first)
        assert failed.value.maybe_created is row.maybe_created, case
        assert records == []  # only the caller decides between withdrawing and keeping
    else:
        done = submitter.run(pending, REQUEST, row.resolve_first)
        assert done.job_id == row.job_id and not done.is_intent
        assert records == [done]  # exactly one write: the adopted or submitted job
        assert (done.batch, done.input_object, done.marker) == (BATCH, KEY, MARKER)
    assert writer.calls == row.calls, case
    assert writer.unused() == {}
    assert sleeps.seconds.count(7.0) == row.lookups, sleeps.seconds
    assert len(sleeps.seconds) - row.lookups == row.backoffs, sleeps.seconds
    assert all(r == REQUEST for r in writer.requests)  # every retry sends the same request


def test_superseded_job_ids_are_never_adopted() -> None:
    """A listed job with the marker whose ID the record already superseded is not this intent's."""
    previous = JobRecord(batch=BATCH, input_object=KEY, target="media", fingerprint=FP,
                         marker=MARKER, state="Success", intent_time="2026-11-29T08:00:00Z",
                         job_id="j-earlier")  # fmt: skip
    writer = ScriptedWriter(submit_job=[LOST, SUBMITTED], list_jobs=[FOUND, FOUND])
    submitter = Submitter(writer, [].append, SubmitPolicy(sleep=Sleeps()), lambda: NOW)
    pending = submitter.intent(REQUEST, BATCH, "media", FP, previous)
    assert pending.previous_job_ids == ("j-earlier",)
    assert submitter.run(pending, REQUEST, False).job_id == "j-sent"


def test_the_scripted_writer_has_every_method_of_the_protocol() -> None:
    """Same names and parameters as RemoteWriter, so the rows exercise the real seam."""
    wanted = {n for n in dir(RemoteWriter) if not n.startswith("_")}
    for name in wanted - {"bucket", "region"}:
        ours = inspect.signature(getattr(ScriptedWriter, name))
        theirs = inspect.signature(getattr(RemoteWriter, name))
        assert list(ours.parameters) == list(theirs.parameters), name
