"""What real LaunchDarkly does, as a user meets it through the real CLI: a service token needs a
maintainer, one running experiment per flag rule, stopping with a winner ships it, and refresh
and destroy configure the provider from the settings of the last `pulumi up`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ld_emulator import Emulator
from tests.e2e.support import TOKEN, E2EProject, declare_experiment
from tests.support import fixture_ids

SERVICE_TOKEN = "e2e-service-token"
MEMBER_ID = fixture_ids.MEMBER


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(tokens=(TOKEN,), service_tokens=(SERVICE_TOKEN,)) as emu:
        yield emu


def _traceback_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "Traceback" in line or 'File "' in line]


def test_a_service_token_needs_a_maintainer_from_the_stack_config(root: E2EProject) -> None:
    root.env["LAUNCHDARKLY_ACCESS_TOKEN"] = SERVICE_TOKEN
    preview = root.preview(program=lambda: declare_experiment("ci-made"), check=False)
    assert preview.returncode != 0
    assert "service token" in preview.output
    assert "launchdarkly:maintainerId" in preview.output
    assert "LAUNCHDARKLY_MAINTAINER_ID" in preview.output
    assert _traceback_lines(preview.output) == []

    root.cli("config", "set", "launchdarkly:maintainerId", MEMBER_ID)
    root.up(program=lambda: declare_experiment("ci-made"))
    held = root.emulator.experiment("shop", "dev", "ci-made")
    assert held is not None and held["_maintainerId"] == MEMBER_ID


def _running_on_the_fallthrough(*keys: str) -> Any:
    def program() -> None:
        for key in keys:
            declare_experiment(key, state="running")

    return program


def test_two_experiments_on_one_flag_rule(root: E2EProject) -> None:
    # Nothing runs yet: the preview cannot see that the two will collide.
    root.preview(program=_running_on_the_fallthrough("first", "second"))
    up = root.up(program=_running_on_the_fallthrough("first", "second"), check=False)
    assert up.returncode != 0
    named = [
        line
        for line in up.output.splitlines()
        if "already in running experiment" in line and "shop/dev/" in line
    ]
    assert named, up.output
    assert _traceback_lines(up.output) == []
    statuses = {
        key: (root.emulator.experiment("shop", "dev", key) or {}).get("currentIteration", {})
        for key in ("first", "second")
    }
    winners = [k for k, it in statuses.items() if it.get("status") == "running"]
    assert len(winners) == 1
    (winner,) = winners
    (loser,) = {"first", "second"} - {winner}
    assert f"shop/dev/{loser}" in named[0] and f"running experiment '{winner}'" in named[0]

    # Now that one runs, the preview names it for the other.
    preview = root.preview(program=_running_on_the_fallthrough("first", "second"), check=False)
    assert preview.returncode != 0
    assert f"running experiment '{winner}'" in preview.output
    assert "iteration.flags.checkout-button.ruleId" in preview.output


def test_stopping_with_a_winner_ships_it_and_refresh_stays_quiet(root: E2EProject) -> None:
    def program(**changes: Any) -> Any:
        def run() -> None:
            import pulumi

            experiment = declare_experiment("shipper", **changes)
            pulumi.export("shipped", experiment.shipped)

        return run

    root.up(program=program(state="running"))
    root.up(program=program(state="stopped", winning_treatment="Bottom"))
    shipped = root.outputs()["shipped"]
    assert shipped["checkout-button"]["variation_name"] == "Bottom"
    assert shipped["checkout-button"]["rule_id"] == "fallthrough"
    flag = httpx.get(
        f"{root.emulator.url}/api/v2/flags/shop/checkout-button",
        params={"env": "dev"},
        headers={"Authorization": TOKEN},
    ).json()
    assert flag["environments"]["dev"]["fallthrough"] == {"variation": 1}
    root.refresh(program=program(state="stopped", winning_treatment="Bottom"))
    root.preview(
        program=program(state="stopped", winning_treatment="Bottom"), expect_no_changes=True
    )


def test_a_token_set_after_the_last_up_needs_run_program(root: E2EProject) -> None:
    root.up(program=lambda: declare_experiment("kept"))
    root.env.pop("LAUNCHDARKLY_ACCESS_TOKEN")
    failed = root.up(program=lambda: declare_experiment("kept", name="Renamed"), check=False)
    assert failed.returncode != 0 and "no LaunchDarkly access token" in failed.output

    root.cli("config", "set", "--secret", "launchdarkly:accessToken", TOKEN)
    for verb in ("refresh", "destroy"):
        run = getattr(root, verb)(program=lambda: declare_experiment("kept"), check=False)
        assert run.returncode != 0, run.output
        assert "no LaunchDarkly access token" in run.output
        assert "--run-program" in run.output and "LAUNCHDARKLY_ACCESS_TOKEN" in run.output
        assert _traceback_lines(run.output) == []
    root.refresh(program=lambda: declare_experiment("kept"), run_program=True)
    root.destroy(program=lambda: declare_experiment("kept"), run_program=True)
    held = root.emulator.experiment("shop", "dev", "kept")
    assert held is not None and held.get("archivedDate") is not None


def test_a_rotated_token_is_explained_at_refresh(root: E2EProject) -> None:
    root.env.pop("LAUNCHDARKLY_ACCESS_TOKEN")
    root.cli("config", "set", "--secret", "launchdarkly:accessToken", TOKEN)
    root.up(program=lambda: declare_experiment("rotated"))
    # The old token is revoked and a new one set in the stack's config.
    root.emulator.tokens = frozenset({"e2e-new-token"})
    root.cli("config", "set", "--secret", "launchdarkly:accessToken", "e2e-new-token")
    run = root.refresh(program=lambda: declare_experiment("rotated"), check=False)
    assert run.returncode != 0
    assert "401" in run.output and "--run-program" in run.output
    assert "e2e-new-token" not in run.output and TOKEN not in run.output
    root.refresh(program=lambda: declare_experiment("rotated"), run_program=True)
