"""XML in and out, the only place lxml is used (ci-api.md sections 2-5).

``build`` renders request bodies; ``templates``, ``jobs`` (both over ``snapshot``) and ``parse``
read the reply shapes, liberally: one entry we cannot understand spoils only itself and is
named in the result's ``problems``; ``errorbody`` turns error replies into
:class:`reconciler.errors.ApiError`, and ``xmlsafe`` is the hardened parser they all go
through. Nothing here knows about HTTP.
"""

from __future__ import annotations

from reconciler.remote.codec.build import job_body, template_body, wire_text
from reconciler.remote.codec.errorbody import api_error, error_fields
from reconciler.remote.codec.jobs import describe_reply, job_page, submit_reply
from reconciler.remote.codec.parse import (
    check_root,
    delete_reply,
    object_page,
    queue_list,
    unquote_etag,
)
from reconciler.remote.codec.templates import template_page, template_reply
from reconciler.remote.codec.xmlsafe import DEFAULT_MAX_BYTES, parse_root

__all__ = [
    "DEFAULT_MAX_BYTES",
    "api_error",
    "check_root",
    "delete_reply",
    "describe_reply",
    "error_fields",
    "job_body",
    "job_page",
    "object_page",
    "parse_root",
    "queue_list",
    "submit_reply",
    "template_body",
    "template_page",
    "template_reply",
    "unquote_etag",
    "wire_text",
]
