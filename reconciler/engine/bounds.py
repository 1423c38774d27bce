"""Bounded applies: at most N submissions (``--limit``), none started too late (``--time-limit``).

A million jobs at the service's 10 submissions a second take 28 hours; a CI job stops after 6
(GitHub) or 1 (GitLab's default). So an apply may stop early on purpose and the next one continues:
every submission is recorded as it happens, so the next plan is the same minus what was done.

Only job submissions are bounded (a first POST for a job key, a re-submit, a retry of a failed
job). Templates, cancels, forgets and the look-up of an intent left by an interrupted run (which
adopts the job when it exists) run whatever the budget says. Retries of one submission count once.

The time limit is measured from the start of the command. Submissions stop starting at the
*cut-off*: the limit minus a margin of 10% of it, at most :data:`MAX_MARGIN` seconds. The margin
covers what still runs after the last start: submissions in flight (a few seconds, their retries
included), the final compaction of the state, and waiting for the state lock to be released. The
budget also accounts for the submission rate: a submission that could only leave after the cut-off
(behind others queued at ``--submit-qps``) is not started.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any, cast

from reconciler.errors import ConfigError
from reconciler.remote import RemoteWriter

MAX_MARGIN = 300.0  # seconds kept free before a time limit, at most
MARGIN_SHARE = 0.10
_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?")


def parse_duration(text: str) -> float:
    """Seconds in ``45m``, ``5h30m``, ``90s``, ``1h2m3s`` or a plain number of seconds."""
    raw = text.strip().lower()
    try:
        seconds = float(raw)
    except ValueError:
        match = _DURATION.fullmatch(raw)
        if not raw or match is None or not any(match.groups()):
            raise ConfigError(
                f"invalid duration {text!r}: use e.g. 90s, 45m, 5h30m or a number of seconds"
            ) from None
        hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    if seconds <= 0:
        raise ConfigError(f"invalid duration {text!r}: must be more than 0 seconds")
    return seconds


def margin_for(limit_seconds: float) -> float:
    """Seconds before a time limit at which submissions stop starting."""
    return min(MAX_MARGIN, MARGIN_SHARE * limit_seconds)


def format_duration(seconds: float) -> str:
    """``5h30m``, ``45m``, ``1m30s``, ``90.5s``: how a limit is echoed back."""
    if seconds != int(seconds) or seconds < 60:
        return f"{seconds:g}s"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(hours, "h"), (minutes, "m"), (secs, "s")]
    return "".join(f"{n}{unit}" for n, unit in parts if n)


class Deferred(Exception):
    """A submission that the budget did not allow: nothing was sent, the job is left for later."""


class Budget:
    """How many job submissions this run may still start, and until when. Thread-safe.

    ``limit`` None: no count limit. ``time_limit`` None: no time limit; otherwise seconds from
    ``started`` (a ``clock`` reading, default: now). ``qps`` is the submission rate, so that a
    submission queued behind others is judged by when it would leave, not when it was asked for.
    """

    def __init__(
        self,
        limit: int | None = None,
        time_limit: float | None = None,
        *,
        qps: float | None = None,
        started: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.time_limit = time_limit
        self._clock = clock
        start = clock() if started is None else started
        self.cutoff = None if time_limit is None else start + time_limit - margin_for(time_limit)
        self._interval = 0.0 if not qps else 1.0 / qps
        self._next = 0.0
        self._lock = threading.Lock()
        self.taken = 0  # submissions started
        self.stopped_by = ""  # "--limit" or "--time-limit" once a submission was refused

    @property
    def bounded(self) -> bool:
        return self.limit is not None or self.time_limit is not None

    def open(self) -> bool:
        """Whether a submission could start now (without taking it)."""
        with self._lock:
            return self._why_not(self._clock()) == ""

    def take(self) -> bool:
        """Start one submission if the budget allows it; False (and remember why) otherwise."""
        with self._lock:
            now = self._clock()
            why = self._why_not(now)
            if why:
                self.stopped_by = self.stopped_by or why
                return False
            self.taken += 1
            self._next = max(now, self._next) + self._interval
            return True

    def refuse(self) -> None:
        """Record that a submission was left because the budget was already spent."""
        with self._lock:
            self.stopped_by = self.stopped_by or self._why_not(self._clock()) or "--limit"

    def _why_not(self, now: float) -> str:
        if self.limit is not None and self.taken >= self.limit:
            return "--limit"
        if self.cutoff is not None and max(now, self._next) > self.cutoff:
            return "--time-limit"
        return ""

    def gate(self, writer: RemoteWriter) -> RemoteWriter:
        """``writer`` whose first ``submit_job`` takes a submission from this budget (or raises
        :class:`Deferred`); its retries and every other call pass straight through."""
        if not self.bounded:
            return writer
        return cast(RemoteWriter, _GatedWriter(writer, self))


class _GatedWriter:
    """One job's view of a writer: the POST is allowed once the budget gives its token."""

    def __init__(self, writer: RemoteWriter, budget: Budget) -> None:
        self._writer = writer
        self._budget = budget
        self._admitted = False

    def submit_job(self, request: Any) -> Any:
        if not self._admitted:
            if not self._budget.take():
                raise Deferred(request.input_object)
            self._admitted = True
        return self._writer.submit_job(request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer, name)
