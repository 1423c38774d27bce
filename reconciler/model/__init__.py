"""Typed values every layer agrees on: API objects (templates, jobs, objects) and desired state.

Everything here is a frozen dataclass of plain Python values (no XML, no YAML, no HTTP), so the
planner can be a pure function and tests can build inputs with keyword arguments. Field names
are the API's names in snake_case; ``None`` always means "not set" (the service's default applies),
which is different from an explicit ``False`` or ``0``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.errors import Problem
from reconciler.model.location import CosState as CosState
from reconciler.model.location import LocalState as LocalState
from reconciler.model.location import StateLocation as StateLocation
from reconciler.model.location import location_from_data as location_from_data
from reconciler.model.states import JobState as JobState

# --------------------------------------------------------------------------------------------
# Snapshot settings (the <Snapshot> container of templates and of inline job operations)


@dataclass(frozen=True)
class SpriteConfig:
    """<SpriteSnapshotConfig>: sprite-sheet layout (ci-api.md 2.4)."""

    color: str
    columns: int
    lines: int
    cell_width: int | None = None
    cell_height: int | None = None
    padding: int | None = None
    margin: int | None = None
    scale_method: str | None = None


@dataclass(frozen=True)
class SnapshotSettings:
    """<Snapshot>: frame-capture settings (ci-api.md 2.3). ``count`` is the only required field."""

    count: int
    mode: str | None = None
    start: float | None = None
    time_interval: float | None = None
    width: int | None = None
    height: int | None = None
    ci_param: str | None = None
    is_check_count: bool | None = None
    is_check_black: bool | None = None
    black_level: int | None = None
    pixel_black_threshold: int | None = None
    snapshot_out_mode: str | None = None
    sprite: SpriteConfig | None = None


# --------------------------------------------------------------------------------------------
# Templates


@dataclass(frozen=True)
class RemoteTemplate:
    """A snapshot template as the service reports it.

    ``snapshot`` is None when the service's ``<Snapshot>`` could not be understood (e.g. no
    usable ``<Count>``); ``problem`` then says why. Such a template is known by ID and name
    only: the planner neither adopts nor updates it, and says so in a plan warning.
    """

    template_id: str
    name: str
    snapshot: SnapshotSettings | None
    bucket_id: str = ""
    category: str = "Custom"
    create_time: str = ""
    update_time: str = ""
    problem: str = ""


@dataclass(frozen=True)
class TemplatePage:
    """One page of ``GET /template``.

    ``problems`` names each list entry that could not be fully read (by TemplateId and Name):
    an entry without a TemplateId is left out of ``templates``, one whose settings are
    unreadable is kept with ``snapshot`` None. One odd entry never fails the page.
    """

    templates: tuple[RemoteTemplate, ...]
    total_count: int
    page_number: int
    page_size: int
    problems: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# Jobs


@dataclass(frozen=True)
class JobOutput:
    """<Operation><Output>: where frames and sprite sheets are written."""

    region: str
    bucket: str
    object: str | None = None
    sprite_object: str | None = None


@dataclass(frozen=True)
class MqConfig:
    """<CallBackMqConfig>: TDMQ callback target."""

    mq_region: str
    mq_name: str
    mq_mode: str | None = None


@dataclass(frozen=True)
class JobRequest:
    """Everything sent in one ``POST /jobs`` for a Snapshot job (ci-api.md 3.1)."""

    input_object: str
    output: JobOutput
    template_id: str | None = None
    snapshot: SnapshotSettings | None = None
    user_data: str | None = None
    job_level: int | None = None
    queue_id: str | None = None
    callback: str | None = None
    callback_format: str | None = None
    callback_type: str | None = None
    mq_config: MqConfig | None = None


@dataclass(frozen=True)
class OutputFile:
    """<OutputFile> / <SpriteOutputFile> of a MediaResult: full key = prefix + name."""

    bucket: str
    region: str
    object_prefix: str
    object_names: tuple[str, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.object_prefix + name for name in self.object_names)


@dataclass(frozen=True)
class MediaResult:
    """<MediaResult> of a finished job: the frames and sprite sheets written."""

    output_files: tuple[OutputFile, ...] = ()
    sprite_files: tuple[OutputFile, ...] = ()


#: What an empty or absent ``<State>`` becomes: the service told us nothing, so the job is
#: unfinished as far as we know (a named value reads better in tables than an empty one).
UNKNOWN_STATE = "Unknown"


@dataclass(frozen=True)
class JobDetail:
    """<JobsDetail> as the service reports it (submit, describe and list all return this).

    ``state`` is the service's text verbatim (:data:`UNKNOWN_STATE` when it sent none).
    ``problem`` is set when a part of the reply could not be understood (an echoed
    ``<Snapshot>`` without a usable Count, a ``<JobLevel>`` that is not a number): that part is
    None, while the identity, state, result and outputs, which are plain text, are kept.
    """

    job_id: str
    state: str
    input_object: str
    creation_time: str = ""
    start_time: str = ""
    end_time: str = ""
    code: str = ""
    message: str = ""
    queue_id: str = ""
    template_id: str | None = None
    template_name: str | None = None
    snapshot: SnapshotSettings | None = None
    output: JobOutput | None = None
    user_data: str | None = None
    job_level: int | None = None
    media_result: MediaResult | None = None
    problem: str = ""

    @property
    def finished(self) -> bool:
        return JobState.is_finished(self.state)


@dataclass(frozen=True)
class JobPage:
    """One page of ``GET /jobs``; ``next_token`` is empty on the last page.

    ``problems``: entries that could not be read (no JobId) or were read only in part.
    """

    jobs: tuple[JobDetail, ...]
    next_token: str
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class DescribeResult:
    """``GET /jobs/<id>,<id>``: the jobs found and the ids the service does not know.

    An entry without a JobId cannot be matched to a request: it is left out and named in
    ``problems``, so the job it was is neither in ``jobs`` nor in ``non_exist_ids`` and
    callers leave it as recorded.
    """

    jobs: tuple[JobDetail, ...]
    non_exist_ids: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# Queues and objects


@dataclass(frozen=True)
class Queue:
    """<QueueList> entry of ``GET /queue``."""

    queue_id: str
    name: str
    state: str
    category: str = ""
    max_size: int | None = None
    max_concurrent: int | None = None


@dataclass(frozen=True)
class ObjectInfo:
    """An object from a COS bucket listing or HEAD."""

    key: str
    etag: str
    size: int
    last_modified: str = ""


@dataclass(frozen=True)
class ObjectPage:
    """One page of ``GET /`` on a bucket (ListBucketResult)."""

    objects: tuple[ObjectInfo, ...]
    is_truncated: bool
    next_marker: str


# --------------------------------------------------------------------------------------------
# Desired state (built from manifests by reconciler.manifest)

EMBEDDED = "embedded"


@dataclass(frozen=True)
class Source:
    """Where a manifest value came from, for messages that point at the user's file."""

    file: str
    line: int


@dataclass(frozen=True)
class Pricing:
    """What the user says a thousand frames cost (the plan turns frames into money with it)."""

    per_thousand_frames: float
    currency: str


@dataclass(frozen=True)
class Budget:
    """Upper limits a plan may not exceed without ``--allow-over-budget`` (None: no limit)."""

    max_jobs: int | None = None
    max_frames: int | None = None


@dataclass(frozen=True)
class TargetSpec:
    """A CI-enabled bucket. ``endpoint`` None means the real service; ``"embedded"`` the built-in
    emulator; anything else is a base URL (e.g. ``http://127.0.0.1:9000``)."""

    name: str
    region: str
    bucket: str
    endpoint: str | None = None
    source: Source | None = None
    pricing: Pricing | None = None
    budget: Budget | None = None


@dataclass(frozen=True)
class TemplateSpec:
    """A SnapshotTemplate manifest; ``name`` is also the remote template Name."""

    name: str
    target: str
    snapshot: SnapshotSettings
    source: Source | None = None


@dataclass(frozen=True)
class KeyFileRef:
    """A key-list file a batch takes its inputs from: where it was read (relative to the working
    directory when the manifest path was), the sha256 of its (decompressed) content, and how
    many keys it held. A saved plan pins it; apply refuses the plan once the digest moved."""

    path: str
    digest: str
    count: int = 0


@dataclass(frozen=True)
class InputSelector:
    """Which input objects a batch covers: an explicit list and/or a prefix or a key-list file
    (``keysFile``), the last two filtered by glob patterns. ``file_keys`` holds the key file's
    keys, in file order (not compared: the digest in ``keys_file`` stands for them)."""

    objects: tuple[str, ...] = ()
    prefix: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    keys_file: KeyFileRef | None = None
    file_keys: tuple[str, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class OutputSpec:
    """Output location; ``object``/``sprite_object`` still hold per-input ``{stem}``-style
    placeholders (rendered per input by :func:`reconciler.plan.naming.render_output`)."""

    region: str
    bucket: str
    object: str | None = None
    sprite_object: str | None = None


@dataclass(frozen=True)
class CallbackSpec:
    """Job-completion callback: a URL (``type`` Url) or a TDMQ queue (``type`` TDMQ)."""

    url: str | None = None
    format: str | None = None
    type: str | None = None
    mq: MqConfig | None = None


@dataclass(frozen=True)
class BatchSpec:
    """A SnapshotJobBatch: ``template`` or ``template_id`` (not both) and/or ``snapshot``; a
    template wins over ``snapshot``, which is still sent (the service ignores it)."""

    name: str
    target: str
    inputs: InputSelector
    output: OutputSpec
    template: str | None = None
    template_id: str | None = None
    snapshot: SnapshotSettings | None = None
    job_level: int | None = None
    user_data: str | None = None
    queue_id: str | None = None
    callback: CallbackSpec | None = None
    source: Source | None = None
    pricing: Pricing | None = None
    budget: Budget | None = None


@dataclass(frozen=True)
class DesiredState:
    """All manifests, validated and cross-checked. Keys are metadata names."""

    targets: Mapping[str, TargetSpec] = field(default_factory=dict)
    templates: Mapping[str, TemplateSpec] = field(default_factory=dict)
    batches: Mapping[str, BatchSpec] = field(default_factory=dict)
    # The manifests' ``state:`` (every Target declaring one agrees); None: none declared one.
    state: StateLocation | None = None
    # What the service would accept but ignore, located in the manifests (``validate`` and
    # ``plan`` print them; they never stop a run).
    warnings: tuple[Problem, ...] = ()
