"""COS state stores on a served emulator (real HTTP, signed requests)."""

from __future__ import annotations

from reconciler.remote.client import CIClient
from reconciler.remote.credentials import Credentials
from reconciler.state.clock import SYSTEM_CLOCK, Clock
from reconciler.state.cos.store import CosStateStore
from tests.helpers.identity import SECRET_ID, SECRET_KEY

STATE_BUCKET = "tfstate-1250000000"
REGION = "ap-chongqing"
KEY = "teams/media/state.json"


def client(url: str) -> CIClient:
    return CIClient(STATE_BUCKET, REGION, Credentials(SECRET_ID, SECRET_KEY), endpoint=url)


def state_url(url: str) -> str:
    return f"cos://{STATE_BUCKET}/{KEY}?region={REGION}&endpoint={url}"


def store(objects: CIClient, lease: float = 30.0, clock: Clock = SYSTEM_CLOCK) -> CosStateStore:
    return CosStateStore(
        objects, KEY, name=f"cos://{STATE_BUCKET}/{KEY}", lease_seconds=lease, clock=clock
    )
