"""Plans as Markdown for pull-request comments: always under 65,536 characters.

The top is what a reviewer must see (summary line, billable work and money, budget, warnings),
then per-batch counts and one row per group (kind, reason code and params: failures are grouped
by error code and template). Every table is capped; past the caps rows fold into one "other"
row. Collapsed details with fair samples come last and are cut, with a note, at the limit.
"""

from __future__ import annotations

from collections import Counter

from reconciler.plan.actions import CHANGES
from reconciler.plan.groups import Group, batch_counts, counts_text, group_jobs, verb
from reconciler.plan.planner import Plan
from reconciler.plan.render import cost_lines, header_lines, plain, summary_line, template_lines

MARKDOWN_LIMIT = 65_536
MAX_CELL = 200  # a name or warning longer than this is cut in tables
NOTE = "\n_Details truncated to fit a comment; run `reconciler plan` for everything._\n"


def _esc(text: str, cap: int = MAX_CELL) -> str:
    text = text if len(text) <= cap else text[: cap - 3] + "..."
    return text.replace("|", "\\|").replace("<", "&lt;").replace("`", "'").replace("\n", " ")


def _top(plan: Plan, max_warnings: int = 20) -> list[str]:
    lines = ["## reconciler plan", "", *[f"{_esc(h, 400)}  " for h in header_lines(plan)]]
    lines += [f"**{summary_line(plan)}**", ""]
    lines += [f"- {_esc(line, 400)}" for line in cost_lines(plan)]
    lines.append("")
    for warning in plan.warnings[:max_warnings]:
        lines.append(f"> **Warning:** {_esc(warning, 400)}")
        lines.append(">")
    if len(plan.warnings) > max_warnings:
        lines.append(f"> **Warning:** ... and {len(plan.warnings) - max_warnings} more")
    if plan.warnings:
        lines[-1:] = [] if lines[-1] == ">" else lines[-1:]
        lines.append("")
    return lines


def _batch_table(plan: Plan, max_rows: int = 50) -> list[str]:
    counts = batch_counts(plan.jobs)
    if not counts:
        return []
    order = sorted(
        counts, key=lambda b: (counts[b].get("no change", 0) == sum(counts[b].values()), b)
    )
    rows = ["| batch | jobs | breakdown |", "|---|---:|---|"]
    for b in order[:max_rows]:
        rows.append(f"| {_esc(b, 80)} | {sum(counts[b].values())} | {counts_text(counts[b])} |")
    rest = order[max_rows:]
    if rest:
        total: Counter[str] = Counter()
        for b in rest:
            total += counts[b]
        rows.append(
            f"| ({len(rest)} more batches) | {sum(total.values())} | {counts_text(total)} |"
        )
    return rows + [""]


def _group_table(plan: Plan, groups: list[Group], max_rows: int = 40) -> list[str]:
    rows = ["| action | reason | code | count |", "|---|---|---|---:|"]
    folded: Counter[str] = Counter()
    # Templates changed for the same reason are one row (their names are in the details).
    same: Counter[tuple[str, str, str]] = Counter(
        (f"{verb(a.kind)} template", a.reason, a.reason_code)
        for a in plan.templates
        if a.kind in CHANGES
    )
    for i, ((what, reason, code), n) in enumerate(same.items()):
        if i < max_rows:
            rows.append(f"| {what} | {_esc(reason)} | {code} | {n} |")
        else:
            folded[what] += n
    for i, group in enumerate(groups):
        if i < max_rows:
            rows.append(f"| {verb(group.kind)} | {_esc(group.label)} | {group.reason_code} | "
                        f"{group.count} |")  # fmt: skip
        else:
            folded[verb(group.kind)] += group.count
    for v, n in sorted(folded.items()):
        rows.append(f"| {v} | (other reasons) | | {n} |")
    return rows + [""]


def _details(plan: Plan, groups: list[Group], sample: int) -> list[str]:
    out: list[str] = []
    shown = [
        a for a in plan.templates if a.kind in CHANGES or a.reason_code == "removed_left_alone"
    ]
    if shown:
        out += ["<details><summary>Templates</summary>", "", "```diff"]
        for action in shown:
            out += template_lines(action, plain)
        out += ["```", "</details>", ""]
    for group in groups:
        if not group.changes and group.reason_code != "keep_failed":
            continue
        title = _esc(f"{verb(group.kind)}: {group.label} ({group.count})", 400)
        out += [f"<details><summary>{title}</summary>", ""]
        out += [
            f"- `{_esc(j.batch, 80)}/{_esc(j.input_object, 400)}`" for j in group.sample(sample)
        ]
        if group.count > sample:
            out.append(f"- ... and {group.count - sample} more")
        out += ["", "</details>", ""]
    return out


def render_markdown(plan: Plan, *, sample: int = 20, limit: int = MARKDOWN_LIMIT) -> str:
    """Pull-request comment: summary, cost and warnings first, details after; always < limit.
    Samples per group shrink as groups multiply (at least 3), so every group gets some."""
    groups = group_jobs(plan.jobs)
    detailed = sum(1 for g in groups if g.changes or g.reason_code == "keep_failed")
    sample = max(3, min(sample, 400 // max(detailed, 1)))
    head = "\n".join(_top(plan) + _batch_table(plan) + _group_table(plan, groups))
    if len(head) + len(NOTE) >= limit:
        return head[: limit - len(NOTE) - 1] + NOTE
    body = ""
    for line in _details(plan, groups, sample):
        if len(head) + len(body) + len(line) + len(NOTE) + 2 >= limit:
            return head + body + NOTE
        body += "\n" + line
    return head + body + "\n"
