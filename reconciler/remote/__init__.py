"""The service seen through two narrow interfaces.

Observation and planning only ever get a :class:`RemoteReader`; only apply gets a
:class:`RemoteWriter`. The concrete implementation is :class:`reconciler.remote.client.CIClient`
(one per target bucket); tests and benchmarks reach the emulator through the same class with an
injected httpx transport. Nothing outside ``reconciler.remote`` imports httpx or lxml.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from reconciler.model import (
    DescribeResult,
    JobDetail,
    JobPage,
    JobRequest,
    ObjectInfo,
    ObjectPage,
    Queue,
    RemoteTemplate,
    SnapshotSettings,
    TemplatePage,
)


class RemoteReader(Protocol):
    """Read-only calls. Every method raises :class:`reconciler.errors.RemoteError` subclasses."""

    bucket: str
    region: str

    def list_templates(
        self, *, name_prefix: str | None = None, page_number: int = 1, page_size: int = 100
    ) -> TemplatePage: ...

    def get_templates(self, ids: Sequence[str]) -> list[RemoteTemplate]: ...

    def describe_jobs(self, ids: Sequence[str]) -> DescribeResult: ...

    def list_jobs(
        self,
        *,
        input_object: str | None = None,
        states: Sequence[str] | None = None,
        start_creation_time: datetime | None = None,
        end_creation_time: datetime | None = None,
        order_by_time: str = "Desc",
        size: int = 100,
        next_token: str = "",
        queue_id: str | None = None,
    ) -> JobPage: ...

    def list_queues(self, *, page_number: int = 1, page_size: int = 10) -> list[Queue]: ...

    def list_objects(
        self, *, prefix: str = "", marker: str = "", max_keys: int = 1000
    ) -> ObjectPage: ...

    def head_object(self, key: str) -> ObjectInfo | None: ...


class RemoteWriter(RemoteReader, Protocol):
    """Calls that change the service. ``submit_job`` raises NoReplyError when the reply is lost."""

    def create_template(self, name: str, snapshot: SnapshotSettings) -> RemoteTemplate: ...

    def update_template(
        self, template_id: str, name: str, snapshot: SnapshotSettings
    ) -> RemoteTemplate: ...

    def delete_template(self, template_id: str) -> None: ...

    def submit_job(self, request: JobRequest) -> JobDetail: ...

    def cancel_job(self, job_id: str) -> None: ...

    def put_object(self, key: str, data: bytes, content_type: str | None = None) -> str: ...
