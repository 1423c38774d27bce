"""Errors the emulator answers with: an HTTP status, a service Code and a Message.

Handlers and the backend raise these; ``app`` renders them once, as a CI error body
(Code, Message, RequestId, TraceId; ci-api.md §5.1) or a COS error body (adds Resource),
depending on which service the route belongs to. Statuses the sources leave unknown are
chosen here, in one place, and listed in EMULATOR_COVERAGE.md.
"""

from __future__ import annotations


class EmulatorError(Exception):
    """A refusal with a service error code. ``status`` is the HTTP status."""

    status = 400
    code = "InvalidArgument"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class InvalidArgument(EmulatorError):
    status, code = 400, "InvalidArgument"


class MissingContent(EmulatorError):
    status, code = 400, "MissingContent"


class InvalidContent(EmulatorError):
    status, code = 400, "InvalidContent"


class InvalidUrl(EmulatorError):
    status, code = 400, "InvalidUrl"


class TemplateNotFound(EmulatorError):
    # HTTP status unknown (ci-api.md §5.2); 400 like every other CI argument error.
    status, code = 400, "TemplateNotFound"


class TemplateNameDuplicate(EmulatorError):
    status, code = 400, "TemplateNameDuplicate"


class QueueNotFound(EmulatorError):
    status, code = 400, "QueueNotFound"


class InternalError(EmulatorError):
    status, code = 500, "InternalError"


class SlowDown(EmulatorError):
    # HTTP status unknown for CI (ci-api.md §5.2); 503 as in COS/S3 so SDKs treat it as retryable.
    status, code = 503, "SlowDown"


class NoSuchKey(EmulatorError):
    status, code = 404, "NoSuchKey"


class MethodNotAllowed(EmulatorError):
    status, code = 405, "MethodNotAllowed"


class EntityTooLarge(EmulatorError):
    status, code = 400, "EntityTooLarge"


class FileAlreadyExists(EmulatorError):
    # PUT Object with ``x-cos-forbid-overwrite: true`` on an existing key (COS answers 409).
    status, code = 409, "FileAlreadyExists"
