"""``reconciler doctor``: a read-only preflight of an account before the first real run.

Each check answers one question a first run would otherwise answer with a failure halfway:
are credentials set and accepted, is this machine's clock close enough to the service's, does
each target bucket answer, is CI enabled for it (its queues list), can templates be listed, can
the state be read and is its lock free, and which endpoint is in use. Nothing is written: the
bucket is probed with one signed ``GET /?max-keys=1``, the lock is read, not taken.

Clock limits. Requests are signed for ``[now - 60 s, now + 1 h]`` (signer.BACKDATE_SECONDS, the
Python SDK's window), so a clock more than 60 s *ahead* signs requests that start in the
service's future; and the lost-reply lookup looks 15 min before an intent
(engine.submit.CLOCK_SKEW), so a clock more than 15 min *behind* is refused too (it also
exceeds the 15 min that object stores commonly tolerate). More than 30 s either way is a
warning: it is the first thing to rule out when a signature is refused.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal

from reconciler import manifest
from reconciler.engine.submit import CLOCK_SKEW
from reconciler.engine.workflow import Settings, open_connections
from reconciler.errors import ConfigError, ReconcilerError, RemoteError
from reconciler.model import EMBEDDED, DesiredState
from reconciler.remote.client import CIClient
from reconciler.remote.embedded import EMBEDDED_BASE, has_credentials
from reconciler.remote.signer import BACKDATE_SECONDS

Status = Literal["ok", "warn", "fail", "skip"]
WARN_SKEW = 30.0
FAIL_AHEAD = float(BACKDATE_SECONDS)
FAIL_BEHIND = CLOCK_SKEW.total_seconds()
AUTH_CODES = {
    "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidAuthorization",
    "SignatureExpired", "RequestTimeTooSkewed", "InvalidSecurityToken", "ExpiredToken",
}  # fmt: skip
KEYS_FIX = (
    "export TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY of a key allowed to use COS "
    "and CI on the bucket (and TENCENTCLOUD_SECURITY_TOKEN with temporary keys)"
)


@dataclass(frozen=True)
class Check:
    """One line of the checklist; ``fix`` says what to do when it did not pass."""

    name: str
    status: Status
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]


def run_doctor(
    paths: Sequence[str | Path], settings: Settings, *, now: Callable[[], float] = time.time
) -> Report:
    """Every check for the manifests' targets and state; never raises for a failed check."""
    desired = manifest.load(paths)
    settings = settings.with_state(desired.state)
    checks = [_credentials_present(desired, settings)]
    if checks[0].status != "fail":
        try:
            with open_connections(desired, settings) as conns:
                for name, client in sorted(conns.clients.items()):
                    checks += _target(name, client, now)
        except ConfigError as exc:
            checks.append(Check("connect", "fail", str(exc), KEYS_FIX))
    checks += _state(settings)
    return Report(tuple(checks))


def _credentials_present(desired: DesiredState, settings: Settings) -> Check:
    env = os.environ if settings.env is None else settings.env
    real = sorted(
        n for n, t in desired.targets.items() if (settings.endpoint or t.endpoint) != EMBEDDED
    )
    if not real:
        return Check("credentials", "ok", "embedded emulator only (no account needed)")
    if has_credentials(env):
        return Check("credentials", "ok", "TENCENTCLOUD_SECRET_ID and _KEY are set")
    return Check("credentials", "fail", f"not set, needed by target(s) {', '.join(real)}", KEYS_FIX)


def _target(name: str, client: CIClient, now: Callable[[], float]) -> list[Check]:
    label = f"target {name} ({client.bucket}, {client.region})"
    ci, cos = client.endpoint("ci"), client.endpoint("cos")
    where = "the embedded emulator" if ci == EMBEDDED_BASE else f"CI {ci}, COS {cos}"
    checks = [Check("endpoint", "ok", f"{label}: {where}")]
    try:
        date, refusal = client.probe()
    except RemoteError as exc:
        fix = "check the network, the region and any --endpoint; try a longer --request-timeout"
        checks.append(Check("bucket", "fail", f"{label}: {exc}", fix))
        return [*checks, Check("ci", "skip", f"{label}: bucket did not answer")]
    checks.append(_clock(label, date, now()))
    if refusal is not None and refusal.code in AUTH_CODES:
        fix = KEYS_FIX + "; a refused signature can also be a skewed clock (see clock)"
        checks.append(Check("credentials accepted", "fail", f"{label}: {refusal}", fix))
        return [*checks, Check("ci", "skip", f"{label}: credentials refused")]
    checks.append(Check("credentials accepted", "ok", f"{label}: a signed read was accepted"))
    if refusal is not None:
        fix = "check spec.bucket (<name>-<APPID>) and spec.region of the Target"
        if refusal.code != "NoSuchBucket":
            fix = "grant the key cos:GetBucket on the bucket (README, permissions)"
        checks.append(Check("bucket", "fail", f"{label}: {refusal}", fix))
        return [*checks, Check("ci", "skip", f"{label}: bucket did not answer")]
    checks.append(Check("bucket", "ok", f"{label}: answers"))
    return checks + _ci(label, client)


def _clock(label: str, date: str, local: float) -> Check:
    try:
        server = parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return Check("clock", "warn", f"{label}: the reply had no usable Date header ({date!r})")
    skew = local - server
    side = "ahead of" if skew > 0 else "behind"
    detail = f"this machine's clock is {abs(skew):.0f} s {side} the service's"
    fix = "synchronise the clock (NTP: timedatectl set-ntp true, or chronyc makestep)"
    if skew > FAIL_AHEAD or -skew > FAIL_BEHIND:
        limit = FAIL_AHEAD if skew > 0 else FAIL_BEHIND
        return Check("clock", "fail", f"{detail} (limit {limit:.0f} s)", fix)
    if abs(skew) > WARN_SKEW:
        return Check("clock", "warn", detail, fix)
    return Check("clock", "ok", detail)


def _ci(label: str, client: CIClient) -> list[Check]:
    checks: list[Check] = []
    try:
        queues = client.list_queues(page_size=100)
    except RemoteError as exc:
        fix = "enable Cloud Infinite (CI) for the bucket in the CI console (bind the bucket)"
        return [Check("ci", "fail", f"{label}: {exc}", fix)]
    if queues:
        ids = ", ".join(q.queue_id for q in queues[:3]) + (" ..." if len(queues) > 3 else "")
        checks.append(Check("ci", "ok", f"{label}: CI enabled, {len(queues)} queue(s): {ids}"))
    else:
        fix = "bind the bucket to CI media processing; its default queue then appears"
        checks.append(Check("ci", "fail", f"{label}: CI lists no queue", fix))
    try:
        page = client.list_templates(page_size=1)
    except RemoteError as exc:
        fix = "grant the key ci:DescribeMediaTemplates (README, permissions)"
        return [*checks, Check("templates", "fail", f"{label}: {exc}", fix)]
    detail = f"{label}: {page.total_count} custom Snapshot template(s)"
    return [*checks, Check("templates", "ok", detail)]


def _state(settings: Settings) -> list[Check]:
    where = settings.location.url
    try:
        with settings.state() as store:
            snapshot = store.read()
            segments = store.verify()
            holder = store.holder()
    except (ReconcilerError, OSError) as exc:
        fix = "check --state / the manifests' state: and, for COS, that the key can read it"
        return [Check("state", "fail", f"{where}: {exc}", fix)]
    size = f"serial {snapshot.serial}, {len(snapshot.jobs)} job(s), {segments} segment(s) intact"
    checks = [Check("state", "ok", f"{where}: readable ({size})")]
    if holder is None:
        return [*checks, Check("state lock", "ok", "free")]
    fix = "wait for that run to finish; if it died, reconciler force-unlock LOCK_ID"
    return [*checks, Check("state lock", "fail", f"held by {holder}", fix)]
