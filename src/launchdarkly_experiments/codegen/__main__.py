"""``python -m launchdarkly_experiments.codegen [--check]``: write or check the generated files."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from ..catalog import schema_text
from ..core.kinds import KINDS
from ..native.schema import schema_json
from .python import dynamic_resources
from .reference import with_reference

ROOT = Path(__file__).resolve().parents[3]


def outputs() -> dict[Path, Callable[[str], str]]:
    """Each generated file and how to make it from its current text."""
    return {
        ROOT / "schema" / "schema.json": lambda _: schema_json(KINDS),
        ROOT / "src" / "launchdarkly_experiments" / "dynamic" / "resources.py": (
            lambda _: dynamic_resources(KINDS)
        ),
        ROOT / "README.md": lambda text: with_reference(text, KINDS),
        ROOT / "schemas" / "experiments.schema.json": lambda _: schema_text(),
    }


def main(argv: list[str]) -> int:
    check = argv == ["--check"]
    stale = []
    for path, make in outputs().items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        fresh = make(current)
        if fresh != current:
            stale.append(path.relative_to(ROOT))
            if not check:
                path.write_text(fresh, encoding="utf-8")
    if check and stale:
        print("stale: " + ", ".join(map(str, stale)), file=sys.stderr)
        return 1
    for path in stale:
        print(f"regenerated {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
