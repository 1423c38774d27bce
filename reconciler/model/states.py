"""Job states: the ones the CI docs list, plus our own intent marker, in one enum.

Records and :class:`~reconciler.model.JobDetail` keep ``state`` as the plain text the service
sent, because the service may report a state the docs do not list (``Queued``, ``Unknown``, a
localised word ...): such a state is kept verbatim, shown as it is and treated as unfinished, so
we keep asking until the job finishes. :meth:`JobState.is_finished` and
:meth:`JobState.is_failed` answer for any text; the members answer through their properties.
The emulator keeps its own states on purpose: it must not import the client.
"""

from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    """A known job state. Members compare and hash equal to their text (``"Success"``)."""

    #: Our own marker for an intent: recorded before ``POST /jobs``, with no reply (no job id)
    #: yet. The service reporting ``Pending`` for a job with an id is just an unfinished job.
    PENDING = "Pending"
    SUBMITTED = "Submitted"
    RUNNING = "Running"
    SUCCESS = "Success"
    FAILED = "Failed"
    PAUSE = "Pause"
    CANCEL = "Cancel"

    @property
    def finished(self) -> bool:
        """True when the service never changes the job again."""
        return self in _FINISHED

    @property
    def failed(self) -> bool:
        """True for a finished job that did not succeed (failed or cancelled): worth a retry."""
        return self in _FAILED

    @classmethod
    def is_finished(cls, state: str) -> bool:
        """:attr:`finished` for any state text; a state we do not know is unfinished."""
        return state in _FINISHED

    @classmethod
    def is_failed(cls, state: str) -> bool:
        """:attr:`failed` for any state text; a state we do not know has not failed (yet)."""
        return state in _FAILED


_FINISHED = frozenset({JobState.SUCCESS, JobState.FAILED, JobState.CANCEL})
_FAILED = frozenset({JobState.FAILED, JobState.CANCEL})
#: The states the CI docs list (our intent marker excluded), in the order they are documented.
SERVICE_STATES = tuple(s for s in JobState if s is not JobState.PENDING)
