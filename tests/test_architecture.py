"""The layering rules of ARCHITECTURE.md, enforced by resolving every import of every module.

Relative imports (``from ..model import X``) and ``from package import module`` are resolved to
absolute module names before the rules are checked, so no import is invisible to this test; a
planted violation in a copy of the package proves it.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"

#: What each part of the package may import from the rest of it (besides itself).
LAYERS: dict[str, set[str]] = {
    "errors": set(),
    "model": {"errors"},
    "plan": {"model", "errors"},
    "manifest": {"model", "errors", "plan"},
    "remote": {"model", "errors"},
    "state": {"model", "errors", "remote"},
    "engine": {"model", "errors", "plan", "manifest", "remote", "state"},
    "api": {"model", "errors", "plan", "manifest", "engine"},
    "cli": {"model", "errors", "plan", "manifest", "remote", "state", "engine", "emulator"},
    "docs": set(),
    "emulator": set(),
}
#: Only these modules may start the emulator: the embedded endpoint and ``emulator serve``.
EMULATOR_EDGES = {"reconciler.remote.embedded", "reconciler.cli.admin"}
#: Third-party libraries that belong to one place each.
OWNERS = {
    "httpx": ("reconciler.remote", "reconciler.emulator"),
    "httpcore": ("reconciler.remote.deadline",),
    "lxml": ("reconciler.remote.codec", "reconciler.emulator"),
    "deepdiff": ("reconciler.plan.diff",),
    "click": ("reconciler.cli",),
    "rich": ("reconciler.cli",),
    "yaml": ("reconciler.manifest",),
    "jsonschema": ("reconciler.manifest",),
    "filelock": ("reconciler.state.local",),
}


def module_name(path: Path, root: Path) -> str:
    name = ".".join(path.relative_to(root.parent).with_suffix("").parts)
    return name.removesuffix(".__init__")


def resolved_imports(path: Path, root: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module) for every import in ``path``, relative ones resolved."""
    name = module_name(path, root)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:  # ``from pkg import module`` imports pkg.module
                yield node.lineno, f"{module}.{alias.name}"


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "reconciler" and len(parts) > 1 else None


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(root: Path) -> list[str]:
    """Every import in the package at ``root`` that breaks a rule, as 'module:line: why'."""
    found = []
    for path in sorted(root.rglob("*.py")):
        name = module_name(path, root)
        own = _part(name)
        for line, imported in resolved_imports(path, root):
            where = f"{name}:{line}"
            other = _part(imported)
            if own is not None and other is not None and other != own:
                allowed = LAYERS.get(own)
                if other == "emulator":
                    if name not in EMULATOR_EDGES:
                        found.append(f"{where}: only {sorted(EMULATOR_EDGES)} start the emulator")
                elif allowed is not None and other not in allowed:
                    found.append(f"{where}: {own} may not import {imported}")
            top = imported.split(".")[0]
            owners = OWNERS.get(top)
            if owners and not any(_under(name, o) for o in owners):
                found.append(f"{where}: {top} belongs to {owners}")
    return found


def test_every_import_follows_the_layers() -> None:
    assert violations(PACKAGE) == []


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()}
    parts -= {"__init__", "__main__", "__pycache__", "py", "schemas"}
    parts = {p for p in parts if not p.startswith(".") and p != "py.typed"}
    assert parts <= set(LAYERS), f"no layer rule for {parts - set(LAYERS)}"


@pytest.mark.parametrize(
    ("module", "planted", "expected"),
    [
        ("emulator/store.py", "from ..model import EMBEDDED", "emulator may not import"),
        ("plan/planner.py", "from ..remote.client import CIClient", "plan may not import"),
        ("plan/diff.py", "from . import document\nimport httpx", "httpx belongs to"),
        ("state/view.py", "from reconciler.engine import apply", "state may not import"),
    ],
)
def test_a_planted_violation_fails(
    tmp_path: Path, module: str, planted: str, expected: str
) -> None:
    copy = tmp_path / "reconciler"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / module).open("a") as f:
        f.write(f"\n{planted}\n")
    assert violations(copy) != []
    assert any(expected in v for v in violations(copy)), violations(copy)


def test_the_planner_loads_only_model_errors_and_plan() -> None:
    code = (
        "import sys, reconciler.plan.planner, reconciler.plan.render, reconciler.plan.document\n"
        "print('\\n'.join(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    ours = {m for m in loaded if _part(m) is not None}
    assert {_part(m) for m in ours} <= {"model", "errors", "plan"}, sorted(ours)
    for lib in ("filelock", "httpx", "lxml", "yaml", "jsonschema", "click", "rich"):
        assert lib not in loaded, f"the planner loads {lib}"


def test_modules_stay_small() -> None:
    big = {p.name: n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 450}
    assert not big, f"modules over 450 lines: {big}"
