"""The one text form of a moment in records, plans and messages: ISO-8601 UTC to the second.

``2026-11-29T09:30:12Z``: sortable as text, readable in a diff, and what the service's own
times compare against (``fromisoformat`` reads its ``+0800`` offsets too). Every module that
writes or reads such a time goes through here, so the form cannot drift between them.
"""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    """``moment`` in UTC, whole seconds, ``Z`` suffix (naive times are taken as local)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def utc_now() -> str:
    """The current time as :func:`iso` text."""
    return iso(datetime.now(UTC))


def parse_iso(text: str) -> datetime:
    """The moment an ISO-8601 text names (``Z`` or an offset); ValueError when it is not one."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
