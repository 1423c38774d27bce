"""Per-input naming: which objects a batch covers and where each job writes.

Pure functions shared by the manifest checks (explicit input lists, at load time) and the planner
(prefix listings, at plan time), so both agree exactly on what a job's input and outputs are.

Output patterns carry two kinds of placeholders:

* ``{path}`` ``{dir}`` ``{name}`` ``{stem}`` ``{ext}`` are ours, filled in per input key
  (``videos/2026/a.mp4`` gives path ``videos/2026/a.mp4``, dir ``videos/2026``, name ``a.mp4``,
  stem ``a``, ext ``mp4``). A ``{dir}`` followed by ``/`` swallows that slash when the key has no
  directory, so ``frames/{dir}/{stem}.jpg`` never renders ``frames//a.jpg``.
* ``${...}`` belong to the service (``${number}``, any case) and are left untouched.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable, Iterable, Mapping

from reconciler.model import InputSelector, OutputSpec

PLACEHOLDERS = ("path", "dir", "name", "stem", "ext")

# Every job's UserData ends with " rcn:<16 hex>", the marker that finds the job again after a
# lost reply; the service takes at most 1,024 characters, so the user's own text gets the rest.
MARKER_PREFIX = "rcn:"
MARKER_HEX_DIGITS = 16
MARKER_LENGTH = len(MARKER_PREFIX) + MARKER_HEX_DIGITS
USER_DATA_LIMIT = 1024
USER_TEXT_LIMIT = USER_DATA_LIMIT - len(" ") - MARKER_LENGTH

# ``{word}`` not preceded by ``$`` (``${number}`` is the service's).
_OURS = re.compile(r"(?<!\$)\{([^{}]*)\}")
_NUMBER = re.compile(r"\$\{number\}", re.IGNORECASE)


def key_parts(key: str) -> dict[str, str]:
    """The placeholder values for one input key.

    Exactly ``posixpath.split`` then ``posixpath.splitext`` (leading dots are not an extension),
    spelled out with string methods because a plan splits every one of up to 100,000 keys.
    """
    cut = key.rfind("/") + 1
    directory, name = key[:cut], key[cut:]
    if directory and directory != "/" * len(directory):
        directory = directory.rstrip("/")
    dot = name.rfind(".")
    if dot > 0 and name[:dot].strip("."):
        return {
            "path": key,
            "dir": directory,
            "name": name,
            "stem": name[:dot],
            "ext": name[dot + 1 :],
        }
    return {"path": key, "dir": directory, "name": name, "stem": name, "ext": ""}


def render_output(pattern: str, key: str) -> str:
    """Fill in our placeholders for ``key``; ``${..}`` stays for the service.

    Unknown placeholders are left as written (the manifest checks reject them before this runs).
    """
    return render_parts(pattern, key_parts(key))


def render_parts(pattern: str, parts: Mapping[str, str]) -> str:
    """:func:`render_output` with the key's :func:`key_parts` already split (once per key, however
    many patterns a job renders)."""
    return _format_string(pattern, bool(parts["dir"])).format_map(parts)


def _escape(literal: str) -> str:
    return literal.replace("{", "{{").replace("}", "}}")


@functools.lru_cache(maxsize=1024)
def _format_string(pattern: str, has_dir: bool) -> str:
    """``pattern`` as a ``str.format`` string whose only fields are our known placeholders.

    A manifest has a handful of patterns and a plan renders them for every input key, so each is
    scanned once here (cached per pattern, not per key) and then filled in by ``format_map`` in C.
    Everything else, ``${number}`` and unknown ``{words}`` included, is escaped to stay literal.
    """
    if not has_dir:
        pattern = pattern.replace("{dir}/", "{dir}")
    pieces, last = [], 0
    for match in _OURS.finditer(pattern):
        pieces.append(_escape(pattern[last : match.start()]))
        name = match.group(1)
        pieces.append("{" + name + "}" if name in PLACEHOLDERS else _escape(match.group(0)))
        last = match.end()
    pieces.append(_escape(pattern[last:]))
    return "".join(pieces)


def placeholders(pattern: str) -> list[str]:
    """Every ``{word}`` placeholder of ours in ``pattern``, in order of appearance."""
    return _OURS.findall(pattern)


def unknown_placeholders(pattern: str) -> list[str]:
    """Placeholders in ``pattern`` that are not one of :data:`PLACEHOLDERS`."""
    return [name for name in placeholders(pattern) if name not in PLACEHOLDERS]


def has_number_placeholder(pattern: str) -> bool:
    """True when the service will number the files (``${number}``, case-insensitive)."""
    return _NUMBER.search(pattern) is not None


def is_per_input(pattern: str) -> bool:
    """True when the pattern uses at least one per-input placeholder (so inputs can differ)."""
    return any(name in PLACEHOLDERS for name in placeholders(pattern))


def _matches(relative: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(relative, pattern) for pattern in patterns)


def select_inputs(keys: Iterable[str], selector: InputSelector) -> list[str]:
    """The input keys of a batch: the explicit objects, the key file's keys, and the listed
    ``keys`` under the prefix.

    Key-file keys are kept when they match an ``include`` glob (if any) and no ``exclude`` glob,
    matched against the whole key. Listed keys are kept when they start with the prefix, are not
    "directory" markers (ending in ``/``), match an ``include`` glob (if any) and no ``exclude``
    glob; globs are matched against the key with the prefix removed. Explicit objects are never
    filtered. Sorted, deduplicated.
    """
    chosen = set(selector.objects)
    if selector.file_keys:
        chosen.update(_filtered(selector.file_keys, selector.include, selector.exclude))
    if selector.prefix is not None:
        chosen.update(key for key in keys if is_listed_input(key, selector))
    return sorted(chosen)


def is_listed_input(key: str, selector: InputSelector) -> bool:
    """Whether a key listed from the bucket is an input of the batch (see :func:`select_inputs`)."""
    prefix = selector.prefix
    if prefix is None or not key.startswith(prefix) or key.endswith("/"):
        return False
    relative = key[len(prefix) :]
    if selector.include and not _matches(relative, selector.include):
        return False
    return not _matches(relative, selector.exclude)


def _filtered(keys: Iterable[str], include: tuple[str, ...], exclude: tuple[str, ...]) -> list[str]:
    """Key-file keys through the globs, matched against the whole key (there is no prefix)."""
    if not include and not exclude:
        return list(keys)
    return [k for k in keys if (not include or _matches(k, include)) and not _matches(k, exclude)]


def _stem(name: str) -> str:
    """A file name without its extension (leading dots are not one), as ``splitext``."""
    dot = name.rfind(".")
    return name[:dot] if dot > 0 and name[:dot].strip(".") else name


def _name_parts(key: str) -> dict[str, str]:
    """:func:`key_parts` without ``dir``, for patterns that do not use it."""
    name = key[key.rfind("/") + 1 :]
    stem = _stem(name)
    return {"path": key, "name": name, "stem": stem, "ext": name[len(stem) + 1 :]}


@functools.lru_cache(maxsize=1024)
def renderer(pattern: str) -> Callable[[str], str]:
    """:func:`render_output` for one pattern, as a function of the key that splits only what
    the pattern uses (a plan renders every pattern for up to a million keys). Held equal to
    :func:`render_output` by a property test."""
    used = {name for name in placeholders(pattern) if name in PLACEHOLDERS}
    if "dir" in used:  # the "{dir}/" rule depends on the key: the general path
        return functools.partial(render_output, pattern)
    fmt = _format_string(pattern, True)
    if not used:
        constant = fmt.format_map({})
        return lambda key: constant
    if used == {"path"}:
        return lambda key: fmt.format(path=key)
    if used == {"stem"}:  # the usual "frames/{stem}/..." pattern: the stem alone
        return lambda key: fmt.format(stem=_stem(key[key.rfind("/") + 1 :]))
    return lambda key: fmt.format_map(_name_parts(key))


def output_keys(batch_output: OutputSpec, key: str) -> tuple[str | None, str | None]:
    """The rendered (object, sprite_object) patterns of the job for input ``key``."""
    obj, sprite = batch_output.object, batch_output.sprite_object
    parts = key_parts(key)
    return (
        None if obj is None else render_parts(obj, parts),
        None if sprite is None else render_parts(sprite, parts),
    )


def output_locations(batch_output: OutputSpec, key: str) -> list[tuple[str, str, str]]:
    """(region, bucket, rendered pattern) of everything the job for ``key`` writes.

    Two jobs (or the frames and sprites of one job) collide exactly when they share an entry, which
    is how the manifest checks and the planner detect overwrites.
    """
    region, bucket = batch_output.region, batch_output.bucket
    return [(region, bucket, k) for k in output_keys(batch_output, key) if k is not None]
