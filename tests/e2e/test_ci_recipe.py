"""The CI recipe (examples/ci/preview.yml) run against a backend that holds the stack's state.

Its shell steps run as written. Its preview step is pulumi/actions, which logs in to
``cloud-url`` and runs ``pulumi preview --diff --stack <stack-name>``; here the same preview runs
through the real CLI (as an inline program: no Python language host on our machines).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.support import REPO_ROOT, E2EProject
from tests.support import fixture_ids

RECIPE = REPO_ROOT / "examples" / "ci" / "preview.yml"


def _recipe() -> dict[str, Any]:
    return yaml.safe_load(RECIPE.read_text())


def _step(name_part: str) -> dict[str, Any]:
    steps = _recipe()["jobs"]["preview"]["steps"]
    return next(s for s in steps if name_part in f"{s.get('name', '')} {s.get('uses', '')}")


def _run_step(
    step: dict[str, Any], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_recipe_refuses_to_preview_without_a_state_backend(root: E2EProject) -> None:
    done = _run_step(_step("state backend"), root.directory, {"PULUMI_BACKEND_URL": ""})
    assert done.returncode == 1
    assert "PULUMI_BACKEND_URL" in done.stdout
    assert "every experiment as a create" in done.stdout


def test_the_recipe_previews_only_the_pull_requests_change(root: E2EProject) -> None:
    recipe = _recipe()
    assert recipe["permissions"]["pull-requests"] == "write"
    action = _step("pulumi/actions")
    assert action["uses"].startswith("pulumi/actions@")
    inputs = action["with"]
    assert inputs["command"] == "preview" and inputs["diff"] is True
    assert inputs["comment-on-pr"] is True and "github-token" in inputs
    assert inputs["stack-name"] == "${{ matrix.stack }}"
    assert "dev" in recipe["jobs"]["preview"]["strategy"]["matrix"]["stack"]

    # The state of main, as the backend holds it.
    root.up()
    # The pull request: one experiment renamed.
    experiments = root.directory / "experiments.yaml"
    experiments.write_text(
        experiments.read_text().replace(
            "name: Pricing plan order", "name: Pricing plan order (PR 42)", 1
        )
    )
    backend_env = {"PULUMI_BACKEND_URL": root.env["PULUMI_BACKEND_URL"]}
    check = _run_step(_step("state backend"), root.directory, backend_env)
    assert check.returncode == 0, check.stdout + check.stderr

    # The action's preview: no LaunchDarkly token is needed.
    root.env.pop("LAUNCHDARKLY_ACCESS_TOKEN")
    root.emulator.clear_requests()
    preview = root.preview("dev", diff=True)
    assert preview.result.change_summary == {"same": 2, "update": 1}, preview.stdout
    assert "Pricing plan order (PR 42)" in preview.stdout
    assert "+ 1 to create" not in preview.stdout
    assert root.emulator.requests() == []


def test_the_recipe_previews_with_a_service_token_and_the_maintainer_it_passes(
    root: E2EProject,
) -> None:
    """The recipe's optional token is what CI holds, a service token; with the maintainer the
    recipe passes (LAUNCHDARKLY_MAINTAINER_ID), the preview checks references and plans the
    same as without a token."""
    env = _step("pulumi/actions") and _recipe()["jobs"]["preview"]["env"]
    assert "LAUNCHDARKLY_MAINTAINER_ID" in env and "LAUNCHDARKLY_ACCESS_TOKEN" in env
    root.up()
    root.emulator.service_tokens = frozenset({"ci-service-token"})
    root.env["LAUNCHDARKLY_ACCESS_TOKEN"] = "ci-service-token"
    root.env["LAUNCHDARKLY_MAINTAINER_ID"] = fixture_ids.MEMBER
    root.emulator.clear_requests()
    preview = root.preview("dev", diff=True, expect_no_changes=True)
    assert preview.result.change_summary == {"same": 3}, preview.stdout
    assert {r["method"] for r in root.emulator.requests()} == {"GET"}, "references were read"
