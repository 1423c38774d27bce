"""Put the example input videos into the embedded emulator, so `make demo` needs no account.

Reads examples/demo-objects.txt (one key per line; " #" starts a comment) and uploads a small
placeholder body for each key to every Target of examples/ whose endpoint is `embedded`.
Idempotent: running it again re-uploads the same bytes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from reconciler.engine.connect import connect
from reconciler.manifest import load
from reconciler.model import EMBEDDED

HERE = Path(__file__).resolve().parent


def demo_keys(path: Path) -> list[str]:
    keys = []
    for line in path.read_text().splitlines():
        key = line.split(" #", 1)[0].strip()
        if key and not key.startswith("#"):
            keys.append(key)
    return keys


def main() -> int:
    desired = load([HERE])
    targets = {n: t for n, t in desired.targets.items() if t.endpoint == EMBEDDED}
    keys = demo_keys(HERE / "demo-objects.txt")
    with connect(targets) as conns:
        for name, client in conns.clients.items():
            for key in keys:
                client.put_object(key, b"demo video " + key.encode(), "video/mp4")
            print(f"seeded {len(keys)} objects into target {name} ({client.bucket}, embedded)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
