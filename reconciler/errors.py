"""One exception tree for everything reconciler raises on purpose.

    ReconcilerError                 anything the CLI turns into one line and exit 1
    ├── ConfigError                 bad environment or command-line settings (credentials, endpoint)
    ├── ManifestError               manifests that cannot be loaded; carries every Problem found
    ├── RemoteError                 talking to the CI/COS service went wrong
    │   ├── TransportError          no usable HTTP exchange (connect, timeout, reset)
    │   │   └── NoReplyError        sent, but no reply came back: the server
    │   │                           may have committed it (never blindly re-POST a job)
    │   ├── ApiError                an error body from the service (status, code, request id)
    │   └── BadReplyError           a reply we cannot trust (garbage XML,
    │                               wrong root element, oversized or truncated body, entities)
    ├── PlanError                   a plan cannot be built, or a saved plan is stale
    ├── StateError                  the state file is unreadable, of another version or lineage
    │   └── LockError               another process holds the state lock
    └── ApplyError                  apply finished with failures (details in the summary)

Third-party errors (httpx, lxml, yaml, jsonschema) are translated where they happen with
``raise X(...) from exc`` so nothing above the module that caught them ever sees them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Severity = Literal["error", "warning"]


class ReconcilerError(Exception):
    """Base of every error the CLI reports as a single line."""


class ConfigError(ReconcilerError):
    """Settings are missing or contradictory (credentials, endpoint, flags)."""


@dataclass(frozen=True)
class Problem:
    """One located manifest problem: ``file:line:col: field: message``.

    A ``warning`` is something the service accepts but ignores (a field that only applies with
    another, a value outside a documented reference range): it reads
    ``file:line:col: warning: field: message`` and does not stop a run.
    """

    file: str
    line: int
    column: int
    field: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        kind = " warning:" if self.is_warning else ""
        return f"{self.file}:{self.line}:{self.column}:{kind}{field} {self.message}"

    @property
    def is_warning(self) -> bool:
        return self.severity == "warning"

    def as_error(self) -> Problem:
        """The same problem as an error (``validate --strict``)."""
        return replace(self, severity="error")


class ManifestError(ReconcilerError):
    """Manifests failed to load or validate; ``problems`` holds all of them, in file order.

    ``warnings`` are the warnings found on the way, so that they can be shown with the errors.
    """

    def __init__(self, problems: list[Problem], warnings: tuple[Problem, ...] = ()) -> None:
        self.problems = problems
        self.warnings = warnings
        first = str(problems[0]) if problems else "invalid manifests"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first + more)


class RemoteError(ReconcilerError):
    """Base of everything that went wrong talking to the service."""


class TransportError(RemoteError):
    """No usable HTTP exchange happened (DNS, connect, TLS, read timeout, reset)."""


class NoReplyError(TransportError):
    """The request was sent but the reply was lost; the server may have acted on it."""


class ApiError(RemoteError):
    """The service answered with an error status.

    ``from_service`` is False when the body was not the service's ``<Error>`` (empty, a proxy's
    HTML, garbage): the status is then all we know, so a 4xx is not proof of a refusal.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        request_id: str = "",
        operation: str = "",
        *,
        from_service: bool = True,
    ) -> None:
        self.status = status
        self.from_service = from_service
        self.code = code
        self.message = message
        self.request_id = request_id
        self.operation = operation
        where = f"{operation}: " if operation else ""
        rid = f" (request id {request_id})" if request_id else ""
        super().__init__(f"{where}{code} (HTTP {status}): {message}{rid}")

    @property
    def retryable(self) -> bool:
        """Throttling and server-side failures may succeed if repeated later."""
        return self.code == "SlowDown" or self.status >= 500


class BadReplyError(RemoteError):
    """The reply could not be trusted: malformed, wrong shape, too large, or hostile."""


class PlanError(ReconcilerError):
    """A plan cannot be built or a saved plan can no longer be applied."""


class StateError(ReconcilerError):
    """The state file cannot be used as it is; it is never overwritten in that case."""


class LockError(StateError):
    """Another process holds the state lock."""


class ApplyError(ReconcilerError):
    """Apply ran but some actions failed; everything that succeeded is recorded."""
