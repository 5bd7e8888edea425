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

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TYPE_PREFIX = "pulumi-python:dynamic/launchdarkly:"
EXPERIMENT_TYPE = f"{TYPE_PREFIX}Experiment"
PROVIDER_KEY = "__provider"

FLAG_CONFIG = {"launchdarkly:projectKey": "shop", "launchdarkly:environmentKey": "dev"}
#: What the mocks append to the ``key`` output of a metric or metric group (``by_output=True``):
#: a key carrying it reached its reader by output, not as a string written twice.
OUTPUT_MARK = "+output"

# -- the mock runtime ---------------------------------------------------------------------------


def mock_holdout_id(key: str) -> str:
    """The ``_id`` the mocks give a holdout (LaunchDarkly makes it up: no program knows it)."""
    return f"holdout-id-{key}"


class RecordingMocks(pulumi.runtime.Mocks):
    """Records every resource registration; answers like LaunchDarkly after a create: an
    experiment as a fresh draft, a holdout with an ``_id`` of its own, a metric or group with
    its key (marked with ``OUTPUT_MARK`` when ``by_output``)."""

    def __init__(self, project: str, environment: str, *, by_output: bool = False) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []
        self.project, self.environment, self.by_output = project, environment, by_output

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registered.append(args)
        outputs = {k: v for k, v in args.inputs.items() if k != PROVIDER_KEY}
        key = outputs.get("key") or args.name
        kind = args.typ.removeprefix(TYPE_PREFIX)
        if kind in ("Metric", "MetricGroup"):
            if self.by_output:
                outputs["key"] = f"{key}{OUTPUT_MARK}"
            return f"{self.project}/{key}", outputs
        if kind == "Holdout":
            outputs.update(holdoutId=mock_holdout_id(key), status="running")
        else:
            outputs.update(
                experimentId=f"id-{key}",
                currentIteration={
                    "id": f"iteration-{key}",
                    "status": "not_started",
                    "treatmentIds": {},
                },
                previousIterations=[],
            )
        return f"{self.project}/{self.environment}/{key}", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@dataclass
class Run:
    """What one program run registered and exported."""

    resources: list[pulumi.runtime.MockResourceArgs]
    exports: dict[str, Any] = field(default_factory=dict)

    def of_kind(self, kind: str) -> dict[str, dict[str, Any]]:
        """Inputs of each registered resource of one kind (``Metric``...), by resource name."""
        return {r.name: r.inputs for r in self.resources if r.typ == f"{TYPE_PREFIX}{kind}"}

    def kinds(self) -> dict[str, list[str]]:
        """The names registered, by kind, sorted: the SDK registers a resource once its inputs
        resolve, so the order of registrations varies from run to run."""
        kinds: dict[str, list[str]] = {}
        for resource in self.resources:
            kinds.setdefault(resource.typ.removeprefix(TYPE_PREFIX), []).append(resource.name)
        return {kind: sorted(names) for kind, names in kinds.items()}

    def experiments(self) -> dict[str, dict[str, Any]]:
        return self.of_kind("Experiment")

    def only(self) -> dict[str, Any]:
        """The inputs of the program's one experiment."""
        (inputs,) = self.experiments().values()
        return inputs


def run_program(
    program: Path,
    *,
    project: str,
    config: dict[str, str] | None = None,
    preview: bool = False,
    by_output: bool = False,
) -> Run:
    """Run a Pulumi program file under mocks; wait for every registration and export."""
    config = {**FLAG_CONFIG, **(config or {})}
    mocks = RecordingMocks(
        config["launchdarkly:projectKey"],
        config["launchdarkly:environmentKey"],
        by_output=by_output,
    )
    # A fresh root Stack resource for each run: set_mocks only creates one when none is set.
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project=project, stack="dev", preview=preview)
    pulumi.runtime.set_all_config(config)
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


def example_stack(example: str) -> tuple[str, dict[str, str]]:
    """An example's Pulumi project name and the provider settings its Pulumi.yaml gives stacks
    (project and environment keys; not the emulator's address)."""
    project = yaml.safe_load((EXAMPLES / example / "Pulumi.yaml").read_text())
    settings = {
        name: value
        for name, value in project.get("config", {}).items()
        if name.startswith("launchdarkly:") and name != "launchdarkly:apiHost"
    }
    return project["name"], settings


def run_example(
    example: str, config: dict[str, str] | None = None, *, by_output: bool = False
) -> Run:
    """``examples/<example>`` under mocks, with its Pulumi.yaml's settings and ``config``
    (keys without a namespace are the example's own)."""
    name, settings = example_stack(example)
    own = {k if ":" in k else f"{name}:{k}": v for k, v in (config or {}).items()}
    return run_program(
        EXAMPLES / example / "__main__.py",
        project=name,
        config={**settings, **own},
        by_output=by_output,
    )


def out(key: str) -> str:
    """A metric or group key as a reader gets it by output (see ``OUTPUT_MARK``)."""
    return f"{key}{OUTPUT_MARK}"


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
# Each example declares what its experiments measure (and its holdout) in project lab, which has
# only flags, and hands the keys and ids over by output: under ``by_output`` the mocks mark each
# metric and group key they answer, so a key written out as a string again would show unmarked.

#: The examples that build on project lab's flags alone (the programmes, YAML aside, too).
LAB_EXAMPLES = (
    "ab_test",
    "multi_armed_bandit",
    "holdout",
    "funnel",
    "data_file",
    "lifecycle",
    "programme",
)


def test_ab_test_declares_its_three_metrics_and_measures_them_by_output() -> None:
    run = run_example("ab_test", by_output=True)
    metrics = ["ab-checkout-completed", "ab-revenue-per-user", "ab-add-to-cart"]
    assert run.kinds() == {"Metric": sorted(metrics), "Experiment": ["checkout-button-ab"]}
    declared = run.of_kind("Metric")
    assert declared["ab-checkout-completed"]["isNumeric"] is False
    assert declared["ab-revenue-per-user"]["successCriteria"] == "HigherThanBaseline"
    assert declared["ab-add-to-cart"]["kind"] == "click"
    inputs = run.only()
    assert inputs["key"] == "checkout-button-ab"
    # Left to the stack's launchdarkly:projectKey / environmentKey (filled in by check).
    assert inputs.get("projectKey") is None and inputs.get("environmentKey") is None
    iteration = inputs["iteration"]
    assert iteration["metrics"] == [{"key": out(key)} for key in metrics]
    assert iteration["primarySingleMetricKey"] == out("ab-checkout-completed")
    assert "primaryFunnelKey" not in iteration
    assert iteration["treatments"] == [
        treatment("Bottom", "Bottom", "checkout-button", 50, baseline=True),
        treatment("Top", "Top", "checkout-button", 50),
    ]
    # Readable references: a rule description, no flag version (resolved at create).
    assert iteration["flags"] == {"checkout-button": {"ruleId": "Beta customers"}}
    assert run.exports["experiment_id"] == "id-checkout-button-ab"


def test_multi_armed_bandit_has_three_arms_a_reallocation_frequency_and_its_metric() -> None:
    run = run_example("multi_armed_bandit", by_output=True)
    assert run.kinds() == {
        "Metric": ["bandit-revenue-per-user"],
        "Experiment": ["pricing-page-bandit"],
    }
    inputs = run.only()
    assert inputs["type"] == "mab"
    iteration = inputs["iteration"]
    assert iteration["metrics"] == [{"key": out("bandit-revenue-per-user")}]
    assert iteration["primarySingleMetricKey"] == out("bandit-revenue-per-user")
    assert iteration["reallocationFrequencyMillis"] == 86_400_000
    assert iteration["treatments"] == [
        treatment("Control", "Control", "pricing-page", 34, True),
        treatment("Annual first", "Annual first", "pricing-page", 33),
        treatment("Monthly first", "Monthly first", "pricing-page", 33),
    ]
    assert iteration["flags"] == {"pricing-page": {"ruleId": "fallthrough"}}


def test_holdout_example_declares_its_holdout_and_takes_its_id_by_output() -> None:
    run = run_example("holdout", by_output=True)
    assert run.kinds() == {
        "Metric": ["q4-checkout-completed"],
        "Holdout": ["q4-holdout"],
        "Experiment": ["checkout-button-q4"],
    }
    holdout = run.of_kind("Holdout")["q4-holdout"]
    assert holdout["holdoutAmount"] == 5
    assert holdout["primaryMetricKey"] == out("q4-checkout-completed")
    inputs = run.only()
    # The id the (mocked) LaunchDarkly gave the holdout: nothing in the program writes it.
    assert inputs["holdoutId"] == mock_holdout_id("q4-holdout")
    assert run.exports["holdout_id"] == mock_holdout_id("q4-holdout")
    assert inputs["iteration"]["primarySingleMetricKey"] == out("q4-checkout-completed")


def test_funnel_example_declares_its_funnel_and_makes_it_the_primary_metric() -> None:
    run = run_example("funnel", by_output=True)
    steps = ["funnel-cart-viewed", "funnel-checkout-started", "funnel-order-placed"]
    assert run.kinds() == {
        "Metric": sorted(steps),
        "MetricGroup": ["funnel-checkout"],
        "Experiment": ["checkout-funnel-test"],
    }
    group = run.of_kind("MetricGroup")["funnel-checkout"]
    assert group["kind"] == "funnel"
    assert [m["key"] for m in group["metrics"]] == [out(key) for key in steps]
    assert all(m["nameInGroup"] for m in group["metrics"])
    iteration = run.only()["iteration"]
    assert iteration["primaryFunnelKey"] == out("funnel-checkout")
    assert "primarySingleMetricKey" not in iteration
    assert iteration["metrics"] == [
        {"key": out("funnel-checkout"), "isGroup": True},
        {"key": out("funnel-order-placed")},
    ]


def test_data_file_example_declares_each_entry_of_its_file() -> None:
    run = run_example("data_file", by_output=True)
    assert run.kinds() == {
        "Metric": ["file-checkout-completed", "file-pricing-viewed", "file-revenue-per-user"],
        "Experiment": ["file-checkout-button", "file-pricing-page"],
    }
    experiments = run.experiments()
    checkout, pricing = experiments["file-checkout-button"], experiments["file-pricing-page"]
    # The file's defaults apply unless an entry sets the field itself (metrics included).
    assert checkout["tags"] == ["examples", "data-file"]
    assert run.of_kind("Metric")["file-pricing-viewed"]["tags"] == ["examples", "data-file"]
    assert pricing["tags"] == ["examples", "data-file", "pricing"]
    assert pricing["analysisConfig"] == {"bayesianThreshold": "95"}
    assert [t["name"] for t in pricing["iteration"]["treatments"]] == [
        "Control",
        "Annual first",
        "Monthly first",
    ]
    # Keys of metrics the file declares go by output.
    assert checkout["iteration"]["primarySingleMetricKey"] == out("file-checkout-completed")
    assert pricing["iteration"]["metrics"] == [
        {"key": out("file-revenue-per-user")},
        {"key": out("file-pricing-viewed")},
    ]
    assert run.exports == {
        "file-checkout-button": "id-file-checkout-button",
        "file-pricing-page": "id-file-pricing-page",
    }


@pytest.mark.parametrize(
    ("config", "state", "winner"),
    [
        ({}, "draft", None),
        ({"state": "running"}, "running", None),
        ({"state": "stopped", "winner": "Top"}, "stopped", "Top"),
    ],
)
def test_lifecycle_example_follows_stack_config(
    config: dict[str, str], state: str, winner: str | None
) -> None:
    run = run_example("lifecycle", config, by_output=True)
    assert run.kinds() == {
        "Metric": ["lifecycle-checkout-completed"],
        "Experiment": ["checkout-button-lifecycle"],
    }
    inputs = run.only()
    assert inputs["state"] == state
    assert inputs.get("winningTreatment") == winner
    assert run.exports["state"] == state
    iteration = inputs["iteration"]
    assert iteration["primarySingleMetricKey"] == out("lifecycle-checkout-completed")
    assert iteration["flags"] == {"checkout-button": {"ruleId": "Beta customers"}}
    if winner:
        assert inputs["winningReason"] == "Top won on checkout-completed"
        assert winner in [t["name"] for t in iteration["treatments"]]


@pytest.mark.parametrize(("config", "split"), [({}, (50, 50)), ({"checkoutShare": "60"}, (60, 40))])
def test_programme_example_declares_the_whole_setup_in_project_lab(
    config: dict[str, str], split: tuple[int, int]
) -> None:
    run = run_example("programme", config)
    assert {kind: sorted(names) for kind, names in run.kinds().items()} == {
        "ExperimentationSettings": ["units"],
        "Metric": ["buy-clicked", "pricing-viewed", "revenue", "signed-up"],
        "MetricGroup": ["purchase-funnel"],
        "Holdout": ["q1-holdout"],
        "Experiment": ["checkout-placement", "pricing-order"],
        "Layer": ["checkout-and-pricing"],
    }
    (layer,) = run.of_kind("Layer").values()
    reserved = {r["experimentKey"]: r["reservationPercent"] for r in layer["reservations"]}
    assert reserved == dict(zip(("checkout-placement", "pricing-order"), split, strict=True))


def test_the_examples_can_be_up_at_once_in_project_lab() -> None:
    """Each example is its own stack: in one project their keys must not meet (a second create
    of a key fails; a destroy would delete what another stack measures), and experiments that
    run must not share a flag rule (LaunchDarkly starts one experiment per rule)."""
    owners: dict[tuple[str, str], str] = {}
    rules: dict[tuple[str, str], str] = {}
    for example in LAB_EXAMPLES:
        assert example_stack(example)[1]["launchdarkly:projectKey"] == "lab", example
        # The lifecycle example at its running step.
        run = run_example(example, {"state": "running"} if example == "lifecycle" else None)
        for resource in run.resources:
            kind = resource.typ.removeprefix(TYPE_PREFIX)
            key = resource.inputs.get("key") or kind
            owner = owners.setdefault((kind, key), example)
            assert owner == example, f"{kind} {key!r} of {example} is {owner}'s too"
            if kind == "Experiment" and resource.inputs.get("state") == "running":
                for flag, where in resource.inputs["iteration"]["flags"].items():
                    holder = rules.setdefault((flag, where["ruleId"]), key)
                    assert holder == key, f"{flag} {where['ruleId']}: {key} and {holder} run"
    assert len(rules) == 3  # the lifecycle's and the programme's two running experiments


# -- the declarations work against LaunchDarkly (the emulator) ------------------------------------

PROGRAMS = [
    pytest.param(example, config, id=example)
    for example, config in [
        ("ab_test", {}),
        ("multi_armed_bandit", {}),
        ("holdout", {}),
        ("funnel", {}),
        ("data_file", {}),
        ("lifecycle", {"state": "stopped", "winner": "Top"}),
    ]
] + [pytest.param(None, {}, id="root")]


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize(("example", "config"), PROGRAMS)
def test_program_declarations_pass_check_and_create_on_the_emulator(
    example: str | None, config: dict[str, str], profile: str
) -> None:
    """What each program registers is accepted by the provider and by the (emulated) API, on
    the project its stack names, in registration order (what a resource reads by output comes
    first). Project lab has only flags: an example measuring a metric it does not declare fails
    the check ("metric ... not found in project 'lab'").

    The inputs are the ones the mock monitor received (numbers arrive as floats, as from the
    engine), with each holdout id the mocks made up replaced by the emulator's; the provider
    is the one unpickled from ``__provider``, configured with stack config only, as the
    dynamic provider host does.
    """
    if example is None:
        run = run_program(ROOT / "__main__.py", project="launchdarkly-experiments")
        settings = FLAG_CONFIG
    else:
        run = run_example(example, config)
        settings = {**FLAG_CONFIG, **example_stack(example)[1]}
    project = settings["launchdarkly:projectKey"]
    environment = settings["launchdarkly:environmentKey"]
    holdout_ids: dict[str, str] = {}  # the mocks' id -> the emulator's
    with Emulator(port=0, tokens=("dev-token",), profile=profile) as emulator:
        for resource in run.resources:
            kind = resource.typ.removeprefix(TYPE_PREFIX)
            inputs = dict(resource.inputs)
            provider = dill.loads(base64.b64decode(inputs.pop(PROVIDER_KEY)))
            provider.configure(
                ConfigureRequest(
                    {
                        **settings,
                        "launchdarkly:apiHost": emulator.url,
                        "launchdarkly:accessToken": "dev-token",
                    }
                )
            )
            if inputs.get("holdoutId"):
                inputs["holdoutId"] = holdout_ids[inputs["holdoutId"]]
            checked = provider.check({}, inputs)
            assert checked.failures == [], [(f.property, f.reason) for f in checked.failures]
            assert checked.inputs["projectKey"] == project
            created = provider.create(checked.inputs)
            assert created.outs["key"] == inputs["key"]
            if kind in ("Metric", "MetricGroup"):
                assert created.id == f"{project}/{inputs['key']}"
                continue
            assert checked.inputs["environmentKey"] == environment
            assert created.id == f"{project}/{environment}/{inputs['key']}"
            if kind == "Holdout":
                holdout_ids[mock_holdout_id(inputs["key"])] = created.outs["holdoutId"]
                continue
            # Names were resolved: LaunchDarkly holds variation ids and the flag's version.
            stored = emulator.experiment(project, environment, inputs["key"])
            assert stored is not None
            for flag in stored["currentIteration"]["flags"].values():
                assert flag["flagConfigVersion"] >= 1
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
    if project["runtime"] == "yaml":
        # A Pulumi YAML program of the native provider: its resources are in the file.
        assert project["resources"] and not (folder / "__main__.py").exists()
        return
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
