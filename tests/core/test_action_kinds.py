"""Every action kind is known to the type checker, the plan document and the renderers.

mypy proves the ``match`` statements exhaustive over :data:`ActionKind` and the action classes;
this ties that ``Literal`` to the classes themselves, so a new class cannot be left out of it.
"""

from __future__ import annotations

from typing import get_args

import pytest

from reconciler.model import JobOutput, JobRequest, SnapshotSettings
from reconciler.plan import actions as A
from reconciler.plan.groups import verb
from reconciler.plan.render import mark


def test_action_kind_literal_lists_every_action_class() -> None:
    assert sorted(get_args(A.ActionKind)) == sorted(A.ACTION_TYPES)
    assert all(get_args(A.ActionKind).count(k) == 1 for k in A.ACTION_TYPES)


@pytest.mark.parametrize("kind", sorted(A.ACTION_TYPES))
def test_every_kind_has_a_verb_and_a_mark(kind: str) -> None:
    assert verb(kind)  # type: ignore[arg-type]
    sign, _ = mark(kind)  # type: ignore[arg-type]
    assert sign.strip() or kind in A.NO_OPS


def test_subject_names_the_template_or_the_job() -> None:
    settings = SnapshotSettings(count=3)
    create = A.CreateTemplate("t", "thumbs", settings, "fp")
    assert (create.noun, create.subject) == ("template", "thumbs")
    request = JobRequest("in/a.mp4", JobOutput("ap-guangzhou", "out-1250000000", "f/${Number}.jpg"))
    submit = A.SubmitJob("b1", "in/a.mp4", "t", "thumbs", request, "fp", "new")
    assert (submit.noun, submit.subject) == ("job", "b1/in/a.mp4")
    keep = A.KeepJob("b1", "in/b.mp4", None, "Success", "up to date")
    assert keep.subject == "b1/in/b.mp4"
