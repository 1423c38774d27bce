"""``reconciler state pull|push`` and ``force-unlock`` for a COS state: thin flows over
:mod:`reconciler.state`, kept out of the CLI so they can be called and tested directly."""

from __future__ import annotations

from pathlib import Path

from reconciler.engine.workflow import Settings
from reconciler.errors import ConfigError, StateError
from reconciler.state.cos.lease import force_unlock
from reconciler.state.cos.store import CosStateStore
from reconciler.state.document import parse_document, render_document
from reconciler.state.local.fileio import atomic_write, ensure_dir


def _cos(settings: Settings, store: object) -> CosStateStore:
    if settings.state_backend is None or not isinstance(store, CosStateStore):
        raise ConfigError("this command needs a COS state: --state cos://BUCKET/KEY?region=REGION")
    return store


def pull_state(settings: Settings) -> bytes:
    """The COS state (journal included) in the local file format."""
    with settings.state() as store:
        snap = _cos(settings, store).read()
    return render_document(snap.serial, snap.lineage, snap.templates, snap.jobs)


def write_local_state(path: Path, data: bytes) -> None:
    ensure_dir(path.absolute().parent)
    atomic_write(path, data)


def push_state(settings: Settings, file: Path, *, force: bool = False) -> str:
    """Make ``file`` the COS state under the lease; refuses another lineage or an older serial
    than the COS state has (a push would silently drop newer records) unless ``force``."""
    doc = parse_document(file.read_bytes(), file)
    with settings.state() as store:
        cos = _cos(settings, store)
        with cos.open(command="state push", wait_seconds=30.0) as writer:
            now = writer.snapshot
            if not force and now.serial > 0 and now.lineage != doc.lineage:
                raise StateError(
                    f"{file} has lineage {doc.lineage} but {cos.name} has {now.lineage}: it is "
                    "another state; nothing was changed (use --force to replace it)"
                )
            if not force and now.serial > doc.serial:
                raise StateError(
                    f"{cos.name} is at serial {now.serial}, newer than {file} (serial "
                    f"{doc.serial}); nothing was changed (pull first, or use --force)"
                )
            writer.replace_all(doc)
            return f"Pushed {file} to {cos.name} (serial {writer.snapshot.serial})."


def force_unlock_cos(settings: Settings, lock_id: str) -> str:
    """Release the COS lease ``lock_id``; returns a description of the holder it had."""
    with settings.state() as store:
        held = force_unlock(_cos(settings, store).chain(), lock_id)
    return held.describe()
