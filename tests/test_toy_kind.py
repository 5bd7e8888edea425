"""A resource kind is one declaration: a toy kind declared in the test suite only
(tests/support/toy_kind.py: a model, a rule, operations over a stub API) is served by both
adapters over gRPC and described by the schema and code generators, with no other module
touched."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from launchdarkly_experiments.codegen.python import dynamic_resources
from launchdarkly_experiments.native.schema import package_schema
from tests.support.engine import ProviderHost
from tests.support.toy_kind import TOKEN, Toy, ToyApi, ToyProvider

TOY_TOKEN = "launchdarkly-experiments:index:Toy"


@pytest.fixture
def api() -> Iterator[ToyApi]:
    with ToyApi() as stub:
        yield stub


@pytest.fixture(params=["dynamic", "native"])
def host(api: ToyApi, request: pytest.FixtureRequest) -> Iterator[ProviderHost]:
    env = {k: "" for k in os.environ if k.startswith("LAUNCHDARKLY_")}
    settings = {"accessToken": TOKEN, "apiHost": api.url, "projectKey": "box"}
    if request.param == "dynamic":
        with ProviderHost(ToyProvider(), env=env) as running:
            running.configure(
                {f"launchdarkly:{k}": v for k, v in settings.items()},
                secret_keys={"launchdarkly:accessToken"},
            )
            yield running
        return
    plugin = [sys.executable, "-u", "-m", "tests.support.toy_kind"]
    with ProviderHost(None, command=plugin, env=env, type_token=TOY_TOKEN) as running:
        running.configure(settings, secret_keys={"accessToken"})
        yield running


def test_both_adapters_serve_a_kind_declared_in_the_tests(host: ProviderHost, api: ToyApi) -> None:
    # Check: the field problem and the rule's, at once; the setting fills in the project.
    _, failures = host.check("toy", {}, {"key": "t1", "name": "", "color": "red"})
    assert {f.property for f in failures} == {"name", "size"}
    inputs, failures = host.check("toy", {}, {"key": "t1", "name": "Robot", "color": "blue"})
    assert failures == []
    declared = {k: v for k, v in inputs.items() if k != "__provider"}  # the dynamic host adds it
    assert declared == {"projectKey": "box", "key": "t1", "name": "Robot", "color": "blue"}

    id_, outputs = host.create("toy", inputs)
    assert id_ == "box/t1"
    assert (outputs["toyId"], outputs["version"], outputs["name"]) == ("toy-1", 1, "Robot")
    assert api.toys[("box", "t1")]["color"] == "blue"

    renamed, _ = host.check("toy", inputs, {**inputs, "name": "Robot 2"})
    outcome = host.diff(id_, "toy", olds=outputs, news=renamed)
    assert (outcome.changes, outcome.replaces) == ("some", [])
    outputs = host.update(id_, "toy", olds=outputs, news=renamed)
    assert outputs["version"] == 2 and api.toys[("box", "t1")]["name"] == "Robot 2"
    moved, _ = host.check("toy", renamed, {**renamed, "key": "t2"})
    assert host.diff(id_, "toy", olds=outputs, news=moved).replaces == ["key"]

    # Drift made behind the provider's back is found by a refresh.
    api.toys[("box", "t1")]["size"] = 3
    read_id, refreshed, read_inputs = host.read(id_, "toy", outputs=outputs, inputs=renamed)
    assert read_id == id_ and refreshed["size"] == 3
    assert read_inputs is not None and read_inputs["size"] == 3

    if host.type_token == TOY_TOKEN:
        # `pulumi import` (native only: the engine reads a dynamic resource with its provider):
        # the id alone rebuilds the declaration.
        imported_id, _, imported = host.read(id_, "toy", outputs=None, inputs=None)
        assert imported_id == id_ and imported == {**read_inputs}

    host.delete(id_, "toy", outputs=refreshed, old_inputs=read_inputs)
    assert api.toys == {}
    assert ("DELETE", "/toys/box/t1") in api.requests


def test_the_generators_describe_a_kind_they_are_given() -> None:
    schema = package_schema(kinds=(Toy,))
    assert list(schema["resources"]) == [TOY_TOKEN]
    resource = schema["resources"][TOY_TOKEN]
    assert set(resource["inputProperties"]) == {"projectKey", "key", "name", "size", "color"}
    assert resource["requiredInputs"] == ["key", "name"]  # projectKey: the provider's setting
    assert {"toyId", "version"} <= set(resource["properties"])
    assert "One of: red, blue." in resource["inputProperties"]["color"]["description"]
    assert resource["description"] == Toy.description

    source = dynamic_resources((Toy,), providers={"Toy": ToyProvider})
    assert "class ToyArgs(Args):" in source
    assert 'color: pulumi.Input[Color | Literal["red", "blue"]] | None = None' in source
    assert 'class Toy(DynamicResource, module="launchdarkly", name="Toy"):' in source
    assert "    toy_id: pulumi.Output[str]" in source
