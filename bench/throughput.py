"""Submission throughput at the service's cap, client CPU per job, and the official SDK's loop.

Three runs, each against its own served emulator process on loopback:

1. ``--latency-ms 150 --qps 10``: ``apply`` of N new jobs (real path: workflow.apply_manifests,
   16 workers, the client's 10 QPS token bucket). jobs/s over the job phase and over the whole
   apply, ratio to the cap, SlowDown replies absorbed by retries (POST /jobs the emulator saw
   minus jobs created) and failures that reached the user.
2. Same emulator settings: a serial loop of the official SDK (cos-python-sdk-v5
   ``CosS3Client.ci_create_media_jobs``, Tag Snapshot with the same template) -- what a typical
   user script does. Ratio ours/SDK.
3. ``--latency-ms 0 --qps 0``: the same apply with the limiter out of the way; client CPU
   (``time.process_time`` of this process, which is the applying one) per job, durable state
   writes included.

Run:  .venv/bin/python bench/throughput.py [--jobs 1000] [--sdk-jobs 300] [--cpu-jobs 2000]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    BUCKET,
    ENV,
    OUT_BUCKET,
    REGION,
    SECRET_ID,
    SECRET_KEY,
    Emulator,
    Timer,
    emulator,
    machine,
    table,
    write_manifests,
)
from reconciler.engine.workflow import Settings, apply_manifests  # noqa: E402
from reconciler.plan.planner import PlanOptions  # noqa: E402
from reconciler.state.local.store import LocalStateStore  # noqa: E402

CAP = 10.0


class RetryCounter(logging.Handler):
    """Counts the transport's 'retrying after ...' warnings (SlowDown and friends)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.slowdowns = 0
        self.other = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "SlowDown" in record.getMessage():
            self.slowdowns += 1
        else:
            self.other += 1


def run_apply(emu: Emulator, workdir: Path, jobs: int, qps: float) -> dict[str, Any]:
    """One apply of ``jobs`` new jobs; wall, CPU and counters."""
    manifests = write_manifests(workdir / "m", jobs, per_batch=jobs)
    state = workdir / "state.json"
    settings = Settings(state_path=state, endpoint=emu.url, env=ENV, submit_qps=qps)
    marks: dict[str, float] = {}

    def progress(phase: str, done: int, total: int) -> None:
        if done == 0:
            marks["start"] = time.perf_counter()
        if done == total:
            marks["end"] = time.perf_counter()

    counter = RetryCounter()
    logging.getLogger("reconciler.remote").addHandler(counter)
    emu.reset_stats()
    try:
        with Timer() as t:
            _, result = apply_manifests(
                [manifests], settings, PlanOptions(), approve=lambda p: True, progress=progress
            )
    finally:
        logging.getLogger("reconciler.remote").removeHandler(counter)
    assert result is not None
    stats = emu.stats()
    recorded = LocalStateStore(state).read().jobs
    submitted = sum(1 for r in recorded.values() if r.job_id)
    return {
        "wall": t.wall,
        "cpu": t.cpu,
        "phase": marks["end"] - marks["start"],
        "submitted": submitted,
        "failures": len(result.failures),
        "user_slowdowns": sum(1 for f in result.failures if f.code == "SlowDown"),
        "posts": stats.get("POST /jobs", 0),
        "retries_slowdown": counter.slowdowns,
        "retries_other": counter.other,
        "requests": stats.get("total", 0),
    }


def sdk_loop(emu: Emulator, jobs: int) -> tuple[float, int]:
    """Serial SDK submissions (one template created first, as a user script would)."""
    from qcloud_cos import CosConfig, CosS3Client

    port = emu.url.rsplit(":", 1)[1]
    conf = CosConfig(
        Region=REGION, SecretId=SECRET_ID, SecretKey=SECRET_KEY,
        Domain=f"127.0.0.1:{port}", Scheme="http", Timeout=10,
    )  # fmt: skip
    client = CosS3Client(conf, retry=0)
    snapshot = {"Mode": "Interval", "TimeInterval": "1", "Count": "3", "Width": "320"}
    tid = client.ci_create_template(
        Bucket=BUCKET, Template={"Tag": "Snapshot", "Name": "sdk-tpl", "Snapshot": snapshot}
    )["Template"]["TemplateId"]
    failures = 0
    start = time.perf_counter()
    for i in range(jobs):
        obj = f"in/sdk/video-{i:06d}.mp4"
        job = {
            "Tag": "Snapshot",
            "Input": {"Object": obj},
            "Operation": {
                "TemplateId": tid,
                "Output": {
                    "Region": REGION,
                    "Bucket": OUT_BUCKET,
                    "Object": f"sdk/{i}/f-${{Number}}.jpg",
                },
            },
        }
        try:
            client.ci_create_media_jobs(
                Bucket=BUCKET, Jobs=job, Lst={}, ContentType="application/xml"
            )
        except Exception:  # noqa: BLE001 - counted, like a user script would have to
            failures += 1
    elapsed = time.perf_counter() - start
    client._session.close()
    return jobs / elapsed, failures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--sdk-jobs", type=int, default=300)
    parser.add_argument("--cpu-jobs", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument(
        "--burst",
        type=int,
        default=None,
        help="Measure a different client token-bucket burst (default: the shipped one).",
    )
    args = parser.parse_args()
    if args.burst is not None:
        # Measurement of a proposed setting only: connect() builds the shared submit limiter.
        import functools

        import reconciler.engine.connect
        import reconciler.remote.ratelimit

        shipped = reconciler.remote.ratelimit.RateLimiter
        reconciler.engine.connect.RateLimiter = functools.partial(shipped, burst=args.burst)  # noqa: B010
    print(machine())
    with tempfile.TemporaryDirectory(prefix="bench-tp-") as tmp:
        with emulator(latency_ms=args.latency_ms, qps=CAP, job_seconds=600) as emu:
            capped = run_apply(emu, Path(tmp) / "capped", args.jobs, CAP)
            sdk_rate, sdk_failures = sdk_loop(emu, args.sdk_jobs) if args.sdk_jobs else (0.0, 0)
        with emulator(latency_ms=0, qps=0, job_seconds=600) as emu:
            free = run_apply(emu, Path(tmp) / "free", args.cpu_jobs, 1e6)
    ours = capped["submitted"] / capped["phase"]
    burst = "shipped default" if args.burst is None else str(args.burst)
    print(f"\n## 1. {args.jobs} new jobs, emulator --latency-ms {args.latency_ms:g} --qps {CAP:g}, "
          f"client burst: {burst}")  # fmt: skip
    print(table(
        ["figure", "value"],
        [
            ["jobs submitted", capped["submitted"]],
            ["job phase wall (s)", capped["phase"]],
            ["jobs/s (job phase)", ours],
            ["ratio to the 10 QPS cap (target >= 0.95)", ours / CAP],
            ["whole apply wall incl. plan + template (s)", capped["wall"]],
            ["jobs/s (whole apply)", capped["submitted"] / capped["wall"]],
            ["POST /jobs seen by the emulator", capped["posts"]],
            ["SlowDown retried inside the client", capped["retries_slowdown"]],
            ["other retries", capped["retries_other"]],
            ["failures reported to the user", capped["failures"]],
            ["... of which SlowDown (target 0)", capped["user_slowdowns"]],
        ],
    ))  # fmt: skip
    if args.sdk_jobs:
        print(f"\n## 2. Official SDK serial loop, {args.sdk_jobs} jobs, same emulator")
        print(table(
            ["figure", "value"],
            [
                ["SDK jobs/s", sdk_rate],
                ["SDK failures", sdk_failures],
                ["ours jobs/s", ours],
                ["ratio ours/SDK (target >= 1.4)", ours / sdk_rate],
            ],
        ))  # fmt: skip
    print(f"\n## 3. {args.cpu_jobs} new jobs, emulator --latency-ms 0 --qps 0 (client CPU)")
    print(table(
        ["figure", "value"],
        [
            ["jobs submitted", free["submitted"]],
            ["whole apply wall (s)", free["wall"]],
            ["jobs/s", free["submitted"] / free["wall"]],
            ["client CPU (s)", free["cpu"]],
            ["client CPU per job (ms, target <= 2)", free["cpu"] / free["submitted"] * 1e3],
            ["failures", free["failures"]],
            ["requests", free["requests"]],
        ],
    ))  # fmt: skip


if __name__ == "__main__":
    main()
