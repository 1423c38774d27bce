"""CIClient: the typed CI/COS calls reconciler needs, one instance per target bucket.

Each method says what it sends (path, parameters, body) and which reply shape it expects; the
signing, sending, retrying and error mapping live in :mod:`reconciler.remote.transport`, and the
XML in :mod:`reconciler.remote.codec`. Job submission and template creation are the two calls
that are never blindly repeated: a lost reply surfaces as NoReplyError for the caller to settle
by listing (jobs by ``inputObject``, templates by name).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

import httpx

from reconciler.errors import ApiError
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
from reconciler.remote import codec
from reconciler.remote.credentials import Credentials
from reconciler.remote.ratelimit import RateLimiter
from reconciler.remote.retry import RetryPolicy
from reconciler.remote.transport import Call, Exchange, Reply

DEFAULT_TIMEOUT = 30.0
MAX_DESCRIBE_IDS = 100
MAX_LIST_SIZE = 100
_XML = "application/xml"
_MAX_OBJECT_BYTES = 256 << 20


class CIClient:
    """Implements :class:`reconciler.remote.RemoteWriter` over httpx."""

    def __init__(
        self,
        bucket: str,
        region: str,
        credentials: Credentials,
        *,
        endpoint: str | None = None,
        transport: httpx.BaseTransport | None = None,
        http: httpx.Client | None = None,
        submit_limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        budget: float | None = None,
        max_reply_bytes: int = codec.DEFAULT_MAX_BYTES,
    ) -> None:
        """``timeout``: one request's overall deadline (connect, headers, body); ``budget``: all
        attempts of one call together (default twice ``timeout``)."""
        self.bucket = bucket
        self.region = region
        self._max = max_reply_bytes
        self._limiter = submit_limiter or RateLimiter()
        self._x = Exchange(
            bucket,
            region,
            credentials,
            endpoint=endpoint,
            transport=transport,
            http=http,
            retry=retry or RetryPolicy(),
            timeout=timeout,
            budget=budget,
            max_reply_bytes=max_reply_bytes,
        )

    def close(self) -> None:
        """Close the connection pool unless it was lent to us (``http=``)."""
        self._x.close()

    def __enter__(self) -> CIClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CIClient(bucket={self.bucket!r}, region={self.region!r})"

    def _ci(self, op: str, method: str, path: str, **options: Any) -> Reply:
        return self._x.call(Call(op, method, "ci", path, **options))

    def _cos(self, op: str, method: str, path: str, **options: Any) -> Reply:
        return self._x.call(Call(op, method, "cos", path, **options))

    # ---------------------------------------------------------------- templates

    def create_template(self, name: str, snapshot: SnapshotSettings) -> RemoteTemplate:
        """``POST /template``; a lost reply is NoReplyError (adopt the template by name)."""
        op = f"create_template {name}"
        body = codec.template_body(name, snapshot)
        reply = self._ci(op, "POST", "/template", body=body, content_type=_XML, idempotent=False)
        return codec.template_reply(reply.body, op, self._max)

    def update_template(
        self, template_id: str, name: str, snapshot: SnapshotSettings
    ) -> RemoteTemplate:
        op = f"update_template {template_id}"
        body = codec.template_body(name, snapshot)
        path = f"/template/{_segment(template_id)}"
        reply = self._ci(op, "PUT", path, body=body, content_type=_XML)
        return codec.template_reply(reply.body, op, self._max)

    def delete_template(self, template_id: str) -> None:
        op = f"delete_template {template_id}"
        reply = self._ci(op, "DELETE", f"/template/{_segment(template_id)}")
        codec.delete_reply(reply.body, op, self._max)

    def list_templates(
        self, *, name_prefix: str | None = None, page_number: int = 1, page_size: int = 100
    ) -> TemplatePage:
        """One page of the bucket's custom Snapshot templates, optionally by name prefix."""
        params = [("tag", "Snapshot"), ("category", "Custom")]
        if name_prefix:
            params.append(("name", name_prefix))
        params += [("pageNumber", str(page_number)), ("pageSize", str(page_size))]
        reply = self._ci("list_templates", "GET", "/template", params=tuple(params))
        return codec.template_page(reply.body, "list_templates", self._max)

    def get_templates(self, ids: Sequence[str]) -> list[RemoteTemplate]:
        """The templates among ``ids`` that exist (unknown ids are simply absent)."""
        found: list[RemoteTemplate] = []
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), MAX_LIST_SIZE):
            chunk = unique[start : start + MAX_LIST_SIZE]
            params = (
                ("tag", "Snapshot"),
                ("ids", ",".join(_segment(i) for i in chunk)),
                ("pageNumber", "1"),
                ("pageSize", str(len(chunk))),
            )
            reply = self._ci("get_templates", "GET", "/template", params=params)
            found += codec.template_page(reply.body, "get_templates", self._max).templates
        return found

    # ---------------------------------------------------------------- jobs

    def submit_job(self, request: JobRequest) -> JobDetail:
        """``POST /jobs``, paced by the submit limiter. Never repeated once it may have arrived."""
        op = f"submit_job {request.input_object}"
        reply = self._ci(
            op,
            "POST",
            "/jobs",
            body=codec.job_body(request),
            content_type=_XML,
            idempotent=False,
            limiter=self._limiter,
        )
        return codec.submit_reply(reply.body, op, self._max)

    def describe_jobs(self, ids: Sequence[str]) -> DescribeResult:
        """Up to :data:`MAX_DESCRIBE_IDS` jobs in one ``GET /jobs/<a>,<b>`` call."""
        if not ids:
            return DescribeResult(jobs=())
        if len(ids) > MAX_DESCRIBE_IDS:
            raise ValueError(f"describe_jobs takes at most {MAX_DESCRIBE_IDS} ids, got {len(ids)}")
        path = "/jobs/" + ",".join(_segment(i) for i in ids)
        reply = self._ci("describe_jobs", "GET", path)
        return codec.describe_reply(reply.body, "describe_jobs", self._max)

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
        """One page of Snapshot jobs; naive datetimes are taken as UTC. ``queue_id`` is sent as
        ``queueId`` (several DescribeMediaJobs pages mark it required)."""
        if not 1 <= size <= MAX_LIST_SIZE:
            raise ValueError(f"size must be within 1..{MAX_LIST_SIZE}, got {size}")
        params = [("tag", "Snapshot"), ("orderByTime", order_by_time), ("size", str(size))]
        optional = {
            "queueId": queue_id or "",
            "inputObject": input_object or "",
            "states": ",".join(states or ()),
            "startCreationTime": _api_time(start_creation_time),
            "endCreationTime": _api_time(end_creation_time),
            "nextToken": next_token,
        }
        params += [(name, value) for name, value in optional.items() if value]
        reply = self._ci("list_jobs", "GET", "/jobs", params=tuple(params))
        return codec.job_page(reply.body, "list_jobs", self._max)

    def cancel_job(self, job_id: str) -> None:
        """``PUT /jobs/<id>?cancel`` (``cancel`` signed, as the GO SDK does)."""
        op = f"cancel_job {job_id}"
        self._ci(op, "PUT", f"/jobs/{_segment(job_id)}", params=(("cancel", ""),), body=b"")

    def list_queues(self, *, page_number: int = 1, page_size: int = 10) -> list[Queue]:
        params = (("pageNumber", str(page_number)), ("pageSize", str(page_size)))
        reply = self._ci("list_queues", "GET", "/queue", params=params)
        return codec.queue_list(reply.body, "list_queues", self._max)

    # ---------------------------------------------------------------- preflight

    def endpoint(self, service: Literal["ci", "cos"] = "ci") -> str:
        """Where calls for ``service`` go (the base URL, for messages and ``doctor``)."""
        return self._x.where(service)

    def probe(self) -> tuple[str, ApiError | None]:
        """One signed read of the bucket (``GET /?max-keys=1``): the reply's ``Date`` header and
        the service's refusal, if any. Refusals (4xx) come back instead of raising so that the
        ``Date`` of a rejected request can still tell a skewed clock."""
        reply = self._cos(
            "probe", "GET", "/", params=(("max-keys", "1"),), accept=frozenset(range(400, 500))
        )
        refusal = None
        if reply.status >= 400:
            refusal = codec.api_error(reply.status, reply.body, "probe", reply.request_id)
        return reply.headers.get("date", ""), refusal

    # ---------------------------------------------------------------- COS objects

    def list_objects(
        self, *, prefix: str = "", marker: str = "", max_keys: int = 1000
    ) -> ObjectPage:
        params = [(n, v) for n, v in (("prefix", prefix), ("marker", marker)) if v]
        params.append(("max-keys", str(max_keys)))
        reply = self._cos("list_objects", "GET", "/", params=tuple(params))
        return codec.object_page(reply.body, "list_objects", self._max)

    def head_object(self, key: str) -> ObjectInfo | None:
        """Object metadata, or None when the object does not exist."""
        reply = self._cos(f"head_object {key}", "HEAD", _key_path(key), accept=frozenset({404}))
        if reply.status == 404:
            return None
        length = reply.headers.get("content-length", "0")
        return ObjectInfo(
            key=key,
            etag=codec.unquote_etag(reply.headers.get("etag", "")),
            size=int(length) if length.isdigit() else 0,
            last_modified=reply.headers.get("last-modified", ""),
        )

    def put_object(self, key: str, data: bytes, content_type: str | None = None) -> str:
        """Upload ``data``; return its ETag (unquoted)."""
        reply = self._cos(
            f"put_object {key}", "PUT", _key_path(key), body=data, content_type=content_type
        )
        return codec.unquote_etag(reply.headers.get("etag", ""))

    def get_object(self, key: str) -> bytes:
        reply = self._cos(
            f"get_object {key}", "GET", _key_path(key), max_bytes=max(self._max, _MAX_OBJECT_BYTES)
        )
        return reply.body

    def delete_object(self, key: str) -> None:
        self._cos(f"delete_object {key}", "DELETE", _key_path(key))

    def create_object(self, key: str, data: bytes, content_type: str | None = None) -> str | None:
        """Upload ``data`` only if ``key`` does not exist yet (``x-cos-forbid-overwrite: true``).

        Returns the new ETag, or None when the key already exists (COS answers 409
        FileAlreadyExists). The call may be repeated after a lost reply, so None can also mean
        "our own earlier attempt created it": callers that care compare the stored bytes.
        """
        reply = self._cos(
            f"create_object {key}",
            "PUT",
            _key_path(key),
            body=data,
            content_type=content_type,
            headers=(("x-cos-forbid-overwrite", "true"),),
            accept=frozenset({409}),
        )
        if reply.status == 409:
            return None
        return codec.unquote_etag(reply.headers.get("etag", ""))

    def read_object(self, key: str) -> tuple[bytes, str] | None:
        """``(body, etag)`` of ``key``, or None when it does not exist."""
        reply = self._cos(
            f"read_object {key}",
            "GET",
            _key_path(key),
            max_bytes=max(self._max, _MAX_OBJECT_BYTES),
            accept=frozenset({404}),
        )
        if reply.status == 404:
            return None
        return reply.body, codec.unquote_etag(reply.headers.get("etag", ""))


def _segment(value: str) -> str:
    """An id placed in a path segment or comma list must not be able to change the route."""
    if not value or any(c in value for c in "/,?#") or value in (".", ".."):
        raise ValueError(f"invalid id {value!r}")
    return value


def _key_path(key: str) -> str:
    if not key or key.startswith("/"):
        raise ValueError(f"invalid object key {key!r}")
    return "/" + key


def _api_time(value: datetime | None) -> str:
    """``2001-01-01T00:00:00+0800`` (ci-api.md 3.5)."""
    if value is None:
        return ""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%S%z")


if TYPE_CHECKING:
    from reconciler.remote import RemoteWriter

    def _conforms(client: CIClient) -> RemoteWriter:
        """mypy proves here that CIClient satisfies the RemoteWriter Protocol."""
        return client
