"""Job replies: submit (one ``<JobsDetail>``), describe (``GET /jobs/<ids>``), list (``GET /jobs``).

Liberal on purpose (issue 14): the state is kept verbatim (``Queued`` stays ``Queued``; empty
becomes :data:`~reconciler.model.UNKNOWN_STATE`), ``-`` or empty times are unknown, and the
documented empty list ``<JobsDetail></JobsDetail>`` is no job at all. An entry without a
JobId cannot be matched to anything, so it is left out of a describe or list result and
named in ``problems``; an entry whose echoes (inline Snapshot, JobLevel) are unreadable keeps
everything else and carries a ``problem``. Lookups after a lost reply therefore still find a
job whose echo we do not understand.
"""

from __future__ import annotations

from reconciler.errors import BadReplyError
from reconciler.model import (
    UNKNOWN_STATE,
    DescribeResult,
    JobDetail,
    JobOutput,
    JobPage,
    MediaResult,
    OutputFile,
)
from reconciler.remote.codec.snapshot import optional_snapshot, readable_entries, reason
from reconciler.remote.codec.xmlsafe import (
    DEFAULT_MAX_BYTES,
    Element,
    bad,
    blank,
    child,
    children,
    integer,
    parse_root,
    string,
    text,
    time_text,
)


def _output(node: Element | None) -> JobOutput | None:
    if node is None or blank(node):
        return None
    return JobOutput(
        region=string(node, "Region"),
        bucket=string(node, "Bucket"),
        object=text(node, "Object"),
        sprite_object=text(node, "SpriteObject"),
    )


def _output_file(node: Element) -> OutputFile:
    return OutputFile(
        bucket=string(node, "Bucket"),
        region=string(node, "Region"),
        object_prefix=string(node, "ObjectPrefix"),
        object_names=tuple(t for n in children(node, "ObjectName") if (t := text(n)) is not None),
    )


def _media_result(node: Element | None) -> MediaResult | None:
    if node is None or len(node) == 0:
        return None
    files = list(children(node, "OutputFile"))
    sprites = [s for f in files for s in children(f, "SpriteOutputFile")]
    sprites += list(children(node, "SpriteOutputFile"))
    return MediaResult(
        output_files=tuple(_output_file(f) for f in files),
        sprite_files=tuple(_output_file(s) for s in sprites),
    )


def job_detail(node: Element) -> JobDetail:
    """One ``<JobsDetail>``; BadReplyError (empty operation) only when it has no JobId."""
    job_id = text(node, "JobId")
    input_object = string(child(node, "Input"), "Object")
    if job_id is None:
        where = f" (input {input_object})" if input_object else ""
        raise bad("", f"a <JobsDetail>{where} has no <JobId>")
    operation = child(node, "Operation")
    snapshot_node = None if operation is None else child(operation, "Snapshot")
    snapshot, problem = optional_snapshot(snapshot_node)
    problems = [f"<Snapshot>: {problem}"] if problem else []
    try:
        job_level = integer(operation, "JobLevel", "")
    except BadReplyError as exc:
        job_level = None
        problems.append(reason(exc))
    return JobDetail(
        job_id=job_id,
        state=string(node, "State", UNKNOWN_STATE),
        input_object=input_object,
        creation_time=time_text(node, "CreationTime"),
        start_time=time_text(node, "StartTime"),
        end_time=time_text(node, "EndTime"),
        code=string(node, "Code"),
        message=string(node, "Message"),
        queue_id=string(node, "QueueId"),
        template_id=text(operation, "TemplateId"),
        template_name=text(operation, "TemplateName"),
        snapshot=snapshot,
        output=_output(None if operation is None else child(operation, "Output")),
        user_data=text(operation, "UserData"),
        job_level=job_level,
        media_result=_media_result(None if operation is None else child(operation, "MediaResult")),
        problem="; ".join(f"job {job_id}: {p}" for p in problems),
    )


def _jobs(root: Element, op: str) -> tuple[tuple[JobDetail, ...], tuple[str, ...]]:
    """Every readable ``<JobsDetail>`` of a describe or list reply, and the problems met.

    A blank ``<JobsDetail></JobsDetail>`` is how the docs print an empty list: skipped.
    """
    nodes = (n for n in children(root, "JobsDetail") if not blank(n))
    jobs, problems = readable_entries(nodes, job_detail, op)
    return jobs, tuple(problems)


def submit_reply(body: bytes, op: str, max_bytes: int = DEFAULT_MAX_BYTES) -> JobDetail:
    """``POST /jobs``: exactly one ``<JobsDetail>`` with a JobId (anything else: BadReplyError,
    since the caller must then find out by itself whether the job was created)."""
    root = parse_root(body, "Response", op, max_bytes)
    nodes = [node for node in children(root, "JobsDetail") if not blank(node)]
    if len(nodes) != 1:
        raise bad(op, f"expected one <JobsDetail>, got {len(nodes)}")
    try:
        return job_detail(nodes[0])
    except BadReplyError as exc:
        raise bad(op, reason(exc)) from None


def describe_reply(body: bytes, op: str, max_bytes: int = DEFAULT_MAX_BYTES) -> DescribeResult:
    """``GET /jobs/<ids>``: found jobs plus ``<NonExistJobIds>`` (repeated or comma-joined)."""
    root = parse_root(body, "Response", op, max_bytes)
    missing = [
        part.strip()
        for node in children(root, "NonExistJobIds")
        for part in (text(node) or "").split(",")
        if part.strip()
    ]
    jobs, problems = _jobs(root, op)
    return DescribeResult(jobs=jobs, non_exist_ids=tuple(missing), problems=problems)


def job_page(body: bytes, op: str, max_bytes: int = DEFAULT_MAX_BYTES) -> JobPage:
    """``GET /jobs?…``: ``<NextToken>`` empty or absent on the last page."""
    root = parse_root(body, "Response", op, max_bytes)
    jobs, problems = _jobs(root, op)
    return JobPage(jobs=jobs, next_token=string(root, "NextToken"), problems=problems)
