"""API credentials, read only from the environment and never shown.

The secret key and the temporary token must not reach logs, reprs or exception messages, so the
dataclass hides them from ``repr`` and exposes only the SecretId (which is an identifier, and is
sent in clear in every Authorization header anyway).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.errors import ConfigError

ENV_SECRET_ID = "TENCENTCLOUD_SECRET_ID"
ENV_SECRET_KEY = "TENCENTCLOUD_SECRET_KEY"
ENV_SECURITY_TOKEN = "TENCENTCLOUD_SECURITY_TOKEN"


@dataclass(frozen=True)
class Credentials:
    """A SecretId/SecretKey pair, plus a session token for temporary (STS) credentials."""

    secret_id: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.secret_id or not self.secret_key:
            raise ConfigError("credentials need both a SecretId and a SecretKey")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Credentials:
        """Build credentials from ``TENCENTCLOUD_*`` variables; name the first one missing."""
        source = os.environ if env is None else env
        values = {}
        for name in (ENV_SECRET_ID, ENV_SECRET_KEY):
            value = source.get(name, "").strip()
            if not value:
                raise ConfigError(f"environment variable {name} is not set")
            values[name] = value
        token = source.get(ENV_SECURITY_TOKEN, "").strip() or None
        return cls(values[ENV_SECRET_ID], values[ENV_SECRET_KEY], token)
