"""The plan's vocabulary: immutable, typed actions, each carrying the reason it exists.

Every action has ``reason`` (English, may name the object) and a stable ``reason_code`` with
``params`` (e.g. ``(("code", "InputFileNotExist"),)``): renderers group and count by code and
params, never by the text, so a thousand failures with one error code are one group.

``kind`` is the action's stable name in saved plans and renderings (a ``Literal``, so mypy
knows every value); code that acts on actions (the Applier, the renderers) dispatches on the
class with ``match`` and ``assert_never``, so a new action class that one of them forgets is a
type error. ``subject`` names what the action is about: the template, or ``batch/input object``.
``CHANGES`` says which kinds change something; the rest are recorded no-ops that explain why
nothing happens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from reconciler.model import JobDetail, JobRequest, SnapshotSettings


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One attribute of a template that differs: manifest-style path, old and new values."""

    path: str
    old: Any
    new: Any


class _OnTemplate:
    """Template actions are about one template of a target, named in the manifests."""

    __slots__ = ()
    noun: ClassVar[str] = "template"
    name: str

    @property
    def subject(self) -> str:
        return self.name


class _OnJob:
    """Job actions are about one input object of a batch: the unit of exactly-once."""

    __slots__ = ()
    noun: ClassVar[str] = "job"
    batch: str
    input_object: str

    @property
    def subject(self) -> str:
        return f"{self.batch}/{self.input_object}"


@dataclass(frozen=True, slots=True)
class CreateTemplate(_OnTemplate):
    kind: ClassVar[Literal["create_template"]] = "create_template"
    target: str
    name: str
    settings: SnapshotSettings
    fingerprint: str
    reason: str = "not on the service"
    reason_code: str = "not_on_service"
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class AdoptTemplate(_OnTemplate):
    """An existing remote template with exactly this name becomes ours (then updated if needed)."""

    kind: ClassVar[Literal["adopt_template"]] = "adopt_template"
    target: str
    name: str
    template_id: str
    settings: SnapshotSettings
    fingerprint: str
    changes: tuple[FieldChange, ...] = ()
    reason: str = "exists on the service with this name"
    reason_code: str = "exists_by_name"
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class UpdateTemplate(_OnTemplate):
    kind: ClassVar[Literal["update_template"]] = "update_template"
    target: str
    name: str
    template_id: str
    settings: SnapshotSettings
    fingerprint: str
    changes: tuple[FieldChange, ...]
    reason: str
    reason_code: str = ""
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class RecreateTemplate(_OnTemplate):
    kind: ClassVar[Literal["recreate_template"]] = "recreate_template"
    target: str
    name: str
    old_template_id: str
    settings: SnapshotSettings
    fingerprint: str
    reason: str = "deleted out of band"
    reason_code: str = "deleted_out_of_band"
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class DeleteTemplate(_OnTemplate):
    kind: ClassVar[Literal["delete_template"]] = "delete_template"
    target: str
    name: str
    template_id: str
    reason: str = "removed from the manifests (--prune)"
    reason_code: str = "removed_prune"
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ForgetTemplate(_OnTemplate):
    kind: ClassVar[Literal["forget_template"]] = "forget_template"
    target: str
    name: str
    template_id: str
    reason: str
    reason_code: str = "removed_and_gone"
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class KeepTemplate(_OnTemplate):
    kind: ClassVar[Literal["keep_template"]] = "keep_template"
    target: str
    name: str
    template_id: str
    reason: str
    reason_code: str = ""
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SubmitJob(_OnJob):
    """Submit one job. ``template`` names the manifest template whose ID is filled in at apply;
    ``resolve_first`` means an earlier submission may exist and must be looked up first."""

    kind: ClassVar[Literal["submit_job"]] = "submit_job"
    batch: str
    input_object: str
    target: str
    template: str | None
    request: JobRequest
    fingerprint: str
    reason: str
    previous_job_id: str | None = None
    resolve_first: bool = False
    reason_code: str = ""
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class AdoptJob(_OnJob):
    """A job found on the service by its marker: recorded as this key's submission, no POST.

    Planned instead of a :class:`SubmitJob` when the state has no job ID for this key and
    fingerprint (lost, moved, restored or older state) but the service already ran it.
    """

    kind: ClassVar[Literal["adopt_job"]] = "adopt_job"
    batch: str
    input_object: str
    target: str
    fingerprint: str
    job_id: str
    state: str
    creation_time: str = ""
    code: str = ""
    message: str = ""
    previous_job_id: str | None = None
    reason: str = "found on the service"
    reason_code: str = "found_on_service"
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class CancelJob(_OnJob):
    kind: ClassVar[Literal["cancel_job"]] = "cancel_job"
    batch: str
    input_object: str
    target: str
    job_id: str
    reason: str = "removed from the manifests (--prune)"
    reason_code: str = "cancel_removed"
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ForgetJob(_OnJob):
    kind: ClassVar[Literal["forget_job"]] = "forget_job"
    batch: str
    input_object: str
    job_id: str | None
    reason: str = "removed from the manifests"
    reason_code: str = "forget"
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class KeepJob(_OnJob):
    kind: ClassVar[Literal["keep_job"]] = "keep_job"
    batch: str
    input_object: str
    job_id: str | None
    state: str
    reason: str
    reason_code: str = ""
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class JobStatus:
    """Fresh service facts about a recorded job (refreshed during observation)."""

    batch: str
    input_object: str
    job_id: str
    state: str
    code: str = ""
    message: str = ""
    end_time: str = ""
    outputs: tuple[str, ...] = field(default=())
    sprites: tuple[str, ...] = field(default=())

    @classmethod
    def from_detail(cls, batch: str, input_object: str, detail: JobDetail) -> JobStatus:
        """The facts of ``detail`` (as the service described it) for the job at the key."""
        result = detail.media_result
        outputs = tuple(k for f in result.output_files for k in f.keys) if result else ()
        sprites = tuple(k for f in result.sprite_files for k in f.keys) if result else ()
        return cls(batch, input_object, detail.job_id, detail.state, detail.code,
                   detail.message, detail.end_time, outputs, sprites)  # fmt: skip


TemplateAction = (
    CreateTemplate
    | AdoptTemplate
    | UpdateTemplate
    | RecreateTemplate
    | DeleteTemplate
    | ForgetTemplate
    | KeepTemplate
)
JobAction = SubmitJob | AdoptJob | CancelJob | ForgetJob | KeepJob
Action = TemplateAction | JobAction

ActionKind = Literal[
    "create_template",
    "adopt_template",
    "update_template",
    "recreate_template",
    "delete_template",
    "forget_template",
    "keep_template",
    "submit_job",
    "adopt_job",
    "cancel_job",
    "forget_job",
    "keep_job",
]
ACTION_TYPES: dict[str, type[Any]] = {
    cls.kind: cls
    for cls in (
        CreateTemplate,
        AdoptTemplate,
        UpdateTemplate,
        RecreateTemplate,
        DeleteTemplate,
        ForgetTemplate,
        KeepTemplate,
        SubmitJob,
        AdoptJob,
        CancelJob,
        ForgetJob,
        KeepJob,
    )
}
NO_OPS = frozenset({"keep_template", "keep_job"})
CHANGES = frozenset(ACTION_TYPES) - NO_OPS
