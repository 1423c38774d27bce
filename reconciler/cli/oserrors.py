"""Operating-system errors as one line naming the path and the fix, and the checks that catch
the common ones before any work is done.

A traceback for "permission denied" tells the user nothing they can act on; the line says which
path and what to do. Checks run early (before the service is contacted or the lock is taken) so
nothing is half done when they fail; :func:`describe` covers whatever still slips through.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from urllib.parse import urlsplit

from reconciler.errors import ConfigError

_FIXES = {
    errno.EACCES: "check its permissions (or use another path)",
    errno.EPERM: "check its permissions (or use another path)",
    errno.EROFS: "it is on a read-only file system: use a writable path",
    errno.ENOENT: "create the missing directory first, or fix the path",
    errno.ENOTDIR: "a part of the path is a file, not a directory: fix the path",
    errno.EISDIR: "it is a directory: give a file path",
    errno.ENOSPC: "the disk is full: free some space and re-run",
    errno.EADDRINUSE: "the address is in use: choose another --port",
}


def describe(exc: OSError) -> str:
    """``path: what happened; the fix`` for any OSError (no path for a socket's error)."""
    where = f"{exc.filename}: " if exc.filename is not None else ""
    what = exc.strerror or str(exc)
    fix = _FIXES.get(exc.errno or 0)
    return f"{where}{what}" + (f"; {fix}" if fix else "")


def check_file_path(path: Path, what: str, option: str) -> None:
    """Refuse a file path that can never be written: a directory, or one under a regular file."""
    if path.is_dir():
        raise ConfigError(f"{option} {path} is a directory; give a file path, e.g. {path / what}")
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(
                    f"{option} {path}: {parent} is a file, not a directory; fix the path"
                )
            return


def check_state_path(path: Path) -> None:
    check_file_path(path, "state.json", "--state")


def check_out_path(path: Path) -> None:
    """``plan --out`` into a missing directory is refused (as Terraform does) rather than
    creating it: a typo in a CI recipe should fail loudly, not scatter directories."""
    check_file_path(path, "plan.json", "--out")
    parent = path.absolute().parent
    if not parent.is_dir():
        raise ConfigError(
            f"--out {path}: directory {path.parent} does not exist; create it first "
            f"(mkdir -p {path.parent})"
        )
    if not os.access(parent, os.W_OK):
        raise ConfigError(f"--out {path}: directory {path.parent} is not writable")


def check_endpoint(endpoint: str | None) -> None:
    """``--endpoint 127.0.0.1:9311`` would be taken as a relative URL and retried five times:
    refuse anything but ``embedded`` or an http(s) URL with a host, at once."""
    if endpoint is None or endpoint == "embedded":
        return
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"--endpoint {endpoint!r} is not a URL: give the scheme, e.g. "
            f"http://{endpoint.split('://')[-1]} (or 'embedded')"
        )
