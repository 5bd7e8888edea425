"""E2E: explicit provider instances per environment, configured in a YAML program with the
token from secret stack config (no LAUNCHDARKLY_* variable set): one experiment in dev and one
in staging, the token encrypted in state, then destroy."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from ld_emulator import Emulator
from tests.support import fixture_ids as ids

from .support import API_HEADERS, TOKEN, pulumi_cli, sandbox_env, yaml_program

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
PROGRAM = Path(__file__).parent / "yaml-providers" / "Pulumi.yaml"


def test_one_provider_per_environment(tmp_path: Path) -> None:
    work = yaml_program(tmp_path, PROGRAM)
    cli = str(pulumi_cli())

    with Emulator(tokens=(TOKEN,)) as emulator:
        env = sandbox_env(tmp_path, emulator.url)
        for name in ("LAUNCHDARKLY_ACCESS_TOKEN", "LAUNCHDARKLY_API_HOST"):
            env.pop(name)

        def pulumi(*args: str) -> str:
            done = subprocess.run(
                [cli, *args, "--non-interactive"],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, f"pulumi {' '.join(args)}:\n{done.stdout}{done.stderr}"
            return done.stdout

        pulumi("stack", "init", "dev")
        pulumi("config", "set", "--secret", "token", TOKEN, "--stack", "dev")
        pulumi("config", "set", "apiHost", emulator.url, "--stack", "dev")
        pulumi("config", "set", "topVariation", ids.TOP, "--stack", "dev")
        pulumi("config", "set", "bottomVariation", ids.BOTTOM, "--stack", "dev")
        pulumi("up", "--yes", "--stack", "dev")
        for environment in ("dev", "staging"):
            answer = httpx.get(
                f"{emulator.url}/api/v2/projects/shop/environments/{environment}/experiments/per-env",
                headers=API_HEADERS,
            )
            assert answer.status_code == 200, environment
        outputs = json.loads(pulumi("stack", "output", "--json", "--stack", "dev"))
        assert outputs["ids"] == ["shop/dev/per-env", "shop/staging/per-env"]
        state = pulumi("stack", "export", "--stack", "dev")
        assert TOKEN not in state, "the token is encrypted in state"
        pulumi("preview", "--expect-no-changes", "--stack", "dev")
        pulumi("destroy", "--yes", "--stack", "dev")
