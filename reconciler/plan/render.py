"""Plans as text for terminals and CI logs, and as Markdown for pull-request comments.

Built for thousands of jobs: counts by action and reason come first, then a capped sample of
each group. Templates are few and get Terraform-style attribute diffs. Rendering makes no
decisions and prints nothing; the CLI writes the strings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from reconciler.plan.actions import CHANGES, Action, FieldChange, JobAction, TemplateAction
from reconciler.plan.planner import Plan

MARKDOWN_LIMIT = 65_536
SYMBOLS = {
    "create_template": ("+", "green"),
    "adopt_template": ("~", "yellow"),
    "update_template": ("~", "yellow"),
    "recreate_template": ("-/+", "yellow"),
    "delete_template": ("-", "red"),
    "forget_template": ("-", "blue"),
    "keep_template": (" ", None),
    "submit_job": ("+", "green"),
    "adopt_job": ("~", "yellow"),
    "cancel_job": ("x", "red"),
    "forget_job": ("-", "blue"),
    "keep_job": (" ", None),
}
VERBS = {
    "create_template": "create",
    "adopt_template": "adopt",
    "update_template": "update in place",
    "recreate_template": "re-create",
    "delete_template": "delete",
    "forget_template": "forget",
    "keep_template": "no change",
    "submit_job": "submit",
    "adopt_job": "adopt",
    "cancel_job": "cancel",
    "forget_job": "forget",
    "keep_job": "no change",
}
Style = Callable[[str, str | None], str]


def plain(text: str, color: str | None) -> str:
    return text


def _fmt(value: Any) -> str:
    return "(unset)" if value is None else repr(value) if isinstance(value, str) else str(value)


def _change_lines(changes: Iterable[FieldChange]) -> list[str]:
    return [f"      {c.path}: {_fmt(c.old)} -> {_fmt(c.new)}" for c in changes]


def _template_line(action: TemplateAction, style: Style) -> list[str]:
    symbol, color = SYMBOLS[action.kind]
    ident = getattr(action, "template_id", None) or getattr(action, "old_template_id", "")
    ident = f" ({ident})" if ident else ""
    head = f"  {style(symbol.rjust(3), color)} {VERBS[action.kind]} {action.name}{ident}"
    lines = [f"{head} [{action.target}]: {action.reason}"]
    lines += _change_lines(getattr(action, "changes", ()))
    return lines


def _job_groups(jobs: Iterable[JobAction]) -> dict[tuple[str, str], list[JobAction]]:
    groups: dict[tuple[str, str], list[JobAction]] = {}
    for job in jobs:
        groups.setdefault((job.kind, job.reason), []).append(job)
    order = sorted(groups, key=lambda k: (k[0] not in CHANGES, k[0], k[1]))
    return {k: groups[k] for k in order}


def summary_line(plan: Plan) -> str:
    """``Plan: 2 to create, 1 to update, 30 jobs to submit ...`` or ``No changes.``"""
    counts: dict[str, int] = {}
    for action in (*plan.templates, *plan.jobs):
        if action.kind in CHANGES:
            counts[VERBS[action.kind]] = counts.get(VERBS[action.kind], 0) + 1
    unchanged = sum(1 for a in (*plan.templates, *plan.jobs) if a.kind not in CHANGES)
    if not counts:
        return f"No changes. {unchanged} item(s) up to date or left alone."
    parts = ", ".join(f"{n} to {verb}" for verb, n in sorted(counts.items()))
    return f"Plan: {parts}; {unchanged} unchanged."


def header_lines(plan: Plan) -> list[str]:
    """Which state the plan used (and whether it existed), and what the look-up cost."""
    lines = []
    if plan.state_location:
        new = "" if plan.state_exists else " (does not exist yet: a new state)"
        lines.append(f"State: {plan.state_location}{new}")
    if plan.lookup_since:
        lines.append(
            f"Looked up jobs created since {plan.lookup_since} on the service: "
            f"{plan.lookup_jobs} listed in {plan.lookup_requests} request(s)"
        )
    return lines + [f"Note: {n}" for n in plan.notes]


def render_text(plan: Plan, *, style: Style = plain, sample: int = 5) -> str:
    """Terminal/CI-log rendering: templates in full, jobs grouped with capped samples."""
    lines = header_lines(plan)
    lines += ["Templates:"] if plan.templates else []
    for action in plan.templates:
        if action.kind in CHANGES or sample > 5:
            lines += _template_line(action, style)
    kept = sum(1 for a in plan.templates if a.kind not in CHANGES)
    if kept and sample <= 5:
        lines.append(f"      {kept} template(s) unchanged")
    if plan.jobs:
        lines.append("Jobs:")
    for (kind, reason), group in _job_groups(plan.jobs).items():
        symbol, color = SYMBOLS[kind]
        lines.append(f"  {style(symbol.rjust(3), color)} {VERBS[kind]}: {reason}  [{len(group)}]")
        limit = sample if kind in CHANGES else min(sample, 3)
        lines += [f"        {j.batch}/{j.input_object}" for j in group[:limit]]
        if len(group) > limit:
            lines.append(f"        ... and {len(group) - limit} more")
    lines += [f"Warning: {w}" for w in plan.warnings]
    lines.append(summary_line(plan))
    return "\n".join(lines)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace("`", "'")


def _md_summary(plan: Plan, max_rows: int = 40) -> list[str]:
    """Counts by action and reason. Reasons can be as many as jobs (``--retry-failed`` quotes
    each job's failure), so past ``max_rows`` the smallest groups fold into one row per verb."""
    rows: Counter[tuple[str, str]] = Counter(
        (VERBS[a.kind], a.reason) for a in (*plan.templates, *plan.jobs)
    )
    shown = dict(rows.most_common(max_rows)) if len(rows) > max_rows else dict(rows)
    folded: Counter[str] = Counter()
    for key, n in rows.items():
        if key not in shown:
            folded[key[0]] += n
    head = ["## reconciler plan", "", *[f"{_md_escape(h)}  " for h in header_lines(plan)]]
    head += [f"**{summary_line(plan)}**", ""]
    table = ["| action | reason | count |", "|---|---|---:|"]
    for (verb, reason), n in sorted(shown.items()):
        table.append(f"| {verb} | {_md_escape(reason)} | {n} |")
    for verb, n in sorted(folded.items()):
        table.append(f"| {verb} | (other reasons) | {n} |")
    return head + table + [""]


def _md_details(plan: Plan, sample: int) -> list[str]:
    out: list[str] = []
    changed = [a for a in plan.templates if a.kind in CHANGES]
    if changed:
        out += ["<details><summary>Templates</summary>", "", "```diff"]
        for action in changed:
            out += _template_line(action, plain)
        out += ["```", "</details>", ""]
    for (kind, reason), group in _job_groups(plan.jobs).items():
        if kind not in CHANGES:
            continue
        title = _md_escape(f"{VERBS[kind]}: {reason} ({len(group)})")
        out += [f"<details><summary>{title}</summary>", ""]
        out += [f"- `{_md_escape(j.batch)}/{_md_escape(j.input_object)}`" for j in group[:sample]]
        if len(group) > sample:
            out.append(f"- ... and {len(group) - sample} more")
        out += ["", "</details>", ""]
    return out


def render_markdown(plan: Plan, *, sample: int = 20, limit: int = MARKDOWN_LIMIT) -> str:
    """Pull-request comment: summary table first, details after; always under ``limit``."""
    head = "\n".join(_md_summary(plan))
    note = "\n_Details truncated to fit a comment; run `reconciler plan` for everything._\n"
    body = ""
    for line in _md_details(plan, sample):
        if len(head) + len(body) + len(line) + len(note) + 2 >= limit:
            return head + body + note
        body += "\n" + line
    warnings = "".join(f"\n> **Warning:** {_md_escape(w)}" for w in plan.warnings)
    text = head + body + warnings + "\n"
    return text if len(text) < limit else head[: limit - len(note) - 1] + note


def describe(action: Action) -> str:
    """One line for logs: ``submit batch/input: reason``."""
    name = getattr(action, "name", None) or f"{action.batch}/{action.input_object}"  # type: ignore[union-attr]
    return f"{VERBS[action.kind]} {name}: {action.reason}"
