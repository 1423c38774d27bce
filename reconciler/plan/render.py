"""Plans as text for terminals and CI logs (Markdown for pull requests is :mod:`.markdown`).

Bounded at any size: what grows with the number of jobs, reasons, failures or batches is
counted and sampled, never listed. The default text fits in about 60 lines (a few screens)
whatever the plan holds; each ``-v`` widens every cap. The order is what a reviewer needs first:
templates (few, with Terraform-style attribute diffs), per-batch counts, job groups with fair
samples, the billable work, warnings, and the summary line last where a CI log ends.
Rendering makes no decisions and prints nothing; the CLI writes the strings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, assert_never

from reconciler.plan.actions import (
    CHANGES,
    ActionKind,
    AdoptTemplate,
    CreateTemplate,
    DeleteTemplate,
    FieldChange,
    ForgetTemplate,
    KeepTemplate,
    RecreateTemplate,
    TemplateAction,
    UpdateTemplate,
)
from reconciler.plan.groups import batch_counts, counts_text, group_jobs, verb
from reconciler.plan.jobactions import acting
from reconciler.plan.planner import Plan

Style = Callable[[str, str | None], str]


def plain(text: str, color: str | None) -> str:
    return text


@dataclass(frozen=True)
class Caps:
    """How much of each growing list the text shows; ``Caps.of(verbose)`` widens with -v."""

    groups: int = 10
    samples: int = 2
    batches: int = 10
    templates: int = 16  # lines, attribute diffs included
    warnings: int = 6

    @classmethod
    def of(cls, verbose: int) -> Caps:
        if verbose <= 0:
            return cls()
        k = verbose
        return cls(10 + 60 * k, 2 + 3 * k, 10 + 90 * k, 12 + 100 * k, 6 + 50 * k)


def mark(kind: ActionKind) -> tuple[str, str | None]:
    """The margin sign and its colour for an action kind (exhaustive: mypy flags a new kind)."""
    match kind:
        case "create_template" | "submit_job":
            return ("+", "green")
        case "adopt_template" | "update_template" | "adopt_job":
            return ("~", "yellow")
        case "recreate_template":
            return ("-/+", "yellow")
        case "delete_template":
            return ("-", "red")
        case "cancel_job":
            return ("x", "red")
        case "forget_template" | "forget_job":
            return ("-", "blue")
        case "keep_template" | "keep_job":
            return (" ", None)
        case _:
            assert_never(kind)


def symbol(kind: ActionKind, style: Style) -> str:
    sign, color = mark(kind)
    return style(sign.rjust(3), color)


def _fmt(value: Any) -> str:
    return "(unset)" if value is None else repr(value) if isinstance(value, str) else str(value)


def _change_lines(changes: Iterable[FieldChange]) -> list[str]:
    return [f"      {c.path}: {_fmt(c.old)} -> {_fmt(c.new)}" for c in changes]


def _template_id(action: TemplateAction) -> str:
    """The service ID the action concerns (the old one for a re-create; none for a create)."""
    match action:
        case CreateTemplate():
            return ""
        case RecreateTemplate():
            return action.old_template_id
        case AdoptTemplate() | UpdateTemplate() | DeleteTemplate():
            return action.template_id
        case ForgetTemplate() | KeepTemplate():
            return action.template_id
        case _:
            assert_never(action)


def template_lines(action: TemplateAction, style: Style) -> list[str]:
    ident = _template_id(action)
    ident = f" ({ident})" if ident else ""
    head = f"  {symbol(action.kind, style)} {verb(action.kind)} {action.subject}{ident}"
    changes = action.changes if isinstance(action, AdoptTemplate | UpdateTemplate) else ()
    return [f"{head} [{action.target}]: {action.reason}", *_change_lines(changes)]


def summary_line(plan: Plan) -> str:
    """``Plan: 2 to create, 1 to update, 30 jobs to submit ...`` or ``No changes.``"""
    counts: dict[str, int] = {}
    unchanged = 0
    for kind, n in plan.kind_counts().items():
        if kind in CHANGES:
            counts[verb(kind)] = counts.get(verb(kind), 0) + n
        else:
            unchanged += n
    if not counts:
        return f"No changes. {unchanged} item(s) up to date or left alone."
    parts = ", ".join(f"{n} to {v}" for v, n in sorted(counts.items()))
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


def _money(value: float) -> str:
    """Two decimals, except for sums below a cent, which keep three significant digits."""
    return f"{value:,.2f}" if value >= 0.01 or value == 0 else f"{value:.3g}"


def cost_lines(plan: Plan, max_over: int = 5) -> list[str]:
    """Billable work: jobs, frames and sprite sheets at most, and money when priced."""
    cost = plan.cost
    if not cost.jobs:
        if any(a.kind == "submit_job" for a in acting(plan.jobs)):  # saved without costs
            return ["Billable work: not recorded in this plan (plan again to see it)."]
        return ["Billable work: none (no jobs to submit)."]
    new = sum(b.new_jobs for b in cost.batches)
    parts = [f"{cost.jobs:,} job(s) to submit ({new:,} new, {cost.jobs - new:,} re-submitted)"]
    bounded = cost.jobs - cost.unbounded_jobs
    if bounded:
        sheets = f" and {cost.sprites:,} sprite sheet(s)" if cost.sprites else ""
        parts.append(f"at most {cost.frames:,} frame(s){sheets}")
    if cost.unbounded_jobs:
        parts.append(f"{cost.unbounded_jobs:,} job(s) depend on video length (mode KeyFrame)")
    lines = ["Billable work: " + "; ".join(parts) + "."]
    money = cost.money()
    if money:
        amounts = ", ".join(f"{_money(v)} {c}" for c, v in money.items())
        unpriced = sum(b.jobs for b in cost.batches if b.money is None)
        rest = f"; {unpriced:,} job(s) unpriced or unbounded not included" if unpriced else ""
        lines.append(f"Estimated cost: at most {amounts} (from the manifests' pricing{rest}).")
    over = [f"Over budget (allowed by --allow-over-budget): {b}" for b in cost.over_budget]
    if len(over) > max_over:
        over[max_over:] = [f"Over budget: ... and {len(over) - max_over} more"]
    return lines + over


def _folded(what: str, shown: int, total: int) -> list[str]:
    return [f"        ... and {total - shown} more{what}"] if total > shown else []


def _templates(plan: Plan, style: Style, caps: Caps) -> list[str]:
    """Changes and notable no-ops (a template removed from the manifests is never hidden)."""
    shown = [
        a for a in plan.templates if a.kind in CHANGES or a.reason_code not in ("up_to_date", "")
    ]
    if not plan.templates:
        return []
    lines, count = ["Templates:"], 0
    for action in shown:
        more = template_lines(action, style)
        if count and len(lines) - 1 + len(more) > caps.templates:
            break  # the first template always shows in full; the rest within the line budget
        lines += more
        count += 1
    lines += _folded(" template change(s)", count, len(shown))
    kept = len(plan.templates) - len(shown)
    if kept:
        lines.append(f"      {kept} template(s) unchanged")
    return lines


def _batches(plan: Plan, caps: Caps) -> list[str]:
    counts = batch_counts(plan.jobs)
    if not counts:
        return []
    order = sorted(
        counts, key=lambda b: (counts[b].get("no change", 0) == sum(counts[b].values()), b)
    )
    width = min(max(len(b) for b in counts), 40)
    lines = [f"Batches ({len(counts)}):"]
    lines += [f"  {b.ljust(width)}  {counts_text(counts[b])}" for b in order[: caps.batches]]
    rest = order[caps.batches :]
    if rest:
        jobs = sum(sum(counts[b].values()) for b in rest)
        lines.append(f"  ... and {len(rest)} more batch(es) with {jobs} job(s)")
    return lines


def _jobs(plan: Plan, style: Style, caps: Caps) -> list[str]:
    groups = group_jobs(plan.jobs)
    if not groups:
        return []
    lines = [f"Jobs ({len(plan.jobs)}, {len(groups)} group(s)):"]
    for group in groups[: caps.groups]:
        head = f"  {symbol(group.kind, style)} {verb(group.kind)}: {group.label}  [{group.count}]"
        lines.append(head)
        n = caps.samples if group.changes else 1
        lines += [f"        {j.batch}/{j.input_object}" for j in group.sample(n)]
        lines += _folded("", min(n, group.count), group.count)
    rest = groups[caps.groups :]
    if rest:
        jobs = sum(g.count for g in rest)
        codes = sorted({dict(g.params).get("code", "") for g in rest} - {""})
        which = (
            f" (codes {', '.join(codes[:8])}{', ...' if len(codes) > 8 else ''})" if codes else ""
        )
        lines.append(
            f"  ... and {len(rest)} more group(s) with {jobs} job(s){which}; -v shows more"
        )
    return lines


def render_text(plan: Plan, *, style: Style = plain, verbose: int = 0) -> str:
    """Terminal/CI-log rendering, bounded by :class:`Caps` whatever the plan's size."""
    caps = Caps.of(verbose)
    lines = header_lines(plan)
    lines += _templates(plan, style, caps) + _batches(plan, caps) + _jobs(plan, style, caps)
    lines += cost_lines(plan)
    lines += [f"Warning: {w}" for w in plan.warnings[: caps.warnings]]
    if len(plan.warnings) > caps.warnings:
        lines.append(f"Warning: ... and {len(plan.warnings) - caps.warnings} more warning(s)")
    lines.append(summary_line(plan))
    return "\n".join(lines)
