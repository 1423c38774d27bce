"""Be liberal in what we accept (issue 14): every reproduction, fed straight into the codec.

A reply element we cannot understand spoils only the item it belongs to, and the problem
names that item; empty elements are "not set"; numbers are read numerically; a job state we
have never seen is kept as the service said it.
"""

from __future__ import annotations

import pytest

from reconciler.errors import BadReplyError
from reconciler.model import UNKNOWN_STATE
from reconciler.remote import codec

# The CI docs' DescribeSnapshotTemplates sample: empty leaves, including Count.
DOC_SNAPSHOT = (
    b"<Snapshot><Width>1280</Width><Height></Height><Start>0</Start>"
    b"<TimeInterval></TimeInterval><Count></Count></Snapshot>"
)


def _templates(*entries: bytes) -> bytes:
    return b"<Response><TotalCount>%d</TotalCount>%s</Response>" % (
        len(entries),
        b"".join(b"<TemplateList>" + e + b"</TemplateList>" for e in entries),
    )


def _entry(template_id: str, name: str, snapshot: bytes) -> bytes:
    return (
        f"<TemplateId>{template_id}</TemplateId><Name>{name}</Name><Tag>Snapshot</Tag>".encode()
        + snapshot
    )


def _job(job_id: str | None, state: str = "<State>Running</State>", extra: bytes = b"") -> bytes:
    ident = f"<JobId>{job_id}</JobId>".encode() if job_id else b""
    return (
        b"<JobsDetail>" + ident + state.encode() + b"<Input><Object>in/" + (job_id or "x").encode()
        + b".mp4</Object></Input><Operation><UserData>m</UserData>" + extra
        + b"</Operation></JobsDetail>"
    )  # fmt: skip


# ------------------------------------------------------------------ empty leaves and numbers


def test_doc_sample_without_count_spoils_only_its_template() -> None:
    body = _templates(
        _entry("t1good", "good", b"<Snapshot><Count>3</Count><Height></Height></Snapshot>"),
        _entry("t1odd", "odd", DOC_SNAPSHOT),
    )
    page = codec.template_page(body, "list_templates")
    good, odd = page.templates
    assert good.snapshot is not None and good.snapshot.count == 3
    assert good.snapshot.height is None and good.problem == ""
    assert odd.template_id == "t1odd" and odd.snapshot is None
    assert "t1odd (odd)" in odd.problem and "<Count>" in odd.problem
    assert page.problems == (f"list_templates: {odd.problem}",)


def test_doc_sample_with_a_count_parses_its_empty_leaves_as_unset() -> None:
    snapshot = DOC_SNAPSHOT.replace(b"<Count></Count>", b"<Count>10</Count>")
    page = codec.template_page(_templates(_entry("t1a", "a", snapshot)), "t")
    settings = page.templates[0].snapshot
    assert settings is not None and page.problems == ()
    assert (settings.width, settings.height, settings.start, settings.time_interval) == (
        1280,
        None,
        0.0,
        None,
    )


@pytest.mark.parametrize(
    "sprite",
    [
        b"<SpriteSnapshotConfig/>",
        b"<SpriteSnapshotConfig> </SpriteSnapshotConfig>",
        b"<SpriteSnapshotConfig><CellWidth></CellWidth><Color/><Columns></Columns><Lines/>"
        b"<Padding></Padding><ScaleMethod></ScaleMethod></SpriteSnapshotConfig>",
    ],
)
def test_sprite_config_with_only_empty_children_is_no_sprite(sprite: bytes) -> None:
    snapshot = b"<Snapshot><Count>1</Count>" + sprite + b"</Snapshot>"
    page = codec.template_page(_templates(_entry("t1a", "a", snapshot)), "t")
    assert page.templates[0].snapshot is not None
    assert page.templates[0].snapshot.sprite is None


@pytest.mark.parametrize(
    ("leaf", "field", "value"),
    [
        (b"<Width>640.0</Width>", "width", 640),
        (b"<Width> 640 </Width>", "width", 640),
        (b"<Width>+640</Width>", "width", 640),
        (b"<Width>6.4e2</Width>", "width", 640),
        (b"<TimeInterval>2.500</TimeInterval>", "time_interval", 2.5),
        (b"<Start>0.000</Start>", "start", 0.0),
        (b"<Start>\n 12 \n</Start>", "start", 12.0),
        (b"<BlackLevel>050</BlackLevel>", "black_level", 50),
        (b"<IsCheckBlack>True</IsCheckBlack>", "is_check_black", True),
    ],
)
def test_numbers_are_read_numerically(leaf: bytes, field: str, value: object) -> None:
    snapshot = b"<Snapshot><Count>12.0</Count>" + leaf + b"</Snapshot>"
    page = codec.template_page(_templates(_entry("t1a", "a", snapshot)), "t")
    settings = page.templates[0].snapshot
    assert settings is not None and settings.count == 12
    assert getattr(settings, field) == value
    assert type(getattr(settings, field)) is type(value)


@pytest.mark.parametrize(
    "leaf",
    [
        b"<Width>640.5</Width>",
        b"<Width>wide</Width>",
        b"<Width>NaN</Width>",
        b"<Start>inf</Start>",
        b"<Width>1e999999999</Width>",
        b"<Count>many</Count>",
        b"<IsCheckCount>yes</IsCheckCount>",
    ],
)
def test_an_unreadable_value_spoils_only_its_template(leaf: bytes) -> None:
    count = b"" if leaf.startswith(b"<Count>") else b"<Count>1</Count>"
    odd = b"<Snapshot>" + count + leaf + b"</Snapshot>"
    body = _templates(
        _entry("t1odd", "odd", odd), _entry("t1ok", "ok", b"<Snapshot><Count>2</Count></Snapshot>")
    )
    page = codec.template_page(body, "list_templates")
    assert [t.template_id for t in page.templates] == ["t1odd", "t1ok"]
    assert page.templates[0].snapshot is None and page.templates[1].snapshot is not None
    (problem,) = page.problems
    assert problem.startswith("list_templates: template t1odd (odd): ")
    assert "\n" not in problem and len(problem) < 300


def test_template_without_id_is_left_out_and_named() -> None:
    body = _templates(
        b"<Name>nameless</Name><Snapshot><Count>1</Count></Snapshot>",
        _entry("t1ok", "ok", b"<Snapshot><Count>2</Count></Snapshot>"),
    )
    page = codec.template_page(body, "list_templates")
    assert [t.template_id for t in page.templates] == ["t1ok"]
    assert page.problems == (
        "list_templates: template (no TemplateId) (nameless): no <TemplateId>",
    )


def test_create_reply_with_an_unreadable_echo_still_gives_the_id() -> None:
    body = b"<Response><Template>" + _entry("t1new", "n", DOC_SNAPSHOT) + b"</Template></Response>"
    template = codec.template_reply(body, "create_template n")
    assert template.template_id == "t1new" and template.snapshot is None and template.problem
    with pytest.raises(BadReplyError, match="create_template n: bad reply: .*no <TemplateId>"):
        codec.template_reply(
            b"<Response><Template><Name>n</Name></Template></Response>", "create_template n"
        )


# ------------------------------------------------------------------ jobs


def test_documented_empty_job_list_is_empty() -> None:
    body = b"<Response><JobsDetail></JobsDetail><NextToken></NextToken></Response>"
    page = codec.job_page(body, "list_jobs")
    assert page.jobs == () and page.next_token == "" and page.problems == ()
    described = codec.describe_reply(b"<Response><JobsDetail/></Response>", "describe_jobs")
    assert described.jobs == () and described.problems == ()


@pytest.mark.parametrize("value", ["-", "", " - "])
def test_dash_or_empty_times_are_unknown(value: str) -> None:
    times = f"<StartTime>{value}</StartTime><EndTime>{value}</EndTime>"
    page = codec.job_page(b"<Response>" + _job("j1", times) + b"</Response>", "list_jobs")
    (job,) = page.jobs
    assert (job.start_time, job.end_time) == ("", "")


@pytest.mark.parametrize(
    ("xml", "state"),
    [
        ("<State>Queued</State>", "Queued"),
        ("<State> Waiting </State>", "Waiting"),
        ("<State>Pending</State>", "Pending"),
        ("<State/>", UNKNOWN_STATE),
        ("", UNKNOWN_STATE),
    ],
)
def test_unknown_job_state_is_kept_and_unfinished(xml: str, state: str) -> None:
    (job,) = codec.describe_reply(b"<Response>" + _job("j1", xml) + b"</Response>", "d").jobs
    assert job.state == state and not job.finished and job.problem == ""


def test_one_odd_job_does_not_fail_a_describe_batch() -> None:
    body = (
        b"<Response>"
        + _job("j1")
        + _job(None)  # no JobId: cannot be matched, left out
        + _job("j3", extra=b"<JobLevel>high</JobLevel>")
        + _job("j4", extra=b"<Snapshot>" + DOC_SNAPSHOT[10:-11] + b"</Snapshot>")
        + b"<NonExistJobIds>j5</NonExistJobIds></Response>"
    )
    result = codec.describe_reply(body, "describe_jobs")
    assert [j.job_id for j in result.jobs] == ["j1", "j3", "j4"]
    assert result.non_exist_ids == ("j5",)
    j3, j4 = result.jobs[1], result.jobs[2]
    assert j3.job_level is None and j3.state == "Running" and j3.user_data == "m"
    assert j4.snapshot is None and j4.state == "Running"
    assert result.problems == (
        "describe_jobs: a <JobsDetail> (input in/x.mp4) has no <JobId>",
        "describe_jobs: job j3: <JobLevel> is not an integer: 'high'",
        "describe_jobs: job j4: <Snapshot>: <Snapshot> has no usable <Count>",
    )


def test_one_odd_job_does_not_fail_a_list_page_and_stays_findable() -> None:
    body = (
        b"<Response>" + _job("j1", extra=b"<JobLevel>1.0</JobLevel>")
        + _job("j2", extra=b"<JobLevel>x</JobLevel>") + b"<NextToken>n2</NextToken></Response>"
    )  # fmt: skip
    page = codec.job_page(body, "list_jobs")
    assert [(j.job_id, j.job_level, j.user_data) for j in page.jobs] == [
        ("j1", 1, "m"),
        ("j2", None, "m"),
    ]
    assert page.next_token == "n2" and len(page.problems) == 1 and "j2" in page.problems[0]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"<Response><JobsDetail></JobsDetail></Response>", "expected one <JobsDetail>, got 0"),
        (b"<Response>" + _job(None) + b"</Response>", "(input in/x.mp4) has no <JobId>"),
    ],
)
def test_submit_reply_without_a_job_id_is_a_bad_reply(body: bytes, expected: str) -> None:
    with pytest.raises(BadReplyError) as caught:
        codec.submit_reply(body, "submit_job in/x.mp4")
    assert str(caught.value).startswith("submit_job in/x.mp4: bad reply: ")
    assert expected in str(caught.value)


def test_submit_reply_with_an_odd_echo_still_gives_the_job() -> None:
    body = b"<Response>" + _job("j1", "<State/>", b"<JobLevel>?</JobLevel>") + b"</Response>"
    job = codec.submit_reply(body, "submit_job in/j1.mp4")
    assert (job.job_id, job.state, job.job_level) == ("j1", UNKNOWN_STATE, None)
    assert "j1" in job.problem


# ------------------------------------------------------------------ documentation slips


def test_a_stray_end_tag_does_not_move_the_fields_of_its_job() -> None:
    body = _job("j1").replace(b"<State>", b"</Message><State>")
    assert body.count(b"</Message>") == 1
    (job,) = codec.describe_reply(b"<Response>" + body + b"</Response>", "describe_jobs").jobs
    assert (job.job_id, job.state, job.user_data) == ("j1", "Running", "m")


@pytest.mark.parametrize(
    "body",
    [
        b"<Response>" + _job("j1") + b"<Response>",  # the docs' closing slip, unless lenient
        b"<Response>" + _job("j1")[:-20],  # truncated
        b"<Response>" + _job("j1") + b"</Response><Response>",  # trailing garbage
    ],
)
def test_a_body_that_does_not_end_with_its_root_is_not_recovered(body: bytes) -> None:
    with pytest.raises(BadReplyError, match="malformed XML"):
        codec.job_page(body, "list_jobs")


def test_the_delete_acknowledgement_is_read_leniently() -> None:
    slip = b"<Response><RequestId>r</RequestId><TemplateId>t1x</TemplateId><Response>"
    assert codec.delete_reply(slip, "delete_template t1x") == "t1x"
    assert codec.delete_reply(b"", "delete_template t1x") == ""
    with pytest.raises(BadReplyError, match="HTML page"):
        codec.delete_reply(b"<html><body>proxy</body></html>", "delete_template t1x")


# ------------------------------------------------------------------ queues and listings


def test_informational_numbers_never_cost_their_entry() -> None:
    queues = codec.queue_list(
        b"<Response><QueueList><QueueId>p1</QueueId><MaxSize>lots</MaxSize>"
        b"<MaxConcurrent>10.0</MaxConcurrent></QueueList></Response>",
        "list_queues",
    )
    assert [(q.queue_id, q.max_size, q.max_concurrent) for q in queues] == [("p1", None, 10)]
    listing = codec.object_page(
        b'<ListBucketResult><Contents><Key>a</Key><ETag>"e"</ETag><Size>?</Size></Contents>'
        b"<IsTruncated>false</IsTruncated></ListBucketResult>",
        "list_objects",
    )
    assert [(o.key, o.etag, o.size) for o in listing.objects] == [("a", "e", 0)]
