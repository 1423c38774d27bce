"""Who is running: the user name recorded in a lock or lease so others can see who holds it."""

from __future__ import annotations

import getpass
import os


def current_user() -> str:
    """The login name, or ``uid N`` when the environment names no user (e.g. in a container)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return f"uid {os.getuid()}"
