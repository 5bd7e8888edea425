"""The core is Pulumi-free: nothing under ``core/`` imports ``pulumi``, directly or not."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import launchdarkly_experiments

PACKAGE_DIR = Path(launchdarkly_experiments.__file__).parent
CORE_DIR = PACKAGE_DIR / "core"
CORE_MODULES = sorted(
    f"launchdarkly_experiments.core.{path.stem}"
    for path in CORE_DIR.glob("*.py")
    if path.stem != "__init__"
)


def test_no_module_under_core_imports_pulumi_or_the_adapters() -> None:
    for path in sorted(CORE_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            else:
                continue
            for name in names:
                assert name.split(".")[0] != "pulumi", f"{path.name}: import {name}"
                # From core/, '..dynamic' and '..provider' are the Pulumi adapters.
                assert not name.startswith(("..dynamic", "..provider")), f"{path.name}: {name}"


def test_core_imports_and_checks_with_pulumi_blocked() -> None:
    # The package's __init__ imports the dynamic resource (and so pulumi) on purpose; register
    # the package without running it, so only core and what core imports is loaded.
    script = textwrap.dedent(
        f"""
        import importlib, importlib.abc, sys, types

        class BlockPulumi(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "pulumi" or name.startswith("pulumi."):
                    raise ImportError("core imported " + name)
                return None

        sys.meta_path.insert(0, BlockPulumi())
        package = types.ModuleType("launchdarkly_experiments")
        package.__path__ = [{str(PACKAGE_DIR)!r}]
        sys.modules["launchdarkly_experiments"] = package
        for name in {CORE_MODULES!r}:
            importlib.import_module(name)
        from launchdarkly_experiments.core import plan
        checked = plan.check({{}}, {{"key": "x"}})
        assert checked.problems, checked
        assert not [m for m in sys.modules if m == "pulumi" or m.startswith("pulumi.")]
        print("ok", len({CORE_MODULES!r}))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ok", str(len(CORE_MODULES))]
    assert "launchdarkly_experiments.core.reconcile" in CORE_MODULES
