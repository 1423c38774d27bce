"""CI handlers: read parameters, call the backend, render (moto's responses.py role).

Each handler takes a :class:`Ctx` and returns a :class:`Response`; validation of query
parameters happens here, rules about stored state in the backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from . import snapshot, views
from .backend import JOB_STATES, Backend, JobFilter
from .exceptions import InvalidArgument
from .jobspec import parse_submission
from .wire import Request, Response, Target
from .xmlio import Elem, Tree, parse_request, render

#: Largest page for GET /template and ids per GET /jobs/<ids> (the real maxima are unknown).
MAX_PAGE_SIZE = 100
MAX_JOB_IDS = 100
MAX_QUEUE_IDS = 10  # documented (ci-api.md §4.1)
_TEMPLATE_FIELDS = {"Tag", "Name", "Snapshot", "TemplateId"}


@dataclass
class Ctx:
    request: Request
    target: Target
    backend: Backend
    request_id: str
    arg: str = ""  # the path argument: a template id, job id(s) or object key


def ok(tree: Tree, ctx: Ctx) -> Response:
    return Response(200, render("Response", tree))


def _int_param(req: Request, name: str, default: int, low: int, high: int) -> int:
    raw = req.param(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidArgument(f"{name} must be an integer; got {raw!r}") from None
    if not low <= value <= high:
        raise InvalidArgument(f"{name} must be in [{low}, {high}]; got {value}")
    return value


def _template_body(ctx: Ctx, snapshot_required: bool) -> tuple[str, snapshot.Settings | None]:
    body = parse_request(ctx.request.body())
    for child in body.children:
        if child.name not in _TEMPLATE_FIELDS:
            raise InvalidArgument(f"Request.{child.name} is not a known field")
    if body.value("Tag") != "Snapshot":
        raise InvalidArgument(f"Tag must be Snapshot; got {body.value('Tag')!r}")
    name = body.value("Name")
    if name is None:
        raise InvalidArgument("Name is required")
    node: Elem | None = body.child("Snapshot")
    if node is None or not node.children:
        if snapshot_required:
            raise InvalidArgument("Snapshot is required")
        return name, None
    return name, snapshot.parse_snapshot(node)


def create_template(ctx: Ctx) -> Response:
    name, settings = _template_body(ctx, snapshot_required=True)
    assert settings is not None
    row = ctx.backend.create_template(ctx.target.bucket, ctx.target.region, name, settings)
    return ok([("Template", views.template_fields(row))], ctx)


def update_template(ctx: Ctx) -> Response:
    name, settings = _template_body(ctx, snapshot_required=False)
    row = ctx.backend.update_template(ctx.target.bucket, ctx.target.region, ctx.arg, name, settings)
    return ok([("Template", views.template_fields(row))], ctx)


def delete_template(ctx: Ctx) -> Response:
    ctx.backend.delete_template(ctx.target.bucket, ctx.arg)
    return ok([("RequestId", ctx.request_id), ("TemplateId", ctx.arg)], ctx)


def list_templates(ctx: Ctx) -> Response:
    req = ctx.request
    category = req.param("category") or "Custom"
    if category not in ("Custom", "Official"):
        raise InvalidArgument(f"category must be Custom or Official; got {category!r}")
    ids = [i for i in (req.param("ids") or "").split(",") if i.strip()]
    if len(ids) > MAX_PAGE_SIZE:
        raise InvalidArgument(f"ids accepts at most {MAX_PAGE_SIZE} template IDs")
    page = _int_param(req, "pageNumber", 1, 1, 1_000_000)
    size = _int_param(req, "pageSize", 10, 1, MAX_PAGE_SIZE)
    rows, total = ctx.backend.list_templates(
        ctx.target.bucket,
        tag=req.param("tag") or "All",
        category=category,
        ids=[i.strip() for i in ids],
        name=req.param("name") or "",
        page=page,
        size=size,
    )
    tree: Tree = [
        ("RequestId", ctx.request_id),
        ("TotalCount", str(total)),
        ("PageNumber", str(page)),
        ("PageSize", str(size)),
    ]
    tree += [("TemplateList", views.template_fields(r)) for r in rows]
    return ok(tree, ctx)


def submit_job(ctx: Ctx) -> Response:
    sub = parse_submission(parse_request(ctx.request.body()))
    job = ctx.backend.submit_job(ctx.target.bucket, ctx.target.region, sub)
    return ok([("JobsDetail", views.job_detail(job, ctx.backend.config.clock()))], ctx)


def describe_jobs(ctx: Ctx) -> Response:
    ids = list(dict.fromkeys(i.strip() for i in ctx.arg.split(",") if i.strip()))
    if not ids:
        raise InvalidArgument("no job ID in the path")
    if len(ids) > MAX_JOB_IDS:
        raise InvalidArgument(f"at most {MAX_JOB_IDS} job IDs per call; got {len(ids)}")
    found, missing, now = ctx.backend.describe_jobs(ctx.target.bucket, ids)
    tree: Tree = [("JobsDetail", views.job_detail(job, now)) for job in found]
    tree += [("NonExistJobIds", jid) for jid in missing]
    return ok(tree, ctx)


def _creation_time(req: Request, name: str) -> int | None:
    raw = req.param(name)
    if raw is None:
        return None
    try:
        return int(datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S%z").timestamp())
    except ValueError:
        raise InvalidArgument(
            f"{name} must look like 2001-01-01T00:00:00+0800 (%Y-%m-%dT%H:%M:%S%z); got {raw!r}"
        ) from None


def _states(req: Request) -> tuple[str, ...]:
    raw = [s.strip() for s in (req.param("states") or "All").split(",") if s.strip()]
    for state in raw:
        if state != "All" and state not in JOB_STATES:
            raise InvalidArgument(f"states: {state!r} is not one of All, {', '.join(JOB_STATES)}")
    return () if "All" in raw else tuple(raw)


def list_jobs(ctx: Ctx) -> Response:
    req = ctx.request
    tag = req.param("tag")
    if tag is None:
        raise InvalidArgument("tag is required")
    if ctx.backend.config.list_requires_queue_id and req.param("queueId") is None:
        raise InvalidArgument("queueId is required")
    order = req.param("orderByTime") or "Desc"
    if order not in ("Desc", "Asc"):
        raise InvalidArgument(f"orderByTime must be Desc or Asc; got {order!r}")
    filt = JobFilter(
        queue_id=req.param("queueId"),
        input_object=req.param("inputObject"),
        states=_states(req),
        after_s=_creation_time(req, "startCreationTime"),
        before_s=_creation_time(req, "endCreationTime"),
        descending=order == "Desc",
        size=_int_param(req, "size", 10, 1, 100),
        next_token=req.param("nextToken"),
    )
    rows, token, now = (
        ([], "", 0.0) if tag != "Snapshot" else ctx.backend.list_jobs(ctx.target.bucket, filt)
    )
    tree: Tree = [("JobsDetail", views.job_detail(job, now)) for job in rows]
    tree.append(("NextToken", token))
    return ok(tree, ctx)


def cancel_job(ctx: Ctx) -> Response:
    if not ctx.request.has_param("cancel"):
        raise InvalidArgument("PUT /jobs/<JobId> needs the ?cancel parameter")
    ctx.backend.cancel_job(ctx.target.bucket, ctx.arg)
    return Response(200, b"", content_type=None)


def list_queues(ctx: Ctx) -> Response:
    req = ctx.request
    queue = ctx.backend.queue(ctx.target.bucket, ctx.target.region)
    wanted = [q.strip() for q in (req.param("queueIds") or "").split(",") if q.strip()]
    if len(wanted) > MAX_QUEUE_IDS:
        raise InvalidArgument(f"queueIds accepts at most {MAX_QUEUE_IDS} IDs")
    state = req.param("state") or "All"
    category = req.param("category") or "Transcoding"
    page = _int_param(req, "pageNumber", 1, 1, 1_000_000)
    size = _int_param(req, "pageSize", 10, 1, MAX_PAGE_SIZE)
    listed = (
        (not wanted or queue["queue_id"] in wanted)
        and state in ("All", "Active")
        and category in ("CateAll", "Transcoding")
    )
    tree: Tree = [
        ("RequestId", ctx.request_id),
        ("TotalCount", "1" if listed else "0"),
        ("PageNumber", str(page)),
        ("PageSize", str(size)),
    ]
    if listed and page == 1:
        tree.append(("QueueList", views.queue_item(queue)))
    tree += [("NonExistPIDs", q) for q in wanted if q != queue["queue_id"]]
    return ok(tree, ctx)
