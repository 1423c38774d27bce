"""A RemoteWriter whose every call returns or raises the next step of a per-method script.

This is the one fake of the suite, asked for by the exactly-once decision tables: the emulator
can drop replies and throttle at random, but a table row needs one exact sequence of answers
("the POST's reply is lost, the first lookup finds nothing, the second finds the job"). Each call
is recorded by method name, so a row can assert the calls made, in order. A call the script
does not expect fails the test naming the call, so no row passes by accident.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

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

Step = Any  # a value to return, or an exception instance to raise

NO_JOBS = JobPage(jobs=(), next_token="")


def templates_page(*templates: RemoteTemplate) -> TemplatePage:
    return TemplatePage(templates, len(templates), 1, 100)


class ScriptedWriter:
    """``script`` maps a method name to its answers, used in order. ``list_queues`` answers no
    queues unless scripted (a bucket without named queues)."""

    bucket = "media-1250000000"
    region = "ap-chongqing"

    def __init__(self, **script: Sequence[Step]) -> None:
        self.script = {name: list(steps) for name, steps in script.items()}
        self.calls: list[str] = []
        self.requests: list[JobRequest] = []

    def _next(self, name: str) -> Any:
        self.calls.append(name)
        steps = self.script.get(name)
        if not steps:
            raise AssertionError(f"unscripted call {name} (calls so far: {self.calls})")
        step = steps.pop(0)
        if isinstance(step, BaseException):
            raise step
        return step

    def unused(self) -> dict[str, list[Step]]:
        """Script steps never reached: a row that scripted them expected calls that did not come."""
        return {name: steps for name, steps in self.script.items() if steps}

    # -- RemoteReader ------------------------------------------------------------------------

    def list_templates(
        self, *, name_prefix: str | None = None, page_number: int = 1, page_size: int = 100
    ) -> TemplatePage:
        page: TemplatePage = self._next("list_templates")
        return page

    def get_templates(self, ids: Sequence[str]) -> list[RemoteTemplate]:
        found: list[RemoteTemplate] = self._next("get_templates")
        return found

    def describe_jobs(self, ids: Sequence[str]) -> DescribeResult:
        result: DescribeResult = self._next("describe_jobs")
        return result

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
    ) -> JobPage:
        page: JobPage = self._next("list_jobs")
        return page

    def list_queues(self, *, page_number: int = 1, page_size: int = 10) -> list[Queue]:
        if "list_queues" not in self.script:
            return []
        queues: list[Queue] = self._next("list_queues")
        return queues

    def list_objects(
        self, *, prefix: str = "", marker: str = "", max_keys: int = 1000
    ) -> ObjectPage:
        page: ObjectPage = self._next("list_objects")
        return page

    def head_object(self, key: str) -> ObjectInfo | None:
        info: ObjectInfo | None = self._next("head_object")
        return info

    # -- RemoteWriter ------------------------------------------------------------------------

    def create_template(self, name: str, snapshot: SnapshotSettings) -> RemoteTemplate:
        tpl: RemoteTemplate = self._next("create_template")
        return tpl

    def update_template(
        self, template_id: str, name: str, snapshot: SnapshotSettings
    ) -> RemoteTemplate:
        tpl: RemoteTemplate = self._next("update_template")
        return tpl

    def delete_template(self, template_id: str) -> None:
        self._next("delete_template")

    def submit_job(self, request: JobRequest) -> JobDetail:
        self.requests.append(request)
        detail: JobDetail = self._next("submit_job")
        return detail

    def cancel_job(self, job_id: str) -> None:
        self._next("cancel_job")

    def put_object(self, key: str, data: bytes, content_type: str | None = None) -> str:
        etag: str = self._next("put_object")
        return etag
