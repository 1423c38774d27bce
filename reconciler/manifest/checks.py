"""Rules a JSON Schema cannot express well, checked on one schema-valid document at a time.

Errors: what the service would refuse or what would lose output (object keys it refuses, output
patterns that would overwrite their own files, sub-millisecond times). Warnings: what the
service accepts but ignores (a setting that only applies with another, a value outside a
documented *reference* range). A warning never stops a run: "never refuse a request the
service accepts"; ``validate --strict`` makes warnings errors.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import Problem
from reconciler.manifest.build import SPRITE_MODES
from reconciler.manifest.hints import did_you_mean, shorten
from reconciler.manifest.yamlload import Document, JsonPath, dotted
from reconciler.plan import naming

MAX_KEY_BYTES = 850
# One compiled search each instead of a Python loop over segments and characters: a batch can
# list 100,000 keys. \A and \Z, not ^ and $, which would also match before a final newline.
_DOT_SEGMENT = re.compile(r"(?:\A|/)\.\.?(?=/|\Z)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
BLACK_LEVEL_REFERENCE = (30, 100)
SPEC: JsonPath = ("spec",)
OUTPUT: JsonPath = ("spec", "output")
INPUTS: JsonPath = ("spec", "inputs")


@dataclass
class Report:
    """Problems found in one document, located through its position table."""

    doc: Document
    problems: list[Problem] = field(default_factory=list)

    def add(self, path: JsonPath, message: str, *, at: JsonPath | None = None) -> None:
        """A problem about the field at ``path``, shown at the key of ``at`` (default ``path``)."""
        pos = self.doc.key_at(path if at is None else at)
        self.problems.append(Problem(self.doc.file, pos.line, pos.column, dotted(path), message))

    def warn(self, path: JsonPath, message: str) -> None:
        """A warning about the field at ``path``, shown at its key: accepted, but ignored."""
        pos = self.doc.key_at(path)
        problem = Problem(self.doc.file, pos.line, pos.column, dotted(path), message, "warning")
        self.problems.append(problem)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_warning]


def key_problem(key: str, *, what: str = "object key") -> str | None:
    """Why ``key`` cannot be an object key, or None when it can."""
    if not key:
        return f"{what} must not be empty"
    if key.startswith("/"):
        return f"{what} must not start with '/'"
    if _DOT_SEGMENT.search(key):
        return f"{what} must not contain '.' or '..' path segments"
    if _CONTROL.search(key):
        return f"{what} must not contain control characters"
    size = len(key.encode("utf-8"))
    if size > MAX_KEY_BYTES:
        return f"{what} is {size} bytes long; the limit is {MAX_KEY_BYTES} bytes (UTF-8)"
    return None


STATE: JsonPath = ("spec", "state")
_BACKEND_FIELDS = {"local": ("path",), "cos": ("bucket", "region", "key", "endpoint")}


def check_state(report: Report, state: dict[str, Any]) -> None:
    """Fields of the other backend (they would be silently ignored) and unusable COS keys."""
    backend = state["backend"]
    for other, names in _BACKEND_FIELDS.items():
        for name in names:
            if other != backend and name in state:
                report.add((*STATE, name), f"is only used with backend: {other}")
    key = state.get("key")
    if backend == "cos" and isinstance(key, str):
        problem = key_problem(key, what="state key")
        if problem is None and key.endswith("/"):
            problem = "state key must name an object, not end with '/'"
        if problem is not None:
            report.add((*STATE, "key"), problem)


def _milliseconds(value: float) -> bool:
    scaled = value * 1000
    return math.isclose(scaled, round(scaled), abs_tol=1e-6)


def check_settings(report: Report, raw: dict[str, Any], base: JsonPath) -> None:
    """Sub-millisecond times (errors) and settings the service would ignore (warnings)."""
    for name in ("start", "timeInterval"):
        if name in raw and not _milliseconds(float(raw[name])):
            report.add((*base, name), f"has more than millisecond precision: {raw[name]}")
    mode = raw.get("mode", "Interval")
    for name in ("timeInterval", "isCheckCount"):
        if name in raw and mode != "Interval":
            report.warn((*base, name), f"is ignored in {mode} mode (only used in Interval mode)")
    _check_black(report, raw, base)
    sprite = raw.get("spriteSnapshotConfig")
    if sprite is not None and raw.get("snapshotOutMode") not in SPRITE_MODES:
        message = "is ignored unless snapshotOutMode is OnlySprite or SnapshotAndSprite"
        report.warn((*base, "spriteSnapshotConfig"), message)
    if sprite is not None and "scaleMethod" in sprite:
        if not ("cellWidth" in sprite and "cellHeight" in sprite):
            path = (*base, "spriteSnapshotConfig", "scaleMethod")
            report.warn(path, "is ignored unless both cellWidth and cellHeight are set")


def _check_black(report: Report, raw: dict[str, Any], base: JsonPath) -> None:
    """Black-frame settings (ci-api.md 2.3): one warning per field, the first reason that holds.

    Both only apply with isCheckBlack: true; blackLevel only when start is 0, and its
    [30, 100] is a reference range (the schema's [0, 100] percent bound stays an error).
    """
    checking = raw.get("isCheckBlack") is True
    for name in ("blackLevel", "pixelBlackThreshold"):
        if name in raw and not checking:
            report.warn((*base, name), "is ignored without isCheckBlack: true")
    level = raw.get("blackLevel")
    if level is None or not checking:
        return
    start = raw.get("start", 0)
    low, high = BLACK_LEVEL_REFERENCE
    if float(start) != 0:
        report.warn((*base, "blackLevel"), f"is ignored unless start is 0 (start is {start})")
    elif not low <= level <= high:
        message = f"{level} is outside the documented reference range [{low}, {high}]"
        report.warn((*base, "blackLevel"), message)


def check_overridden(report: Report, spec: dict[str, Any]) -> None:
    """Inline settings beside a template: sent, and ignored (TemplateId has priority)."""
    for name in ("templateId", "template"):
        if name in spec:
            message = f"is ignored: {name} wins over inline settings (TemplateId has priority)"
            report.warn((*SPEC, "snapshot"), message)
            return


def check_callback(report: Report, callback: dict[str, Any] | None) -> None:
    """A TDMQ target on a Url callback is sent, and ignored by the service."""
    if callback is not None and "mq" in callback and callback.get("type") != "TDMQ":
        report.warn(("spec", "callback", "mq"), "is ignored unless type is TDMQ")


def check_inputs(report: Report, inputs: dict[str, Any]) -> None:
    """Input keys the service would refuse, duplicates; filters with nothing listed to
    filter warn; a prefix together with a keysFile is an error."""
    seen: dict[str, int] = {}
    for index, key in enumerate(inputs.get("objects", ())):
        problem = key_problem(key)
        if problem is None and key.endswith("/"):
            problem = "ends with '/': that is a folder marker, not a video"
        if problem is not None:
            report.add((*INPUTS, "objects", index), problem)
        elif key in seen:
            message = f"duplicate input '{shorten(key)}' (also item {seen[key]})"
            report.add((*INPUTS, "objects", index), message)
        seen.setdefault(key, index)
    prefix = inputs.get("prefix")
    if prefix:
        problem = key_problem(prefix, what="prefix")
        if problem is not None:
            report.add((*INPUTS, "prefix"), problem)
    listed = prefix is not None or "keysFile" in inputs
    for name in ("include", "exclude"):
        if name in inputs and not listed:
            message = "is ignored without prefix or keysFile: it only filters keys listed from one"
            report.warn((*INPUTS, name), message)
    if prefix is not None and "keysFile" in inputs:
        report.add((*INPUTS, "keysFile"), "cannot be combined with prefix; use one of them")


def check_user_data(report: Report, spec: dict[str, Any]) -> None:
    """The schema allows the service's 1,024 characters; apply appends its job marker to them."""
    text = spec.get("userData")
    if isinstance(text, str) and len(text) > naming.USER_TEXT_LIMIT:
        report.add(
            ("spec", "userData"),
            f"{len(text)} characters; at most {naming.USER_TEXT_LIMIT} here, since reconciler "
            f"appends a space and its {naming.MARKER_LENGTH}-character job marker and the "
            f"service takes {naming.USER_DATA_LIMIT}",
        )


def may_have_many_inputs(inputs: dict[str, Any]) -> bool:
    return "prefix" in inputs or "keysFile" in inputs or len(set(inputs.get("objects", ()))) > 1


def _check_pattern(report: Report, name: str, pattern: str, many_inputs: bool) -> bool:
    """Placeholders and key shape of one output pattern; True when it is usable."""
    path = (*OUTPUT, name)
    unknown = naming.unknown_placeholders(pattern)
    for word in unknown:
        hint = did_you_mean(word, naming.PLACEHOLDERS)
        choices = ", ".join("{" + p + "}" for p in naming.PLACEHOLDERS)
        report.add(path, f"unknown placeholder '{{{word}}}'{hint}; known: {choices}")
    problem = key_problem(naming.render_output(pattern, "dir/name.ext"), what="output key")
    if problem is not None:
        report.add(path, problem)
    if many_inputs and not naming.is_per_input(pattern):
        message = "every input would write the same keys; use {stem}, {name}, {dir} or {path}"
        report.add(path, message)
        return False
    return not unknown and problem is None


def check_output(
    report: Report, output: dict[str, Any], settings: dict[str, Any] | None, many: bool
) -> bool:
    """Output patterns against what the settings produce (``settings`` None: a remote template).

    ``${number}`` rule (the safe one): frames need it when count > 1 or the count is unknown;
    sprite sheets always need it, because their number depends on the video's length.
    Returns True when the patterns are usable for collision checks.
    """
    obj, sprite = output.get("object"), output.get("spriteObject")
    usable = True
    for name, pattern in (("object", obj), ("spriteObject", sprite)):
        if pattern is not None:
            usable = _check_pattern(report, name, pattern, many) and usable
    if obj is None and sprite is None and settings is None:
        message = "needs object, spriteObject or both (the template's settings are not known)"
        report.add((*OUTPUT, "object"), message, at=OUTPUT)
        return False
    out_mode = None if settings is None else settings.get("snapshotOutMode", "OnlySnapshot")
    frames = out_mode != "OnlySprite"
    sprites = out_mode is None or out_mode in SPRITE_MODES
    _check_presence(report, obj, sprite, out_mode, frames, sprites)
    count = None if settings is None else settings["count"]
    if obj is not None and frames and (count is None or count > 1):
        if not naming.has_number_placeholder(obj):
            what = "the template's count is unknown" if count is None else f"count is {count}"
            report.add((*OUTPUT, "object"), f"must contain ${{number}}: {what}")
    if sprite is not None and sprites:
        if not naming.has_number_placeholder(sprite):
            message = "must contain ${number}: a long video can produce several sprite sheets"
            report.add((*OUTPUT, "spriteObject"), message)
        if not sprite.lower().endswith(".jpg"):
            report.add((*OUTPUT, "spriteObject"), "must end in .jpg (sprite sheets are JPEG)")
    if obj is not None and obj == sprite:
        report.add(
            (*OUTPUT, "spriteObject"), "is the same as object: sprites would overwrite frames"
        )
        usable = False
    return usable and (obj is not None or sprite is not None)


def _check_presence(
    report: Report,
    obj: str | None,
    sprite: str | None,
    out_mode: str | None,
    frames: bool,
    sprites: bool,
) -> None:
    if out_mode is None:
        return
    if frames and obj is None:
        report.add((*OUTPUT, "object"), f"missing required field 'object' ({out_mode})", at=OUTPUT)
    if sprites and sprite is None:
        message = f"missing required field 'spriteObject' ({out_mode} writes sprite sheets)"
        report.add((*OUTPUT, "spriteObject"), message, at=OUTPUT)
    if not frames and obj is not None:
        report.warn((*OUTPUT, "object"), "is ignored: snapshotOutMode OnlySprite writes no frames")
    if not sprites and sprite is not None:
        message = f"is ignored: snapshotOutMode {out_mode} writes no sprite sheets"
        report.warn((*OUTPUT, "spriteObject"), message)
