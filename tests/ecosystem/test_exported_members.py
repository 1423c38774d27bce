"""The public names of ``reconciler`` stay sorted, importable and documented (httpx's habit)."""

from __future__ import annotations

import subprocess
import sys

import reconciler


def test_all_is_sorted_and_every_name_resolves() -> None:
    names = reconciler.__all__
    assert names == sorted(names)
    for name in names:
        value = getattr(reconciler, name)
        if name != "__version__":
            assert value.__doc__, f"{name} has no docstring"
            assert value.__module__.startswith("reconciler."), name


def test_every_public_class_of_the_api_module_is_exported() -> None:
    from reconciler import api

    public = {
        n for n, v in vars(api).items() if isinstance(v, type) and v.__module__ == api.__name__
    }
    assert public <= set(reconciler.__all__)


def test_unknown_names_raise_attribute_error() -> None:
    try:
        reconciler.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_importing_the_model_does_not_load_the_client_stack() -> None:
    code = "import sys, reconciler.model; print('reconciler.engine.workflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
