"""Template replies: create/update (``<Response><Template>``) and the ``GET /template`` list.

A list entry that cannot be understood spoils only itself (ci-api.md 2.6, issue 14): one with
no TemplateId is left out, one whose ``<Snapshot>`` is unreadable is kept with ``snapshot``
None and a ``problem``, and either way ``TemplatePage.problems`` names it by ID and Name so
the plan can warn about it. The rest of the page parses as usual.
"""

from __future__ import annotations

from reconciler.errors import BadReplyError
from reconciler.model import RemoteTemplate, TemplatePage
from reconciler.remote.codec.snapshot import readable_entries, reason, snapshot_settings
from reconciler.remote.codec.xmlsafe import (
    DEFAULT_MAX_BYTES,
    Element,
    bad,
    child,
    children,
    integer,
    parse_root,
    string,
    text,
    time_text,
)


def _label(template_id: str | None, name: str) -> str:
    named = f" ({name})" if name else ""
    return f"template {template_id or '(no TemplateId)'}{named}"


def _template(node: Element) -> RemoteTemplate:
    """One template; BadReplyError (empty operation) only when it has no TemplateId."""
    template_id = text(node, "TemplateId")
    name = string(node, "Name")
    if template_id is None:
        raise bad("", f"{_label(None, name)}: no <TemplateId>")
    snapshot_node = child(node, "Snapshot")
    problem = ""
    try:
        if snapshot_node is None:
            raise bad("", "no <Snapshot>")
        snapshot = snapshot_settings(snapshot_node, "")
    except BadReplyError as exc:
        snapshot, problem = None, f"{_label(template_id, name)}: {reason(exc)}"
    return RemoteTemplate(
        template_id=template_id,
        name=name,
        snapshot=snapshot,
        bucket_id=string(node, "BucketId"),
        category=string(node, "Category", "Custom"),
        create_time=time_text(node, "CreateTime"),
        update_time=time_text(node, "UpdateTime"),
        problem=problem,
    )


def template_reply(body: bytes, op: str, max_bytes: int = DEFAULT_MAX_BYTES) -> RemoteTemplate:
    """``<Response><Template>…</Template></Response>`` of template create/update.

    Only the TemplateId is essential (it is what gets recorded); an unreadable settings echo
    gives a template with ``problem`` set, not an error.
    """
    root = parse_root(body, "Response", op, max_bytes)
    node = child(root, "Template")
    if node is None:
        raise bad(op, "<Response> has no <Template>")
    try:
        return _template(node)
    except BadReplyError as exc:
        raise bad(op, reason(exc)) from None


def template_page(body: bytes, op: str, max_bytes: int = DEFAULT_MAX_BYTES) -> TemplatePage:
    """``GET /template``: repeated ``<TemplateList>``; entries of another Tag are skipped."""
    root = parse_root(body, "Response", op, max_bytes)
    nodes = (n for n in children(root, "TemplateList") if text(n, "Tag") in (None, "Snapshot"))
    templates, problems = readable_entries(nodes, _template, op)
    return TemplatePage(
        templates=templates,
        total_count=_count(root, "TotalCount", op, problems) or 0,
        page_number=_count(root, "PageNumber", op, problems) or 1,
        page_size=_count(root, "PageSize", op, problems) or len(templates),
        problems=tuple(problems),
    )


def _count(root: Element, name: str, op: str, problems: list[str]) -> int | None:
    """A paging number; an unreadable one is reported and treated as absent."""
    try:
        return integer(root, name, "")
    except BadReplyError as exc:
        problems.append(f"{op}: {reason(exc)}")
        return None
