"""``endpoint: embedded``: the emulator run in this process, reached through a WSGI transport.

This is the one client-side module that builds the emulator (besides ``emulator serve`` in the
CLI): targets (``engine.connect``) and a COS state (``state.cos.backend``) both come here, so the
demo key pair and the data directory are chosen in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.remote.credentials import Credentials

EMBEDDED_DATA = Path(".reconciler") / "emulator"
EMBEDDED_BASE = "http://embedded.invalid"


def has_credentials(env: Mapping[str, str]) -> bool:
    return bool(env.get("TENCENTCLOUD_SECRET_ID") and env.get("TENCENTCLOUD_SECRET_KEY"))


def embedded_app(env: Mapping[str, str], data_dir: Path = EMBEDDED_DATA) -> tuple[Any, Credentials]:
    """The in-process emulator and the credentials both sides use (the environment's, else the
    fixed demo pair, which only ever works against this embedded emulator)."""
    from reconciler.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY, EmulatorConfig, create_app

    config = EmulatorConfig.from_env(dict(env), allow_demo=True, data_dir=str(data_dir))
    if has_credentials(env):
        creds = Credentials.from_env(env)
    else:
        creds = Credentials(DEMO_SECRET_ID, DEMO_SECRET_KEY)
    return create_app(config), creds
