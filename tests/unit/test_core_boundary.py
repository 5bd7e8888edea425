"""The package's structure, as its imports draw it.

* The core is Pulumi-free: nothing under ``core/`` imports ``pulumi``, directly or not.
* Every import points down a floor: errors and version, then config, the HTTP client, the core,
  the catalog, the two adapters side by side, the top (the pickled provider shim, the public
  surface, the catalog's resources), and the code generator above it all. Inside the core too:
  paths and models, rules and lookups, the kind base, the kinds, the service. No arrow goes up
  (the generated resources carry their provider pickled, not imported); the adapters never
  import each other.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import launchdarkly_experiments

PACKAGE = "launchdarkly_experiments"
PACKAGE_DIR = Path(launchdarkly_experiments.__file__).parent
CORE_DIR = PACKAGE_DIR / "core"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


CORE_MODULES = sorted(module_name(p) for p in CORE_DIR.rglob("*.py"))

#: Floors, lowest first: a module may import from its own room or a lower floor's.
FLOORS: list[tuple[str, ...]] = [
    ("errors", "version"),
    ("config",),
    ("http",),
    ("core.paths", "core.models"),
    ("core.rules", "core.lookups"),
    ("core.kind",),
    ("core.kinds",),
    ("core.service", "core"),
    ("catalog",),
    ("dynamic", "native"),
    ("provider", "catalog_resources", ""),
    ("codegen",),
]


def room(module: str) -> tuple[int, str]:
    """(floor, room) of a module: the longest room name it lies in."""
    name = module.removeprefix(PACKAGE).removeprefix(".")
    best: tuple[int, str] | None = None
    for floor, rooms in enumerate(FLOORS):
        for candidate in rooms:
            inside = name == candidate or name.startswith(candidate + ".") or candidate == ""
            if inside and (best is None or len(candidate) > len(best[1])):
                best = (floor, candidate)
    assert best is not None, module
    return best


def imports_of(path: Path) -> list[str]:
    """The package modules ``path`` imports (absolute names)."""
    module = module_name(path)
    package = module if path.stem == "__init__" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            names = [f"{target}.{alias.name}" for alias in node.names]
            found += [target] if not node.level or node.module else names
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return [name for name in found if name.split(".")[0] == PACKAGE]


def test_no_module_under_core_imports_pulumi() -> None:
    for path in sorted(CORE_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] != "pulumi", f"{path}: import {name}"


def test_every_import_points_down_and_the_adapters_stand_side_by_side() -> None:
    arrows = 0
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        source = module_name(path)
        source_floor, source_room = room(source)
        for target in imports_of(path):
            target_floor, target_room = room(target)
            arrows += 1
            if target_room == source_room:
                continue
            assert target_floor < source_floor, (
                f"{source} (floor {source_floor}, {source_room or 'top'}) imports {target} "
                f"(floor {target_floor}, {target_room or 'top'})"
            )
    assert arrows > 50, "the walk found the imports"


def test_the_rules_catch_a_sideways_and_an_upward_import() -> None:
    """The floors above are a real constraint: these arrows would fail the test."""
    assert room(f"{PACKAGE}.native.provider")[0] == room(f"{PACKAGE}.dynamic.unknowns")[0]
    assert room(f"{PACKAGE}.native.provider")[1] != room(f"{PACKAGE}.dynamic.unknowns")[1]
    assert room(f"{PACKAGE}.core.kinds.experiment.plan")[0] > room(f"{PACKAGE}.core.kind")[0]
    assert room(f"{PACKAGE}.http.client")[0] < room(f"{PACKAGE}.core.service")[0]


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
        from launchdarkly_experiments.core.kinds.experiment import plan
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
    assert f"{PACKAGE}.core.kinds.experiment.reconcile" in CORE_MODULES
