"""E2E: Python programs (Automation API inline programs) with the real CLI: the first
experiment with the generated Python SDK, and the migration of an experiment managed by the
dynamic resource to the native one without archiving it or touching it in LaunchDarkly.

Migration path (the README's): 1. set ``retain_on_delete=True`` on the dynamic resource and
``pulumi up``; 2. declare the native resource with ``import_=<id>`` in place of the dynamic one and
``pulumi up`` (the engine imports the native one and forgets the dynamic one without calling its
delete); 3. drop ``import_``: ``pulumi preview --expect-no-changes`` passes. Aliases cannot carry
a resource across providers of different packages, so import is the way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ld_emulator import Emulator
from tests.support import fixture_ids as ids
from tests.support.tools import missing

from .support import (
    PLUGIN,
    ROOT,
    TOKEN,
    live,
    pulumi_cli,
    require_tool,
    sandbox_env,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
KEY = "migrated"
ID = f"shop/dev/{KEY}"


def native_experiment(name: str, opts: Any = None) -> Any:
    """The first experiment with the generated Python SDK (sdk/python)."""
    import pulumi_launchdarkly_experiments as native

    def arm(name: str, baseline: bool, variation: str) -> Any:
        return native.TreatmentArgs(
            name=name,
            baseline=baseline,
            allocation_percent="50",
            parameters=[
                native.TreatmentParameterArgs(flag_key="checkout-button", variation_id=variation)
            ],
        )

    return native.Experiment(
        name,
        project_key="shop",
        environment_key="dev",
        key=KEY,
        name="Checkout button placement",
        tags=["checkout", "web"],
        iteration=native.IterationArgs(
            hypothesis="A bottom button converts better",
            metrics=[
                native.MetricReferenceArgs(key="checkout-completed"),
                native.MetricReferenceArgs(key="revenue-per-user"),
            ],
            primary_single_metric_key="checkout-completed",
            treatments=[
                arm("Top", True, ids.TOP),
                arm("Bottom", False, ids.BOTTOM),
            ],
            flags={
                "checkout-button": native.FlagConfigArgs(
                    rule_id="fallthrough", flag_config_version=3
                )
            },
        ),
        opts=opts,
    )


def dynamic_experiment(name: str, opts: Any = None) -> Any:
    """The same experiment with the dynamic resource of this package."""
    import launchdarkly_experiments as ld

    def arm(name: str, baseline: bool, variation: str) -> Any:
        return ld.TreatmentArgs(
            name=name,
            baseline=baseline,
            allocation_percent="50",
            parameters=[ld.TreatmentParameterArgs("checkout-button", variation)],
        )

    return ld.Experiment(
        name,
        project_key="shop",
        environment_key="dev",
        key=KEY,
        name="Checkout button placement",
        tags=["checkout", "web"],
        iteration=ld.IterationArgs(
            hypothesis="A bottom button converts better",
            metrics=[
                ld.MetricArgs(key="checkout-completed"),
                ld.MetricArgs(key="revenue-per-user"),
            ],
            primary_single_metric_key="checkout-completed",
            treatments=[
                arm("Top", True, ids.TOP),
                arm("Bottom", False, ids.BOTTOM),
            ],
            flags={"checkout-button": ld.FlagArgs(rule_id="fallthrough", flag_config_version=3)},
        ),
        opts=opts,
    )


def test_python_first_experiment_and_migration_from_dynamic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_tool(PLUGIN, "this package's console script: pip install -e .")
    cli = pulumi_cli()
    if not (cli.resolve().parent / "pulumi-resource-pulumi-python").exists():
        missing("needs pulumi-resource-pulumi-python beside the CLI (the dynamic provider)")
    import pulumi
    from pulumi import automation as auto

    monkeypatch.syspath_prepend(str(ROOT / "sdk" / "python"))
    workspace = tmp_path / "workspace"
    workspace.mkdir()

    with Emulator(tokens=(TOKEN,)) as emulator:
        env = sandbox_env(tmp_path, emulator.url)
        # The dynamic provider's host runs `python3` from PATH: this virtualenv's.
        monkeypatch.setenv("PATH", env["PATH"])

        def stack(program: Callable[[], None]) -> Any:
            ws = auto.LocalWorkspace(
                work_dir=str(workspace),
                program=program,
                env_vars=env,
                pulumi_command=auto.PulumiCommand(str(cli.resolve().parent.parent)),
                project_settings=auto.ProjectSettings(name="ld-migration", runtime="python"),
            )
            return auto.Stack.create_or_select("dev", ws)

        # 1. Managed by the dynamic resource.
        stack(lambda: dynamic_experiment("checkout")).up()
        created = live(emulator.url, KEY)
        # 2. Retained on delete: leaving the stack no longer archives it.
        retained = pulumi.ResourceOptions(retain_on_delete=True)
        stack(lambda: dynamic_experiment("checkout", retained)).up()
        # 3. The native resource takes it over by import; the dynamic one is only forgotten.
        taken = pulumi.ResourceOptions(import_=ID)
        result = stack(lambda: native_experiment("checkout", taken)).up()
        assert result.summary.resource_changes.get("import") == 1, result.stdout
        after = live(emulator.url, KEY)
        assert after.get("archivedDate") is None and after["_id"] == created["_id"]
        assert after["currentIteration"] == created["currentIteration"]
        # 4. The native declaration matches: nothing to change.
        stack(lambda: native_experiment("checkout")).preview(expect_no_changes=True)
        resources = stack(lambda: None).export_stack().deployment["resources"]
        types = {r["type"] for r in resources}
        assert "launchdarkly-experiments:index:Experiment" in types
        assert not any(t.startswith("pulumi-python:dynamic") for t in types)

        stack(lambda: native_experiment("checkout")).destroy()
        assert live(emulator.url, KEY)["archivedDate"]
    sys.modules.pop("pulumi_launchdarkly_experiments", None)
