"""Reply variants: documented-but-unusual shapes of CI replies, sent at random (seeded).

The real service is known (from its own documentation samples, ci-api.md §1.2/§1.3) to send
shapes the emulator's plain replies never show: empty leaves for unset values, missing optional
elements, elements a client has never heard of, numbers written as ``640.0``, states outside the
documented set, an empty ``<JobsDetail></JobsDetail>`` for an empty list. With
``EmulatorConfig.reply_variants`` set, every successful CI reply passes through
:meth:`ReplyVariants.apply`, which rewrites the serialised body on an lxml tree, so the views
and handlers keep producing the one plain shape.

What identifies an item is never removed or changed in value: JobId, UserData (it carries a
client's dedup marker), Input/Object, CreationTime, TemplateId, Name, Count and every other
set value. Only a job that is not yet running (Submitted) may show an unknown state; a finished
job's state is never touched.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from lxml import etree

from .snapshot import SNAPSHOT_RULES, SPRITE, SPRITE_RULES

T = TypeVar("T")

#: The name of the unknown element the variants insert (a service adding a field looks alike).
EXTRA = "X-Emulator-Extra"
#: Share of the places where a variant may apply that get it, per reply.
RATE = 0.3
#: States a not-yet-running job may be reported in: unknown to clients, or empty.
ODD_STATES = ("Queued", "", None)
#: Elements a client cannot rely on, removed when they carry nothing (or ever, for the
#: informational ones): (parent tag, child tag, only when empty).
OPTIONAL = (
    ("Response", "RequestId", False),
    ("JobsDetail", "Message", True),
    ("JobsDetail", "QueueId", False),
    ("JobsDetail", "StartTime", True),
    ("JobsDetail", "EndTime", True),
    ("Operation", "TemplateName", False),
)
_NUMERIC = {
    name
    for rules in (SNAPSHOT_RULES, SPRITE_RULES)
    for name, rule in rules.items()
    if rule.kind in ("int", "float")
}
_JOB_LISTS = ("GET /jobs", "GET /jobs/{ids}")
_UNKNOWN_TIMES = ("-", "", None)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


class Dice:
    """One seeded RNG shared by every reply (under the caller's lock)."""

    def __init__(self, rng: random.Random, rate: float = RATE):
        self._rng = rng
        self._rate = rate

    def chance(self) -> bool:
        return self._rng.random() < self._rate

    def pick(self, options: Sequence[T]) -> T:
        return options[self._rng.randrange(len(options))]

    def index(self, upper: int) -> int:
        return self._rng.randrange(upper + 1)


class ReplyVariants:
    """Rewrites CI reply bodies; thread-safe, reproducible for one seed and request order."""

    def __init__(self, seed: int, rate: float = RATE):
        self._dice = Dice(random.Random(seed), rate)
        self._lock = threading.Lock()

    def apply(self, body: bytes, op: str) -> bytes:
        """The reply ``body`` of route ``op`` (e.g. ``GET /jobs``) in a variant shape."""
        root = etree.fromstring(body, parser=_PARSER)
        with self._lock:
            for step in STEPS:
                step(root, op, self._dice)
        return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def _empty(element: etree._Element, dice: Dice) -> None:
    """Empty either way it is written: ``<X/>`` or ``<X></X>``."""
    element.text = dice.pick((None, ""))


def odd_states(root: etree._Element, op: str, dice: Dice) -> None:
    """A Submitted job reported as ``Queued`` or with an empty ``<State/>``."""
    for job in root.iter("JobsDetail"):
        state = job.find("State")
        if state is not None and state.text == "Submitted" and dice.chance():
            state.text = dice.pick(ODD_STATES)


def unknown_times(root: etree._Element, op: str, dice: Dice) -> None:
    """StartTime/EndTime not known yet: ``-`` or empty (ci-api.md §1.3 shows both)."""
    for job in root.iter("JobsDetail"):
        for name in ("StartTime", "EndTime"):
            node = job.find(name)
            if node is not None and node.text in _UNKNOWN_TIMES and dice.chance():
                node.text = dice.pick(("-", "", None))


def absent_optionals(root: etree._Element, op: str, dice: Dice) -> None:
    """Optional elements left out (only those clients cannot rely on)."""
    for parent_tag, child_tag, only_empty in OPTIONAL:
        parents = [root] if parent_tag == root.tag else list(root.iter(parent_tag))
        for parent in parents:
            node = parent.find(child_tag)
            if node is None or (only_empty and (node.text or "") not in ("", "-")):
                continue
            if dice.chance():
                parent.remove(node)


def empty_leaves(root: etree._Element, op: str, dice: Dice) -> None:
    """Unset optional settings echoed as empty leaves (the DescribeSnapshotTemplates sample),
    an empty SpriteSnapshotConfig where no sprite is configured, an empty UserData, and an
    empty NonExistJobIds on a describe that found every job."""
    for snap in list(root.iter("Snapshot")):
        if dice.chance():
            _fill(snap, list(SNAPSHOT_RULES), dice)
        if snap.find(SPRITE) is None and dice.chance():
            sprite = etree.SubElement(snap, SPRITE)
            _fill(sprite, list(SPRITE_RULES), dice)
    for operation in root.iter("Operation"):
        if operation.find("UserData") is None and dice.chance():
            user_data = etree.Element("UserData")
            _empty(user_data, dice)
            level = operation.find("JobLevel")
            operation.insert(len(operation) if level is None else operation.index(level), user_data)
    if op == "GET /jobs/{ids}" and root.find("NonExistJobIds") is None and dice.chance():
        _empty(etree.SubElement(root, "NonExistJobIds"), dice)


def _fill(parent: etree._Element, order: list[str], dice: Dice) -> None:
    """Add an empty leaf for each field of ``order`` that ``parent`` lacks, in that order."""
    rank = {name: i for i, name in enumerate(order)}
    for name in order:
        if parent.find(name) is not None:
            continue
        leaf = etree.Element(name)
        _empty(leaf, dice)
        later = [i for i, c in enumerate(parent) if rank.get(str(c.tag), -1) > rank[name]]
        parent.insert(later[0] if later else len(parent), leaf)


def reformatted_numbers(root: etree._Element, op: str, dice: Dice) -> None:
    """Numeric settings written another way with the same value: 640.0, 2.500, 0.0."""
    for container in (*root.iter("Snapshot"), *root.iter(SPRITE)):
        for leaf in container:
            if leaf.tag in _NUMERIC and leaf.text and dice.chance():
                leaf.text = _reformat(leaf.text, dice)


def _reformat(text: str, dice: Dice) -> str:
    value = text.strip()
    if "." in value:
        whole, _, frac = value.partition(".")
        return f"{whole}.{frac.ljust(3, '0')}" if len(frac) < 3 else f"{value}0"
    return value + dice.pick((".0", ".000"))


def empty_lists(root: etree._Element, op: str, dice: Dice) -> None:
    """An empty job list written as ``<JobsDetail></JobsDetail>``, and an empty NextToken as
    ``<NextToken></NextToken>`` rather than ``<NextToken/>``."""
    if op not in _JOB_LISTS:
        return
    if root.find("JobsDetail") is None and dice.chance():
        root.insert(0, etree.Element("JobsDetail"))
        root[0].text = ""
    token = root.find("NextToken")
    if token is not None and not token.text and dice.chance():
        token.text = ""


def extra_elements(root: etree._Element, op: str, dice: Dice) -> None:
    """Unknown elements at every level: a leaf or a small container, anywhere among siblings.
    Empty elements (an empty JobsDetail, an empty sprite leaf) are left empty."""
    containers = [e for e in root.iter() if len(e) and e.tag != EXTRA]
    for container in containers:
        if dice.chance():
            extra = etree.Element(EXTRA)
            if dice.chance():
                etree.SubElement(extra, "Inner").text = "1"
            else:
                extra.text = "1"
            container.insert(dice.index(len(container)), extra)


Step = Callable[[etree._Element, str, Dice], None]
#: Order matters: extras come last so no other step ever sees (or empties) them.
STEPS: tuple[Step, ...] = (
    odd_states,
    unknown_times,
    absent_optionals,
    empty_leaves,
    reformatted_numbers,
    empty_lists,
    extra_elements,
)
