"""The layering rules of style.md, enforced by walking every module's imports with ast."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"
PURE = {"actions", "fingerprint", "expand", "diff", "planner", "templates", "naming"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules() -> dict[str, set[str]]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = imports_of(path)
    return out


def _uses(imports: set[str], prefix: str) -> bool:
    return any(i == prefix or i.startswith(prefix + ".") for i in imports)


def test_emulator_is_independent_of_the_client() -> None:
    for name, imports in modules().items():
        if name.startswith("reconciler.emulator"):
            foreign = {
                i for i in imports
                if _uses({i}, "reconciler") and not _uses({i}, "reconciler.emulator")
            }  # fmt: skip
            assert not foreign, f"{name} imports {foreign}"


def test_only_remote_talks_http_and_xml() -> None:
    for name, imports in modules().items():
        if name.startswith(("reconciler.remote", "reconciler.emulator")):
            continue
        assert not _uses(imports, "httpx"), f"{name} imports httpx"
        assert not _uses(imports, "lxml"), f"{name} imports lxml"


def test_only_the_codec_parses_xml_in_the_client() -> None:
    for name, imports in modules().items():
        if name.startswith("reconciler.remote") and _uses(imports, "lxml"):
            assert name.startswith("reconciler.remote.codec"), f"{name} imports lxml"


def test_emulator_is_reached_only_from_the_edges() -> None:
    allowed = {
        "reconciler.cli.commands",
        "reconciler.cli.admin",
        "reconciler.engine.connect",
        "reconciler.state.backends",
    }
    for name, imports in modules().items():
        if name.startswith("reconciler.emulator") or name in allowed:
            continue
        assert not _uses(imports, "reconciler.emulator"), f"{name} imports the emulator"


def test_pure_modules_do_no_io() -> None:
    banned = (
        "reconciler.remote.client",
        "reconciler.state.local.store",
        "reconciler.cli.commands",
        "httpx",
        "lxml",
        "reconciler.engine.workflow",
        "reconciler.engine.apply",
        "yaml",
        "jsonschema",
    )
    for name, imports in modules().items():
        if name.split(".")[-1] in PURE and name.startswith("reconciler.plan."):
            for ban in banned:
                assert not _uses(imports, ban), f"{name} imports {ban}"


def test_only_diff_uses_deepdiff() -> None:
    for name, imports in modules().items():
        if _uses(imports, "deepdiff"):
            assert name == "reconciler.plan.diff", f"{name} imports deepdiff"


def test_modules_stay_small() -> None:
    big = {p.name: n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 450}
    assert not big, f"modules over 450 lines: {big}"
