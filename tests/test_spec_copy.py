"""The emulator ships LaunchDarkly's spec: it must be the project's API contract, unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "src" / "ld_emulator" / "openapi.json"
#: The shared contract sits beside the clone (or beside the folder of its worktrees).
CONTRACT = next(
    (
        folder / "shared" / "launchdarkly-experimentation-openapi.json"
        for folder in (ROOT.parent, ROOT.parent.parent)
        if (folder / "shared" / "launchdarkly-experimentation-openapi.json").exists()
    ),
    ROOT.parent / "shared" / "launchdarkly-experimentation-openapi.json",
)


@pytest.mark.skipif(not CONTRACT.exists(), reason="the shared API contract is not beside the clone")
def test_shipped_spec_is_the_shared_contract() -> None:
    assert json.loads(SHIPPED.read_text()) == json.loads(CONTRACT.read_text())


def test_shipped_spec_covers_the_experiments_endpoints() -> None:
    spec = json.loads(SHIPPED.read_text())
    base = "/api/v2/projects/{projectKey}/environments/{environmentKey}/experiments"
    assert {"get", "post"} <= set(spec["paths"][base])
    assert {"get", "patch"} <= set(spec["paths"][base + "/{experimentKey}"])
    assert "ExperimentPost" in spec["components"]["schemas"]
