"""Create a template exactly once, whatever happens to the request or its reply.

``POST /template`` is not idempotent, so the transport repeats it only when the service surely
did nothing (SlowDown, no connection). Everything else that is not a definite refusal (a lost
reply, a 5xx, a 2xx we cannot read, a 4xx that is not the service's ``<Error>``) may have
created it: template names are unique in a bucket, so the template is then looked up by its
exact name and adopted (updated to the wanted settings if they differ). Not found: the create
is tried again after a backoff, within the same attempts as job submission. A
``TemplateNameDuplicate`` (a lost reply of an earlier attempt, or a racing run) is resolved the
same way. ``PUT /template/<id>`` is idempotent and already retried by the transport.
"""

from __future__ import annotations

from reconciler.engine.submit import SubmitPolicy
from reconciler.errors import ApiError, BadReplyError, NoReplyError, RemoteError, TransportError
from reconciler.model import RemoteTemplate, SnapshotSettings
from reconciler.remote import RemoteWriter

DUPLICATE = "TemplateNameDuplicate"


def exact(writer: RemoteWriter, name: str) -> RemoteTemplate | None:
    """The bucket's template named exactly ``name`` (the name filter is a prefix match)."""
    page_number = 1
    while True:
        page = writer.list_templates(name_prefix=name, page_number=page_number, page_size=100)
        found = next((t for t in page.templates if t.name == name), None)
        if found is not None or len(page.templates) < 100:
            return found
        page_number += 1


def _maybe_done(error: RemoteError) -> bool:
    """Could the service have created the template although we got ``error``?"""
    if isinstance(error, NoReplyError | BadReplyError):
        return True
    if isinstance(error, ApiError):
        if error.code == "SlowDown":
            return False
        return error.code == DUPLICATE or error.status >= 500 or not error.from_service
    return False


def _transient(error: RemoteError) -> bool:
    """Surely not done and worth another try later (throttled, or never sent)."""
    if isinstance(error, ApiError):
        return error.code == "SlowDown"
    return isinstance(error, TransportError)


def adopt(
    writer: RemoteWriter, found: RemoteTemplate, settings: SnapshotSettings
) -> RemoteTemplate:
    """Take over ``found``; update it only when its settings are not the wanted ones."""
    if found.snapshot == settings:
        return found
    return writer.update_template(found.template_id, found.name, settings)


def create_template(
    writer: RemoteWriter, name: str, settings: SnapshotSettings, policy: SubmitPolicy
) -> RemoteTemplate:
    """The template ``name`` with ``settings``, created once or adopted by exact name."""
    last: RemoteError | None = None
    for attempt in range(policy.attempts):
        try:
            return writer.create_template(name, settings)
        except RemoteError as error:
            last = error
            if _maybe_done(error):
                found = exact(writer, name)
                if found is not None:
                    return adopt(writer, found, settings)
                if isinstance(error, ApiError) and error.code == DUPLICATE:
                    raise  # taken, yet not among the bucket's Snapshot templates: not ours
            elif not _transient(error):
                raise
        policy.pause(attempt)
    assert last is not None
    raise last
