"""Every example program (and the root program) under Pulumi's mock runtime.

Each program runs with ``runpy.run_path`` inside ``pulumi.runtime.test``-style flow: the mock
monitor records every ``RegisterResource`` call, and the runtime waits for all outstanding RPCs
(``run_pulumi_func`` -> ``wait_for_rpcs``) before the test inspects what was registered. The
stack's exports are then resolved from the root ``Stack`` resource.

No Pulumi CLI, engine or LaunchDarkly is involved: these tests check what each program declares.
"""

from __future__ import annotations

import base64
import runpy
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dill
import pulumi
import pytest
import yaml
from pulumi.dynamic import ConfigureRequest
from pulumi.runtime import settings as pulumi_settings

from launchdarkly_experiments.provider import ExperimentProvider
from ld_emulator import PROFILES, Emulator
from tests.support import fixture_ids as ids

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
EXPERIMENT_TYPE = "pulumi-python:dynamic/launchdarkly:Experiment"
PROVIDER_KEY = "__provider"

FLAG_CONFIG = {"launchdarkly:projectKey": "shop", "launchdarkly:environmentKey": "dev"}

# -- the mock runtime ---------------------------------------------------------------------------


class RecordingMocks(pulumi.runtime.Mocks):
    """Records every resource registration; answers like a freshly created draft experiment."""

    def __init__(self) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registered.append(args)
        outputs = {k: v for k, v in args.inputs.items() if k != PROVIDER_KEY}
        key = outputs.get("key") or args.name
        outputs.update(
            experimentId=f"id-{key}",
            currentIteration={
                "id": f"iteration-{key}",
                "status": "not_started",
                "treatmentIds": {},
            },
            previousIterations=[],
        )
        return f"shop/dev/{key}", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@dataclass
class Run:
    """What one program run registered and exported."""

    resources: list[pulumi.runtime.MockResourceArgs]
    exports: dict[str, Any] = field(default_factory=dict)

    def experiments(self) -> dict[str, dict[str, Any]]:
        """Inputs of each registered experiment, by resource name."""
        assert all(r.typ == EXPERIMENT_TYPE for r in self.resources), [
            r.typ for r in self.resources
        ]
        return {r.name: r.inputs for r in self.resources}

    def only(self) -> dict[str, Any]:
        (inputs,) = self.experiments().values()
        return inputs


def run_program(
    program: Path, *, project: str, config: dict[str, str] | None = None, preview: bool = False
) -> Run:
    """Run a Pulumi program file under mocks; wait for every registration and export."""
    mocks = RecordingMocks()
    # A fresh root Stack resource for each run: set_mocks only creates one when none is set.
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project=project, stack="dev", preview=preview)
    pulumi.runtime.set_all_config({**FLAG_CONFIG, **(config or {})})
    exports: dict[str, Any] = {}

    def program_body() -> pulumi.Output[Any]:
        runpy.run_path(str(program), run_name="__main__")
        root = pulumi_settings.get_root_resource()
        assert root is not None
        outputs: dict[str, Any] = dict(root.outputs)  # type: ignore[attr-defined]
        return pulumi.Output.all(**outputs).apply(exports.update)

    # pulumi.runtime.test: runs the function inside run_pulumi_func, which waits for all
    # outstanding RPCs (the resource registrations) and then awaits the returned Output.
    pulumi.runtime.test(program_body)()
    return Run(list(mocks.registered), exports)


@pytest.fixture(autouse=True)
def _clean_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("LAUNCHDARKLY_ACCESS_TOKEN", raising=False)
    yield
    pulumi.runtime.set_all_config({})
    pulumi_settings.ROOT.set(None)


def treatment(name: str, variation: str, flag: str, percent: Any, baseline: bool = False) -> Any:
    item: dict[str, Any] = {
        "name": name,
        "allocationPercent": percent,
        "parameters": [{"flagKey": flag, "variation": variation}],
    }
    if baseline:
        item["baseline"] = True
    return item


# -- example programs ---------------------------------------------------------------------------


def test_ab_test_registers_the_checkout_experiment_with_primary_and_secondary_metrics() -> None:
    run = run_program(EXAMPLES / "ab_test" / "__main__.py", project="ld-example-ab-test")
    assert [r.name for r in run.resources] == ["checkout-button-ab"]
    inputs = run.only()
    assert inputs["key"] == "checkout-button-ab"
    # Left to the stack's launchdarkly:projectKey / environmentKey (filled in by check).
    assert inputs.get("projectKey") is None and inputs.get("environmentKey") is None
    iteration = inputs["iteration"]
    assert iteration["metrics"] == [
        {"key": "checkout-completed"},
        {"key": "revenue-per-user"},
        {"key": "add-to-cart"},
    ]
    assert iteration["primarySingleMetricKey"] == "checkout-completed"
    assert "primaryFunnelKey" not in iteration
    assert iteration["treatments"] == [
        treatment("Bottom", "Bottom", "checkout-button", 50, baseline=True),
        treatment("Top", "Top", "checkout-button", 50),
    ]
    # Readable references: a rule description, no flag version (resolved at create).
    assert iteration["flags"] == {"checkout-button": {"ruleId": "Beta customers"}}
    assert run.exports["experiment_id"] == "id-checkout-button-ab"


def test_multi_armed_bandit_has_three_arms_and_a_reallocation_frequency() -> None:
    run = run_program(
        EXAMPLES / "multi_armed_bandit" / "__main__.py", project="ld-example-multi-armed-bandit"
    )
    inputs = run.only()
    assert inputs["type"] == "mab"
    iteration = inputs["iteration"]
    assert iteration["reallocationFrequencyMillis"] == 86_400_000
    assert iteration["treatments"] == [
        treatment("Control", "Control", "pricing-page", 34, True),
        treatment("Annual first", "Annual first", "pricing-page", 33),
        treatment("Monthly first", "Monthly first", "pricing-page", 33),
    ]
    assert iteration["flags"] == {"pricing-page": {"ruleId": "fallthrough"}}


def test_holdout_example_uses_the_q4_holdout_id() -> None:
    run = run_program(EXAMPLES / "holdout" / "__main__.py", project="ld-example-holdout")
    inputs = run.only()
    assert inputs["holdoutId"] == ids.Q4_HOLDOUT
    assert run.exports["holdout_id"] == ids.Q4_HOLDOUT


def test_funnel_example_uses_the_funnel_group_as_primary_metric() -> None:
    run = run_program(EXAMPLES / "funnel" / "__main__.py", project="ld-example-funnel")
    iteration = run.only()["iteration"]
    assert iteration["primaryFunnelKey"] == "checkout-funnel"
    assert "primarySingleMetricKey" not in iteration
    assert {"key": "checkout-funnel", "isGroup": True} in iteration["metrics"]


def test_data_file_example_declares_each_entry_of_its_file() -> None:
    run = run_program(EXAMPLES / "data_file" / "__main__.py", project="ld-example-data-file")
    experiments = run.experiments()
    assert sorted(experiments) == ["file-checkout-button", "file-pricing-page"]
    pricing = experiments["file-pricing-page"]
    # The file's defaults apply unless an entry sets the field itself.
    assert experiments["file-checkout-button"]["tags"] == ["examples", "data-file"]
    assert pricing["tags"] == ["examples", "data-file", "pricing"]
    assert pricing["analysisConfig"] == {"bayesianThreshold": "95"}
    assert [t["name"] for t in pricing["iteration"]["treatments"]] == [
        "Control",
        "Annual first",
        "Monthly first",
    ]
    assert run.exports == {
        "file-checkout-button": "id-file-checkout-button",
        "file-pricing-page": "id-file-pricing-page",
    }


@pytest.mark.parametrize(
    ("config", "state", "winner"),
    [
        ({}, "draft", None),
        ({"ld-example-lifecycle:state": "running"}, "running", None),
        (
            {"ld-example-lifecycle:state": "stopped", "ld-example-lifecycle:winner": "Top"},
            "stopped",
            "Top",
        ),
    ],
)
def test_lifecycle_example_follows_stack_config(
    config: dict[str, str], state: str, winner: str | None
) -> None:
    run = run_program(
        EXAMPLES / "lifecycle" / "__main__.py", project="ld-example-lifecycle", config=config
    )
    inputs = run.only()
    assert inputs["state"] == state
    assert inputs.get("winningTreatment") == winner
    assert run.exports["state"] == state
    if winner:
        assert inputs["winningReason"] == "Top won on checkout-completed"
        assert winner in [t["name"] for t in inputs["iteration"]["treatments"]]


# -- the declarations work against LaunchDarkly (the emulator) ------------------------------------

PROGRAMS = [
    pytest.param(EXAMPLES / "ab_test" / "__main__.py", "ld-example-ab-test", {}, id="ab_test"),
    pytest.param(
        EXAMPLES / "multi_armed_bandit" / "__main__.py",
        "ld-example-multi-armed-bandit",
        {},
        id="multi_armed_bandit",
    ),
    pytest.param(EXAMPLES / "holdout" / "__main__.py", "ld-example-holdout", {}, id="holdout"),
    pytest.param(EXAMPLES / "funnel" / "__main__.py", "ld-example-funnel", {}, id="funnel"),
    pytest.param(
        EXAMPLES / "data_file" / "__main__.py", "ld-example-data-file", {}, id="data_file"
    ),
    pytest.param(
        EXAMPLES / "lifecycle" / "__main__.py",
        "ld-example-lifecycle",
        {"ld-example-lifecycle:state": "stopped", "ld-example-lifecycle:winner": "Top"},
        id="lifecycle-stopped",
    ),
    pytest.param(ROOT / "__main__.py", "launchdarkly-experiments", {}, id="root"),
]


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize(("program", "project", "config"), PROGRAMS)
def test_program_declarations_pass_check_and_create_on_the_emulator(
    program: Path, project: str, config: dict[str, str], profile: str
) -> None:
    """What each program registers is accepted by the provider and by the (emulated) API.

    The inputs are the ones the mock monitor received (numbers arrive as floats, as from the
    engine); the provider is the one unpickled from ``__provider``, configured with stack
    config only, as the dynamic provider host does.
    """
    run = run_program(program, project=project, config=config)
    with Emulator(port=0, tokens=("dev-token",), profile=profile) as emulator:
        for resource in run.resources:
            inputs = dict(resource.inputs)
            provider = dill.loads(base64.b64decode(inputs.pop(PROVIDER_KEY)))
            provider.configure(
                ConfigureRequest(
                    {
                        **FLAG_CONFIG,
                        "launchdarkly:apiHost": emulator.url,
                        "launchdarkly:accessToken": "dev-token",
                    }
                )
            )
            checked = provider.check({}, inputs)
            assert checked.failures == [], [(f.property, f.reason) for f in checked.failures]
            assert checked.inputs["projectKey"] == "shop"
            assert checked.inputs["environmentKey"] == "dev"
            created = provider.create(checked.inputs)
            assert created.id == f"shop/dev/{inputs['key']}"
            # Names were resolved: LaunchDarkly holds variation ids and the flag's version.
            stored = emulator.experiment("shop", "dev", inputs["key"])
            assert stored is not None
            for flag in stored["currentIteration"]["flags"].values():
                assert flag["flagConfigVersion"] >= 1
            assert created.outs["key"] == inputs["key"]
            assert created.outs.get("state", "draft") == inputs.get("state", "draft")


# -- the root program ---------------------------------------------------------------------------


def test_root_program_declares_the_experiments_of_experiments_yaml() -> None:
    run = run_program(ROOT / "__main__.py", project="launchdarkly-experiments")
    experiments = run.experiments()
    assert sorted(experiments) == ["checkout-button-placement", "pricing-plan-order"]
    checkout = experiments["checkout-button-placement"]
    assert checkout["iteration"]["primarySingleMetricKey"] == "checkout-completed"
    assert [m["key"] for m in checkout["iteration"]["metrics"]] == [
        "checkout-completed",
        "revenue-per-user",
        "add-to-cart",
    ]
    assert checkout["iteration"]["flags"]["checkout-button"] == {"ruleId": "Beta customers"}
    pricing = experiments["pricing-plan-order"]
    assert set(pricing["iteration"]["flags"]) == {"pricing-page"}
    # Exports: key, state (draft when unset) and the current iteration, per experiment.
    assert run.exports["checkout-button-placement"] == {
        "key": "checkout-button-placement",
        "state": "draft",
        "current_iteration": {
            "id": "iteration-checkout-button-placement",
            "status": "not_started",
            "treatment_ids": {},
        },
    }
    assert set(run.exports) == {"checkout-button-placement", "pricing-plan-order"}


def test_root_stack_files_name_the_fixture_project_and_environments() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "launchdarkly-experiments"
    assert project["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": ".venv"},
    }
    dev = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    prod = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]
    assert dev == {
        "launchdarkly:apiHost": "http://127.0.0.1:8765",
        "launchdarkly:projectKey": "shop",
        "launchdarkly:environmentKey": "dev",
    }
    assert prod["launchdarkly:apiHost"] == "https://app.launchdarkly.com"
    assert prod["launchdarkly:environmentKey"] == "production"
    # No token in clear in a committed file.
    assert "launchdarkly:accessToken" not in dev and "launchdarkly:accessToken" not in prod


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()))
def test_every_example_folder_is_a_pulumi_project_with_a_readme(example: str) -> None:
    folder = EXAMPLES / example
    assert (folder / "README.md").is_file()
    if example == "ci":
        assert (folder / "preview.yml").is_file()
        return
    project = yaml.safe_load((folder / "Pulumi.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == "../../.venv"
    assert (folder / "__main__.py").is_file()


# -- the serialized provider ----------------------------------------------------------------------


def test_provider_blob_unpickles_to_the_provider_and_holds_no_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = "api-secret-token-0123456789"
    monkeypatch.setenv("LAUNCHDARKLY_ACCESS_TOKEN", token)
    run = run_program(
        EXAMPLES / "ab_test" / "__main__.py",
        project="ld-example-ab-test",
        config={"launchdarkly:accessToken": token},
    )
    blob = run.only()[PROVIDER_KEY]
    # In the clear, not in a secret envelope: it names a module and a class, nothing else (no
    # token, no setting: __getstate__ keeps nothing), so there is nothing to hide.
    assert isinstance(blob, str)
    raw = base64.b64decode(blob)
    assert token.encode() not in raw
    provider = dill.loads(raw)
    assert isinstance(provider, ExperimentProvider)
    assert type(provider).__module__ == "launchdarkly_experiments.provider"
    assert provider.__getstate__() == {}


# -- the data-file catalog declares nothing from a broken file ------------------------------------


def test_a_broken_data_file_declares_nothing(tmp_path: Path) -> None:
    """declare_experiments checks the whole file (every problem) before declaring anything."""
    data = yaml.safe_load((EXAMPLES / "data_file" / "experiments.yaml").read_text())
    data["experiments"][1]["iteration"]["hypothesis"] = ["not", "a", "string"]
    data["experiments"][0]["methodology"] = "bayes"
    path = tmp_path / "experiments.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    program = tmp_path / "__main__.py"
    program.write_text(
        "from launchdarkly_experiments.catalog_resources import declare_experiments\n"
        f"declare_experiments({str(path)!r})\n"
    )
    from launchdarkly_experiments.catalog import CatalogError

    with pytest.raises(CatalogError) as info:
        run_program(program, project="broken")
    message = str(info.value)
    assert "experiments[0] (file-checkout-button): methodology" in message
    assert "experiments[1] (file-pricing-page): iteration.hypothesis" in message
