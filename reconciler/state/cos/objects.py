"""The few object-store calls the COS state backend needs, and create-exactly-once on top.

Why only create-if-absent: COS offers ``x-cos-forbid-overwrite: true`` on PUT Object (an
existing key is refused with 409 FileAlreadyExists), but documents If-Match / If-None-Match only
for reads (GET/HEAD Object answer 412/304); nothing documents compare-and-swap on a write.
So every object the state backend writes is immutable and created once: state versions, journal
chunks and lease generations each get a fresh key, and "exactly one writer wins" is "exactly one
PUT created the key". Sources: PUT Object https://cloud.tencent.com/document/product/436/7749,
HEAD Object https://cloud.tencent.com/document/product/436/7745, error codes (409 conflicts,
412 PreconditionFailed) https://intl.cloud.tencent.com/document/api/436/7730.
"""

from __future__ import annotations

from typing import Protocol

from reconciler.errors import StateError
from reconciler.model import ObjectInfo, ObjectPage

_CREATE_ATTEMPTS = 4


class ObjectStore(Protocol):
    """What :class:`reconciler.remote.client.CIClient` offers for objects (structurally)."""

    def create_object(
        self, key: str, data: bytes, content_type: str | None = None
    ) -> str | None: ...

    def read_object(self, key: str) -> tuple[bytes, str] | None: ...

    def list_objects(
        self, *, prefix: str = "", marker: str = "", max_keys: int = 1000
    ) -> ObjectPage: ...

    def delete_object(self, key: str) -> None: ...


def create_exactly(store: ObjectStore, key: str, data: bytes) -> bool:
    """Create ``key`` with ``data`` unless it exists; True when the stored bytes are ours.

    A 409 is not trusted on its own: after a lost reply the retried PUT is refused because our
    first attempt created the key, and COS also answers 409 for racing uploads (PathConflict,
    UploadConflict) where possibly nobody won. So the key is read back: our exact bytes mean we
    created it (callers put a random nonce in every body), other bytes mean another writer did,
    and no object means nobody did and we try again.
    """
    for _ in range(_CREATE_ATTEMPTS):
        if store.create_object(key, data, "application/json") is not None:
            return True
        found = store.read_object(key)
        if found is not None:
            return found[0] == data
    raise StateError(f"could not create {key}: the store kept answering 409 with no object there")


def list_keys(store: ObjectStore, prefix: str) -> list[str]:
    """Every key under ``prefix``, in key order (all pages)."""
    return [o.key for o in list_all(store, prefix)]


def list_all(store: ObjectStore, prefix: str) -> list[ObjectInfo]:
    """Every object under ``prefix`` (key and size), in key order (all pages)."""
    found: list[ObjectInfo] = []
    marker = ""
    while True:
        page = store.list_objects(prefix=prefix, marker=marker, max_keys=1000)
        found.extend(page.objects)
        if not page.is_truncated or not page.objects:
            return found
        marker = page.next_marker or page.objects[-1].key


def read_newest(store: ObjectStore, prefix: str, gone: str) -> tuple[str, bytes] | None:
    """The last key under ``prefix`` with its bytes, or None when there is none.

    The newest object can be deleted between the listing and the read (a compaction or a prune
    ran meanwhile), so the pair is retried a few times before ``StateError(gone)``.
    """
    for _ in range(5):
        keys = list_keys(store, prefix)
        if not keys:
            return None
        found = store.read_object(keys[-1])
        if found is not None:
            return keys[-1], found[0]
    raise StateError(gone)


def delete_quietly(store: ObjectStore, keys: list[str]) -> None:
    """Delete ``keys`` (garbage: failures only leave litter that a later run removes)."""
    for key in keys:
        store.delete_object(key)
