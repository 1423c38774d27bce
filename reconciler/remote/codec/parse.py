"""Response bodies: XML bytes -> model objects, one function per reply shape in ci-api.md.

Each function checks the root element, reads only the fields it knows (unknown elements are
ignored, so new service fields do not break us) and turns empty elements into "not set".
Repeated elements are always lists here, whatever their count; the PY SDK's one-vs-many
inconsistency (ci-api.md 7) does not exist in our model.
"""

from __future__ import annotations

from reconciler.model import (
    DescribeResult,
    JobDetail,
    JobOutput,
    JobPage,
    MediaResult,
    ObjectInfo,
    ObjectPage,
    OutputFile,
    Queue,
    RemoteTemplate,
    SnapshotSettings,
    SpriteConfig,
    TemplatePage,
)
from reconciler.remote.codec.xmlsafe import (
    DEFAULT_MAX_BYTES,
    Element,
    bad,
    boolean,
    child,
    children,
    integer,
    number,
    parse_root,
    string,
    text,
    time_text,
)


def snapshot_settings(node: Element, op: str) -> SnapshotSettings:
    count = integer(node, "Count", op)
    if count is None:
        raise bad(op, "<Snapshot> has no <Count>")
    sprite_node = child(node, "SpriteSnapshotConfig")
    return SnapshotSettings(
        count=count,
        mode=text(node, "Mode"),
        start=number(node, "Start", op),
        time_interval=number(node, "TimeInterval", op),
        width=integer(node, "Width", op),
        height=integer(node, "Height", op),
        ci_param=text(node, "CIParam"),
        is_check_count=boolean(node, "IsCheckCount", op),
        is_check_black=boolean(node, "IsCheckBlack", op),
        black_level=integer(node, "BlackLevel", op),
        pixel_black_threshold=integer(node, "PixelBlackThreshold", op),
        snapshot_out_mode=text(node, "SnapshotOutMode"),
        sprite=None if sprite_node is None else _sprite(sprite_node, op),
    )


def _sprite(node: Element, op: str) -> SpriteConfig | None:
    if len(node) == 0:  # <SpriteSnapshotConfig/>: not set
        return None
    return SpriteConfig(
        color=string(node, "Color"),
        columns=integer(node, "Columns", op) or 0,
        lines=integer(node, "Lines", op) or 0,
        cell_width=integer(node, "CellWidth", op),
        cell_height=integer(node, "CellHeight", op),
        padding=integer(node, "Padding", op),
        margin=integer(node, "Margin", op),
        scale_method=text(node, "ScaleMethod"),
    )


def _template(node: Element, op: str) -> RemoteTemplate:
    template_id = text(node, "TemplateId")
    snapshot = child(node, "Snapshot")
    if template_id is None or snapshot is None:
        raise bad(op, "template without <TemplateId> or <Snapshot>")
    return RemoteTemplate(
        template_id=template_id,
        name=string(node, "Name"),
        snapshot=snapshot_settings(snapshot, op),
        bucket_id=string(node, "BucketId"),
        category=string(node, "Category", "Custom"),
        create_time=time_text(node, "CreateTime"),
        update_time=time_text(node, "UpdateTime"),
    )


def template_reply(body: bytes, op: str, max_bytes: int = DEFAULT_MAX_BYTES) -> RemoteTemplate:
    """``<Response><Template>…</Template></Response>`` of template create/update."""
    root = parse_root(body, "Response", op, max_bytes)
    node = child(root, "Template")
    if node is None:
        raise bad(op, "<Response> has no <Template>")
    return _template(node, op)


def template_page(body: bytes, op: str, max_bytes: int = DEFAULT_MAX_BYTES) -> TemplatePage:
    """``GET /template``: repeated ``<TemplateList>``; entries of another Tag are skipped."""
    root = parse_root(body, "Response", op, max_bytes)
    templates = tuple(
        _template(node, op)
        for node in children(root, "TemplateList")
        if text(node, "Tag") in (None, "Snapshot")
    )
    return TemplatePage(
        templates=templates,
        total_count=integer(root, "TotalCount", op) or 0,
        page_number=integer(root, "PageNumber", op) or 1,
        page_size=integer(root, "PageSize", op) or len(templates),
    )


def check_root(body: bytes, root: str, op: str, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Validate a reply we only need to acknowledge (e.g. template delete)."""
    parse_root(body, root, op, max_bytes)


def _output(node: Element | None) -> JobOutput | None:
    if node is None:
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


def job_detail(node: Element, op: str) -> JobDetail:
    job_id = text(node, "JobId")
    if job_id is None:
        raise bad(op, "<JobsDetail> has no <JobId>")
    operation = child(node, "Operation")
    snapshot = child(operation, "Snapshot") if operation is not None else None
    return JobDetail(
        job_id=job_id,
        state=string(node, "State"),
        input_object=string(child(node, "Input"), "Object"),
        creation_time=time_text(node, "CreationTime"),
        start_time=time_text(node, "StartTime"),
        end_time=time_text(node, "EndTime"),
        code=string(node, "Code"),
        message=string(node, "Message"),
        queue_id=string(node, "QueueId"),
        template_id=text(operation, "TemplateId"),
        template_name=text(operation, "TemplateName"),
        snapshot=None
        if snapshot is None or len(snapshot) == 0
        else snapshot_settings(snapshot, op),
        output=_output(None if operation is None else child(operation, "Output")),
        user_data=text(operation, "UserData"),
        job_level=integer(operation, "JobLevel", op),
        media_result=_media_result(None if operation is None else child(operation, "MediaResult")),
    )


def submit_reply(body: bytes, op: str, max_bytes: int = DEFAULT_MAX_BYTES) -> JobDetail:
    """``POST /jobs``: exactly one ``<JobsDetail>``."""
    root = parse_root(body, "Response", op, max_bytes)
    nodes = list(children(root, "JobsDetail"))
    if len(nodes) != 1:
        raise bad(op, f"expected one <JobsDetail>, got {len(nodes)}")
    return job_detail(nodes[0], op)


def describe_reply(body: bytes, op: str, max_bytes: int = DEFAULT_MAX_BYTES) -> DescribeResult:
    """``GET /jobs/<ids>``: found jobs plus ``<NonExistJobIds>`` (repeated or comma-joined)."""
    root = parse_root(body, "Response", op, max_bytes)
    missing = [
        part.strip()
        for node in children(root, "NonExistJobIds")
        for part in (text(node) or "").split(",")
        if part.strip()
    ]
    jobs = tuple(job_detail(node, op) for node in children(root, "JobsDetail"))
    return DescribeResult(jobs=jobs, non_exist_ids=tuple(missing))


def job_page(body: bytes, op: str, max_bytes: int = DEFAULT_MAX_BYTES) -> JobPage:
    """``GET /jobs?…``: ``<NextToken>`` empty or absent on the last page."""
    root = parse_root(body, "Response", op, max_bytes)
    jobs = tuple(job_detail(node, op) for node in children(root, "JobsDetail"))
    return JobPage(jobs=jobs, next_token=string(root, "NextToken"))


def queue_list(body: bytes, op: str, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Queue]:
    root = parse_root(body, "Response", op, max_bytes)
    return [
        Queue(
            queue_id=string(node, "QueueId"),
            name=string(node, "Name"),
            state=string(node, "State"),
            category=string(node, "Category"),
            max_size=integer(node, "MaxSize", op),
            max_concurrent=integer(node, "MaxConcurrent", op),
        )
        for node in children(root, "QueueList")
    ]


def unquote_etag(value: str) -> str:
    """COS ETags come quoted (``"abc"``); the model keeps the bare value."""
    return value.strip().strip('"')


def object_page(body: bytes, op: str, max_bytes: int = DEFAULT_MAX_BYTES) -> ObjectPage:
    """``GET /`` on a bucket (``ListBucketResult``); NextMarker falls back to the last key."""
    root = parse_root(body, "ListBucketResult", op, max_bytes)
    objects = tuple(
        ObjectInfo(
            key=string(node, "Key"),
            etag=unquote_etag(string(node, "ETag")),
            size=integer(node, "Size", op) or 0,
            last_modified=string(node, "LastModified"),
        )
        for node in children(root, "Contents")
    )
    truncated = boolean(root, "IsTruncated", op) or False
    marker = string(root, "NextMarker")
    if truncated and not marker and objects:
        marker = objects[-1].key
    return ObjectPage(objects=objects, is_truncated=truncated, next_marker=marker)
