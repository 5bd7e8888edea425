"""Program tests under pulumi.runtime.set_mocks: registration, typed args, outputs, pickling."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import dill
import pulumi
import pytest
from pulumi.runtime.settings import SETTINGS

import launchdarkly_experiments as ld
from launchdarkly_experiments.dynamic import resource as resource_module

ROOT = Path(__file__).resolve().parents[1]

TOKEN = "api-program-test-token"


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registered.append(args)
        inputs = dict(args.inputs)
        outputs = {
            **inputs,
            "experimentId": "65f0c0ffee0000000000abcd",
            "creationDate": 1700000000000,
            "currentIteration": {
                "id": "it-1",
                "status": "not_started",
                "treatmentIds": {"Top": "t-1", "Bottom": "t-2"},
            },
            "previousIterations": [],
        }
        key = f"{inputs['projectKey']}/{inputs['environmentKey']}/{inputs['key']}"
        return key, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@pytest.fixture
def mocks(monkeypatch: pytest.MonkeyPatch) -> RecordingMocks:
    monkeypatch.setenv("LAUNCHDARKLY_ACCESS_TOKEN", TOKEN)
    recording = RecordingMocks()
    pulumi.runtime.set_mocks(recording, project="launchdarkly-experiments", stack="dev")
    return recording


def make_experiment(resource_name: str = "checkout-button", **overrides: Any) -> ld.Experiment:
    args: dict[str, Any] = {
        "project_key": "shop",
        "environment_key": "dev",
        "key": "checkout-button",
        "name": "Checkout button placement",
        "tags": ["checkout"],
        "iteration": ld.IterationArgs(
            hypothesis="A bottom button converts better",
            metrics=[ld.MetricArgs(key="checkout-completed")],
            primary_single_metric_key="checkout-completed",
            treatments=[
                ld.TreatmentArgs(
                    name="Top",
                    baseline=True,
                    allocation_percent=50,
                    parameters=[ld.TreatmentParameterArgs("checkout-button", "var-top")],
                ),
                ld.TreatmentArgs(
                    name="Bottom",
                    allocation_percent=pulumi.Output.from_input("50"),
                    parameters=[ld.TreatmentParameterArgs("checkout-button", "var-bottom")],
                ),
            ],
            flags={"checkout-button": ld.FlagArgs(rule_id="fallthrough", flag_config_version=3)},
        ),
    }
    args.update(overrides)
    return ld.Experiment(resource_name, **args)


@pulumi.runtime.test
def test_experiment_registers_camel_case_inputs_and_exposes_snake_case_outputs(
    mocks: RecordingMocks,
) -> Any:
    exp = make_experiment()

    def check(values: list[Any]) -> None:
        experiment_id, current, iteration, key, urn = values
        assert experiment_id == "65f0c0ffee0000000000abcd"
        assert current["treatment_ids"] == {"Top": "t-1", "Bottom": "t-2"}
        assert current["status"] == "not_started"
        assert iteration["primary_single_metric_key"] == "checkout-completed"
        assert "checkout-button" in iteration["flags"], "user map keys are not renamed"
        assert key == "checkout-button"
        assert "pulumi-python:dynamic/launchdarkly:Experiment" in urn
        (registered,) = mocks.registered
        assert registered.typ == "pulumi-python:dynamic/launchdarkly:Experiment"
        inputs = registered.inputs
        assert inputs["projectKey"] == "shop" and inputs["environmentKey"] == "dev"
        treatments = inputs["iteration"]["treatments"]
        assert treatments[0] == {
            "name": "Top",
            "baseline": True,
            "allocationPercent": 50,
            "parameters": [{"flagKey": "checkout-button", "variationId": "var-top"}],
        }
        assert treatments[1]["allocationPercent"] == "50", "nested Outputs are resolved"
        assert inputs["iteration"]["flags"] == {
            "checkout-button": {"ruleId": "fallthrough", "flagConfigVersion": 3}
        }

    return pulumi.Output.all(
        exp.experiment_id, exp.current_iteration, exp.iteration, exp.key, exp.urn
    ).apply(check)


@pulumi.runtime.test
def test_attributes_are_left_to_their_registration_and_still_resolve(
    mocks: RecordingMocks,
) -> Any:
    """The SDK waits on every tracked Output together after each answer of the engine; an
    attribute settles with its registration, so it is not tracked on its own (an apply is)."""
    exp = make_experiment()
    attributes = [exp.key, exp.name, exp.experiment_id, exp.current_iteration, exp.description]
    assert not {attribute._data for attribute in attributes} & SETTINGS.outputs
    derived = exp.name.apply(lambda name: f"{name}!")
    assert derived._data in SETTINGS.outputs

    def check(values: list[Any]) -> None:
        assert values == ["Checkout button placement!", "65f0c0ffee0000000000abcd", None]

    return pulumi.Output.all(derived, exp.experiment_id, exp.description).apply(check)


@pulumi.runtime.test
def test_an_sdk_without_untrack_registers_as_before(
    mocks: RecordingMocks, monkeypatch: pytest.MonkeyPatch
) -> Any:
    monkeypatch.setattr(resource_module, "_UNTRACK", None)
    exp = make_experiment()
    assert exp.name._data in SETTINGS.outputs

    def check(experiment_id: str) -> None:
        assert experiment_id == "65f0c0ffee0000000000abcd"

    return exp.experiment_id.apply(check)


@pulumi.runtime.test
def test_registered_provider_unpickles_and_holds_no_token(mocks: RecordingMocks) -> Any:
    exp = make_experiment()

    def check(_: Any) -> None:
        blob = mocks.registered[0].inputs["__provider"]
        # In the clear (no secret envelope in every experiment's state): it names a class.
        assert isinstance(blob, str)
        raw = base64.b64decode(blob)
        assert TOKEN.encode() not in raw
        provider = dill.loads(raw)
        assert type(provider).__module__ == "launchdarkly_experiments.provider"
        assert type(provider).__name__ == "ExperimentProvider"

    return exp.urn.apply(check)


def test_args_object_and_keywords_are_exclusive(mocks: RecordingMocks) -> None:
    with pytest.raises(TypeError, match="not both"):
        ld.Experiment(
            "x",
            ld.ExperimentArgs(key="k", name="n", iteration=ld.IterationArgs("h", [], [], {})),
            name="again",
        )
    with pytest.raises(TypeError, match="'x'"):
        ld.Experiment("x", name="missing key and iteration")


@pulumi.runtime.test
def test_a_program_declares_more_experiments_than_the_sdks_serializer_survives(
    mocks: RecordingMocks,
) -> Any:
    """pulumi.dynamic.Resource serializes its provider on each construction, and the SDK's
    serializer wraps pickle deeper on every call: about 980 calls in, RecursionError. The
    Experiment serializes its stateless provider once, so 1,100 declare fine."""
    experiments = [make_experiment(f"exp-{i}", key=f"exp-{i}") for i in range(1100)]

    def check(keys: list[str]) -> None:
        assert keys == ["exp-1097", "exp-1098", "exp-1099"]
        assert len(mocks.registered) == 1100
        blobs = {str(args.inputs["__provider"]) for args in mocks.registered}
        assert len(blobs) == 1

    return pulumi.Output.all(*(e.key for e in experiments[-3:])).apply(check)


def recorded_stacks(monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[str, int]]]:
    """Every stack trace the SDK records at a registration, as (file, line) from the top."""
    from pulumi.runtime import resource as sdk_resource

    stacks: list[list[tuple[str, int]]] = []
    original = sdk_resource._get_stack_trace

    def recording() -> Any:
        trace = original()
        stacks.append([(frame.pc.uri.rsplit("/", 1)[-1], frame.pc.line) for frame in trace.frames])
        return trace

    monkeypatch.setattr(sdk_resource, "_get_stack_trace", recording)
    return stacks


def test_a_registration_is_placed_at_the_programs_line(
    mocks: RecordingMocks, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The SDK records the stack above the resource's own __init__: the first frame (the source
    # position the engine shows and keeps) is the program's, none is ours.
    stacks = recorded_stacks(monkeypatch)
    line = make_experiment.__code__.co_firstlineno
    make_experiment()
    (stack,) = stacks
    top_file, top_line = stack[0]
    assert top_file == "test_program.py" and top_line > line
    assert not any(name in ("resource.py", "resources.py") for name, _ in stack[:2])


def test_declare_experiments_adds_only_the_catalogs_two_frames_to_the_stack(
    mocks: RecordingMocks, monkeypatch: pytest.MonkeyPatch
) -> None:
    from launchdarkly_experiments.catalog_resources import declare_experiments

    stacks = recorded_stacks(monkeypatch)
    declared = declare_experiments(
        ROOT / "experiments.yaml", defaults={"project_key": "shop", "environment_key": "dev"}
    )
    assert declared and len(stacks) == len(declared)
    # declare_experiments, then declare (every section's loop): each frame is kept in the
    # state of every resource, so no other of ours lies between them and the program.
    for stack in stacks:
        assert [name for name, _ in stack[:3]] == [
            "catalog_resources.py",
            "catalog_resources.py",
            "test_program.py",
        ]
