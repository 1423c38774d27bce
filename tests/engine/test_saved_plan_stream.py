"""Saved plans as JSON Lines on the served emulator: a round trip (plan --out, show, apply), a
truncated or garbled file refused in one line with nothing applied, the lazy job sequence, and
a 20,000-job plan applied with a small fraction of the memory its actions take when loaded, and
Ctrl-C during a saved plan's apply."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler.emulator import EmulatorConfig
from reconciler.emulator.server import RunningServer, start_background
from reconciler.engine.planfile import SavedJobs, read_plan
from reconciler.errors import PlanError
from reconciler.state.local.store import LocalStateStore
from tests.core.clikit import (
    PYTHON,
    cli_args,
    default_sigint,
    job_count,
    run,
    seed,
    subprocess_env,
    write_batches,
)
from tests.helpers.checks import assert_exactly_once
from tests.helpers.identity import SECRET_ID, SECRET_KEY
from tests.helpers.manifests import write_manifests
from tests.helpers.planlines import header, job_lines, lines_of
from tests.helpers.processes import cli_env

pytestmark = pytest.mark.emulator(job_seconds=0.2, seed=11)


def saved(tmp_path: Path, server: RunningServer, n: int = 5) -> tuple[Path, Path, Path]:
    """Manifests of ``n`` jobs, the state path and a plan saved from them."""
    manifests = write_batches(tmp_path / "m", {"alpha": n}, count=3)
    seed(server, [f"in/alpha-{i:04d}.mp4" for i in range(n)])
    state, planfile = tmp_path / "state.json", tmp_path / "plan.jsonl"
    planned = run(server, state, "plan", str(manifests), "--out", str(planfile))
    assert planned.exit_code == 0, planned.output
    return manifests, state, planfile


def test_a_saved_plan_round_trips_through_show_and_apply(
    tmp_path: Path, server: RunningServer
) -> None:
    manifests, state, planfile = saved(tmp_path, server)
    lines = lines_of(planfile.read_text())
    assert [ln["line"] for ln in lines] == ["header", *["job"] * 5, "end"]
    assert planfile.stat().st_mode & 0o777 == 0o600
    shown = run(server, state, "show", str(planfile))
    assert shown.exit_code == 0 and "5 jobs to submit" in shown.output.replace(
        "Plan: 1 to create, 5 to submit", "5 jobs to submit"
    ), shown.output
    assert run(server, state, "show", str(planfile), "--json").output == planfile.read_text()
    applied = run(server, state, "apply", str(planfile))
    assert applied.exit_code == 0, applied.output
    assert_exactly_once(server.url, state, 5)
    again = run(server, state, "plan", str(manifests), "--json")
    assert header(again.output)["summary"] == {"keep_job": 5, "keep_template": 1}


def _cut_in_a_job_line(text: str) -> str:
    return text[: text.index('{"line":"job"') + 40]


def _without_end_line(text: str) -> str:
    return "".join(text.splitlines(keepends=True)[:-1])


def _garbled(text: str) -> str:
    return text.replace("in/alpha-0003.mp4", "in/alpha-0009.mp4", 1)


def _a_job_line_dropped(text: str) -> str:
    rows = text.splitlines(keepends=True)
    return "".join(rows[:2] + rows[3:])


def _not_json(text: str) -> str:
    rows = text.splitlines(keepends=True)
    return "".join([rows[0], "{not json\n", *rows[2:]])


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (_cut_in_a_job_line, "truncated plan file"),
        (_without_end_line, "truncated plan file"),
        (_garbled, "damaged plan file"),
        (_a_job_line_dropped, "damaged plan file"),
        (_not_json, "damaged plan file"),
        (lambda text: "", "not a reconciler plan"),
        (lambda text: "[1, 2]\n" + text, "not a reconciler plan"),
    ],
)
def test_a_truncated_or_garbled_plan_is_refused_in_one_line(
    tmp_path: Path, server: RunningServer, damage: object, said: str
) -> None:
    _, state, planfile = saved(tmp_path, server)
    planfile.write_text(damage(planfile.read_text()))  # type: ignore[operator]
    for command in ("apply", "show"):
        refused = run(server, state, command, str(planfile))
        assert refused.exit_code == 1, refused.output
        lines = refused.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), refused.output
        assert said in lines[0] and str(planfile) in lines[0], lines[0]
        assert "Traceback" not in refused.output
    assert job_count(server) == 0
    assert not state.exists() or not LocalStateStore(state).read().jobs


def test_the_jobs_of_a_read_plan_are_a_lazy_re_iterable_sequence(
    tmp_path: Path, server: RunningServer
) -> None:
    _, state, planfile = saved(tmp_path, server)
    plan = read_plan(planfile)
    assert isinstance(plan.jobs, SavedJobs) and len(plan.jobs) == 5 and plan.jobs.acting == 5
    first = [a.input_object for a in plan.jobs]
    assert first == [a.input_object for a in plan.jobs]  # read again from the file
    assert plan.jobs[-1].input_object == first[-1] and plan.jobs[1].input_object == first[1]
    assert [a.input_object for a in plan.jobs[1:4]] == first[1:4]
    with pytest.raises(IndexError):
        plan.jobs[5]
    pins = list(plan.jobs.pins())
    assert [p.key[1] for p in pins] == first and {p.digest for p in pins} == {""}  # all new
    assert [p["pin"] for p in job_lines(planfile.read_text())] == [""] * 5
    planfile.write_text(planfile.read_text())  # the same bytes, but another file now
    with pytest.raises(PlanError, match="changed since it was read"):
        list(plan.jobs)


# The modules are imported before measuring: what is compared is what the plan takes.
MEASURE = """
import sys, tracemalloc
from pathlib import Path
from reconciler.cli.commands import cli
from reconciler.engine.planfile import read_plan
tracemalloc.start()
mode, argv = sys.argv[1], sys.argv[2:]
code = 0
if mode == "load":
    jobs = list(read_plan(Path(argv[0])).jobs)
else:
    try:
        cli.main(argv, prog_name="reconciler")
    except SystemExit as stop:
        code = stop.code
print("PEAK", tracemalloc.get_traced_memory()[1], code, file=sys.stderr)
"""


def _peak(mode: str, *argv: str) -> tuple[int, int, str]:
    """tracemalloc's peak (bytes) and the exit code of ``mode`` run in a child process."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, mode, *argv],
        env=cli_env(), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    row = [ln for ln in done.stderr.splitlines() if ln.startswith("PEAK ")]
    assert row, done.stdout + done.stderr
    _, peak, code = row[-1].split()
    return int(peak), int(code), done.stdout


def test_a_saved_plan_of_20000_jobs_applies_without_loading_it_whole(
    tmp_path: Path, server: RunningServer
) -> None:
    manifests = write_manifests(tmp_path / "m", 20_000)
    state, planfile = tmp_path / "state.json", tmp_path / "plan.jsonl"
    planned = run(server, state, "-q", "plan", str(manifests), "--out", str(planfile))
    assert planned.exit_code == 0, planned.output
    assert header(planfile.read_text())["job_count"] == 20_000
    size = planfile.stat().st_size
    loaded, _, _ = _peak("load", str(planfile))
    assert loaded > size  # holding every action takes more than the file itself
    argv = ["--endpoint", server.url, "--state", str(state), "--submit-qps", "500"]
    applied, code, out = _peak("apply", *argv, "apply", str(planfile), "--limit", "25")
    assert code == 5, out  # stopped at its limit, every other action read and left
    assert "20,000 job(s)" in out or "20000" in out, out
    assert job_count(server) == 25
    assert len(LocalStateStore(state).read().jobs) == 25
    # Shown (text, per-batch counts, groups) and applied, in a small part of that memory.
    assert applied < loaded / 3, (applied, loaded, size)
    assert header(planfile.read_text())["summary"] == {
        "create_template": 1,
        "submit_job": 20_000,
    }


def test_ctrl_c_during_a_saved_plans_apply_records_what_was_done(tmp_path: Path) -> None:
    """SIGINT while a streamed saved plan is applied: what was submitted is recorded and
    counted, the rest is left, and a new plan finishes the work: every job exactly once."""
    slowed = start_background(
        EmulatorConfig(credentials={SECRET_ID: SECRET_KEY}, job_seconds=600, latency_ms=50)
    )
    try:
        n = 60
        manifests = write_manifests(tmp_path / "m", n)
        state, planfile = tmp_path / "state.json", tmp_path / "plan.jsonl"
        assert run(slowed, state, "plan", str(manifests), "--out", str(planfile)).exit_code == 0
        argv = [*PYTHON, *cli_args(slowed, state, "apply", str(planfile))]
        argv[argv.index("200")] = "10"  # 60 jobs at 10 per second: about 6 s
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=subprocess_env({"NO_COLOR": "1"}), cwd=tmp_path, preexec_fn=default_sigint,
        )  # fmt: skip
        time.sleep(2.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130 and "Traceback" not in err, out + err
        line = err.strip().splitlines()[-1]
        submitted = int(line.split("interrupted: ")[1].split(" job(s) submitted")[0])
        left = int(line.split("submitted, ")[1].split(" left")[0])
        assert 0 < submitted < n and submitted + left == n, line
        assert job_count(slowed) == submitted == len(LocalStateStore(state).read().jobs)
        rest = run(slowed, state, "apply", str(manifests), "--auto-approve")
        assert rest.exit_code == 0, rest.output
        assert_exactly_once(slowed.url, state, n)
    finally:
        slowed.stop()


def test_a_reader_that_stops_early_ends_the_stream_quietly(
    tmp_path: Path, server: RunningServer
) -> None:
    """``show FILE --json | head -1``: the header arrives, then no error and no traceback."""
    manifests = write_manifests(tmp_path / "m", 1000)
    state, planfile = tmp_path / "state.json", tmp_path / "plan.jsonl"
    assert run(server, state, "plan", str(manifests), "--out", str(planfile)).exit_code == 0
    assert planfile.stat().st_size > 4 * 65_536  # more than a pipe holds
    proc = subprocess.Popen(
        [*PYTHON, "show", str(planfile), "--json"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=cli_env(),
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 1
    assert header(first.decode())["job_count"] == 1000
    assert err == "", err
