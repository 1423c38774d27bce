"""Emulator settings: accepted credentials, persistence and fault injection.

Everything the emulator may vary lives here so that tests build one value and pass it in
(no globals, no patching). The clock is injectable because job lifecycles are computed from
it lazily: a test moves time forward instead of sleeping.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

#: Fixed demo key pair. Only ever used by the *embedded* emulator when the environment has no
#: credentials, so that the examples run with no setup (design.md, "The emulator").
DEMO_SECRET_ID = "AKIDemulatorDEMOkey0000000000000000"
DEMO_SECRET_KEY = "emulatorDEMOsecretKEY00000000000"


#: COS bucket names (``<name>-<appid>``: lower-case letters, digits, '-') and region names.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]{0,58}[a-z0-9]$")
_REGION = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class EmulatorConfigError(ValueError):
    """The configuration cannot work (no credentials, rates outside [0, 1], ...)."""


@dataclass
class EmulatorConfig:
    """How one emulator instance behaves. Rates are shares in [0, 1]."""

    credentials: dict[str, str]
    security_token: str | None = None
    data_dir: str | None = None
    latency_ms: float = 0.0
    qps: float = 0.0
    fail_rate: float = 0.0
    slowdown_rate: float = 0.0
    drop_after_commit_rate: float = 0.0
    job_seconds: float = 2.0
    seed: int | None = None
    default_bucket: str = "examplebucket-1250000000"
    default_region: str = "ap-guangzhou"
    #: Seed for the reply-variant dice (see :mod:`variants`); None sends the plain shapes.
    reply_variants: int | None = None
    #: GET /jobs without ``queueId`` is refused (some DescribeMediaJobs pages mark it required).
    list_requires_queue_id: bool = False
    clock: Callable[[], float] = field(default=time.time, repr=False)

    def __post_init__(self) -> None:
        for name in ("fail_rate", "slowdown_rate", "drop_after_commit_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise EmulatorConfigError(f"{name} must be within [0, 1], got {value}")
        for name in ("latency_ms", "qps", "job_seconds"):
            if getattr(self, name) < 0:
                raise EmulatorConfigError(f"{name} must not be negative")
        if not self.credentials:
            raise EmulatorConfigError("the emulator needs at least one SecretId/SecretKey pair")
        if not _BUCKET.match(self.default_bucket):
            raise EmulatorConfigError(
                f"bucket {self.default_bucket!r} is not a COS bucket name "
                "(lower-case letters, digits and '-', such as examplebucket-1250000000)"
            )
        if not _REGION.match(self.default_region):
            raise EmulatorConfigError(
                f"region {self.default_region!r} is not a region name (such as ap-guangzhou)"
            )

    def __repr__(self) -> str:
        # Secrets never appear in reprs: show the SecretIds only.
        return (
            f"EmulatorConfig(secret_ids={sorted(self.credentials)}, data_dir={self.data_dir!r}, "
            f"job_seconds={self.job_seconds}, qps={self.qps}, fail_rate={self.fail_rate}, "
            f"slowdown_rate={self.slowdown_rate}, "
            f"drop_after_commit_rate={self.drop_after_commit_rate}, seed={self.seed}, "
            f"default_bucket={self.default_bucket!r}, default_region={self.default_region!r}, "
            f"reply_variants={self.reply_variants}, "
            f"list_requires_queue_id={self.list_requires_queue_id})"
        )

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, allow_demo: bool = False, **overrides: Any
    ) -> EmulatorConfig:
        """Credentials from TENCENTCLOUD_SECRET_ID/_KEY (and _SECURITY_TOKEN).

        With ``allow_demo`` and neither variable set, the fixed demo pair is used; a half-set
        pair is always an error because it is certainly a mistake.
        """
        env = os.environ if env is None else env
        secret_id = env.get("TENCENTCLOUD_SECRET_ID", "")
        secret_key = env.get("TENCENTCLOUD_SECRET_KEY", "")
        token = env.get("TENCENTCLOUD_SECURITY_TOKEN") or None
        if bool(secret_id) != bool(secret_key):
            raise EmulatorConfigError(
                "set both TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (only one is set)"
            )
        if not secret_id:
            if not allow_demo:
                raise EmulatorConfigError(
                    "the emulator accepts the credentials of its environment: set "
                    "TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY before starting it"
                )
            secret_id, secret_key, token = DEMO_SECRET_ID, DEMO_SECRET_KEY, None
        base = cls(credentials={secret_id: secret_key}, security_token=token)
        return replace(base, **overrides)
