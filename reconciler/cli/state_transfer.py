"""``reconciler state pull|push`` and ``force-unlock``: thin flows over the configured store
(:mod:`reconciler.state.transfer`), kept out of the CLI so they can be called and tested
directly. They read no manifests: the state is ``--state`` (or the default file)."""

from __future__ import annotations

from pathlib import Path

from reconciler.engine.workflow import Settings
from reconciler.state import transfer
from reconciler.state.local.fileio import atomic_write, ensure_dir


def pull_state(settings: Settings) -> bytes:
    """The state (journal included) in the local file format."""
    with settings.state() as store:
        return transfer.pull(store)


def write_local_state(path: Path, data: bytes) -> None:
    ensure_dir(path.absolute().parent)
    atomic_write(path, data)


def push_state(settings: Settings, file: Path, *, force: bool = False) -> str:
    """Make ``file`` the state under its lock, with Terraform's lineage and serial rules."""
    with settings.state() as store:
        return transfer.push(store, file, force=force)


def force_unlock_state(settings: Settings, lock_id: str) -> str:
    """Release the lock ``lock_id`` of the configured state; returns what was released."""
    with settings.state() as store:
        return store.force_unlock(lock_id)
