"""End to end with the real Pulumi CLI: skipped where it is not installed (as on our machines)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ld_emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    shutil.which("pulumi") is None,
    reason="needs the Pulumi CLI (a Go binary no package registry here serves); "
    "install it from https://www.pulumi.com/docs/install/ to run this test",
)


def test_preview_and_up_of_the_dev_stack_against_the_emulator(tmp_path: Path) -> None:
    with Emulator(tokens=("cli-token",)) as emulator:
        env = {
            **os.environ,
            "PULUMI_BACKEND_URL": f"file://{tmp_path}",
            "PULUMI_CONFIG_PASSPHRASE": "",
            "LAUNCHDARKLY_ACCESS_TOKEN": "cli-token",
        }

        def pulumi(*args: str) -> str:
            done = subprocess.run(
                ["pulumi", *args, "--non-interactive"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            return done.stdout

        pulumi("stack", "init", "ci-test")
        pulumi("config", "set", "launchdarkly:apiHost", emulator.url, "--stack", "ci-test")
        pulumi("config", "set", "launchdarkly:projectKey", "shop", "--stack", "ci-test")
        pulumi("config", "set", "launchdarkly:environmentKey", "dev", "--stack", "ci-test")
        preview = pulumi("preview", "--diff", "--stack", "ci-test")
        assert "launchdarkly:Experiment" in preview
        assert emulator.requests() == [], "a preview makes no LaunchDarkly call"
        pulumi("up", "--yes", "--stack", "ci-test")
        assert len(emulator.experiments("shop", "dev")) >= 1
        pulumi("destroy", "--yes", "--stack", "ci-test")
        assert all(e.get("archivedDate") for e in emulator.experiments("shop", "dev"))
