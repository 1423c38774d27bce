"""Terminal output: progress (a bar on a terminal, plain periodic lines in CI logs) and tables.

Only the CLI calls this module; everything here writes to the console it is given.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from reconciler.engine.apply import ApplyResult
from reconciler.engine.report import apply_failure_groups, by_batch
from reconciler.model.records import JobRecord
from reconciler.model.states import JobState

_S = JobState
#: Display order of the counts line; other states (Pause, ones we do not know) follow, sorted.
STATES = (_S.PENDING, _S.SUBMITTED, _S.RUNNING, _S.SUCCESS, _S.FAILED, _S.CANCEL)
_COLUMNS = (_S.SUBMITTED, _S.RUNNING, _S.SUCCESS, _S.FAILED)


def make_console(color: bool, stderr: bool = False) -> Console:
    return Console(
        file=sys.stderr if stderr else sys.stdout,
        no_color=not color,
        color_system="auto" if color else None,  # no_color alone still emits bold and italics
        highlight=False,
        soft_wrap=True,
    )


class ProgressReporter:
    """Callable ``(phase, done, total)``: a bar on a TTY, a line every few seconds otherwise."""

    def __init__(self, console: Console, *, quiet: bool = False, every: float = 5.0) -> None:
        self.console = console
        self.quiet = quiet
        self.every = every
        self._bar: Progress | None = None
        self._task: Any = None
        self._last = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.quiet or total == 0:
            return
        if self.console.is_terminal:
            self._bar_update(phase, done, total)
            return
        now = time.monotonic()
        if done in (0, total) or now - self._last >= self.every:
            self._last = now
            self.console.print(f"{phase}: {done}/{total}")

    def _bar_update(self, phase: str, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=self.console, transient=False,
            )  # fmt: skip
            self._bar.start()
            self._task = self._bar.add_task(phase, total=total)
        self._bar.update(self._task, completed=done)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


class WaitReporter:
    """``on_counts`` for wait: a bar of finished jobs on a TTY, a counts line per change in logs."""

    def __init__(self, console: Console, *, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self._bar = ProgressReporter(console, quiet=quiet)

    def __call__(self, counts: Counter[str]) -> None:
        if self.quiet:
            return
        if self.console.is_terminal:
            done = sum(n for s, n in counts.items() if JobState.is_finished(s))
            self._bar("waiting", done, sum(counts.values()))
        else:
            self.console.print(counts_line(counts))

    def close(self) -> None:
        self._bar.close()


def counts_line(counts: Counter[str]) -> str:
    parts = [f"{s} {counts[s]}" for s in STATES if counts.get(s)]
    parts += [f"{s} {n}" for s, n in sorted(counts.items()) if s not in STATES]
    return "jobs: " + (", ".join(parts) if parts else "none")


def print_apply_result(console: Console, result: ApplyResult, verbose: int = 0) -> None:
    """One line per failure group (same error, same kind of object), with a few samples."""
    done = ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in sorted(result.done.items()) if n)
    console.print(f"Apply complete: {done or 'nothing to do'}; {len(result.failures)} failed.")
    groups = apply_failure_groups(result.failures)
    limit = 20 if verbose <= 0 else 20 + 200 * verbose
    for group in groups[:limit]:
        f = group[0]
        code = f" [{f.code}]" if f.code else ""
        rid = f" (request id {f.request_id})" if f.request_id else ""
        if len(group) == 1:
            console.print(f"  [red]failed[/red] {escape(f.what)}{code}: {escape(f.message)}{rid}")
            continue
        noun = f.what.split(" ", 1)[0]
        names = ", ".join(g.what.split(" ", 1)[-1] for g in group[:3])
        more = f" and {len(group) - 3} more" if len(group) > 3 else ""
        console.print(
            f"  [red]failed[/red] {len(group)} {noun}s{code}: {escape(f.message)}{rid}; "
            f"{escape(names)}{more}"
        )
    if len(groups) > limit:
        rest = sum(len(g) for g in groups[limit:])
        console.print(f"  ... and {len(groups) - limit} more failure group(s) ({rest} failures)")


def print_status(console: Console, records: Mapping[Any, JobRecord], verbose: int) -> None:
    """A table per batch: counts by state, failures grouped by error code (a few sample jobs
    each; every one with -v), and outputs with -v."""
    groups = by_batch(records.values())
    if not groups:
        console.print("No jobs recorded for these manifests.")
    samples = 3 if verbose <= 0 else 10**9
    for batch, recs in groups.items():
        counts = Counter(r.state for r in recs)
        table = Table(title=f"batch {batch}", title_justify="left")
        # The usual four always; any other state (Pending, Pause, one the service invented)
        # gets a column of its own, so no job is left out of the counts.
        columns = [*_COLUMNS, *sorted(s for s in counts if s not in _COLUMNS)]
        for state in columns:
            table.add_column(state or "(none)", justify="right")
        table.add_row(*(str(counts.get(s, 0)) for s in columns))
        console.print(table)
        failed: dict[tuple[str, str], list[JobRecord]] = {}
        for rec in recs:
            if JobState.is_failed(rec.state):
                failed.setdefault((rec.state, rec.code), []).append(rec)
            elif verbose > 0:
                outs = len(rec.outputs) + len(rec.sprites)
                first = (rec.outputs or rec.sprites or ("",))[0]
                console.print(
                    f"  {rec.state} {rec.input_object} ({rec.job_id}) {outs} output(s) {first}",
                    markup=False,
                )
        for (state, code), group in sorted(failed.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            for rec in group[:samples]:
                console.print(
                    f"  {rec.state} {rec.input_object} ({rec.job_id}): {rec.code} {rec.message}",
                    markup=False,
                )
            if len(group) > samples:
                console.print(
                    f"    ... and {len(group) - samples} more {state} with {code or 'no code'} "
                    "(reconciler status --failed --json lists them all)",
                    markup=False,
                )
