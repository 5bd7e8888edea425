"""The emulator's fixture ids are written in one place: tests/support/fixture_ids.py reads them
from ld_emulator/fixtures.json, and the suite and benchmarks name them from there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.support import fixture_ids

ROOT = Path(__file__).resolve().parents[1]
# Left as they are: the state file recorded by release 0.1.0.
ELSEWHERE = (ROOT / "tests" / "fixtures",)
SUFFIXES = {".py", ".go", ".ts", ".yaml", ".yml", ".json"}


def _ids(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("_id", "_versionId") and isinstance(value, str):
                yield value
            else:
                yield from _ids(value)
    elif isinstance(node, list):
        for value in node:
            yield from _ids(value)


def test_the_named_ids_are_the_fixtures() -> None:
    flag = fixture_ids.PROJECT["flags"]["checkout-button"]
    assert [v["_id"] for v in flag["variations"]] == [fixture_ids.TOP, fixture_ids.BOTTOM]
    assert flag["config"]["rules"][0]["_id"] == fixture_ids.RULE_BETA
    assert fixture_ids.MISSING_RULE_ID not in set(_ids(fixture_ids.FIXTURES))


def test_no_test_or_benchmark_writes_a_fixture_id() -> None:
    ids = set(_ids(fixture_ids.FIXTURES))
    assert fixture_ids.TOP in ids and fixture_ids.MEMBER in ids
    files = [
        path
        for folder in (ROOT / "tests", ROOT / "bench")
        for path in folder.rglob("*")
        if path.suffix in SUFFIXES
        and path.is_file()
        and "node_modules" not in path.parts
        and not any(path.is_relative_to(other) for other in ELSEWHERE)
        and path != Path(fixture_ids.__file__)
    ]
    assert len(files) > 50
    written = sorted(
        f"{path.relative_to(ROOT)}: {id_}"
        for path in files
        for id_ in ids
        if id_ in path.read_text(encoding="utf-8", errors="replace")
    )
    assert written == [], "name them from tests/support/fixture_ids.py"
