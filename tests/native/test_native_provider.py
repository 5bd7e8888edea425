"""The native provider's protocol methods, in process, against the emulator.

The same domain code as the dynamic provider runs underneath; these tests cover what the native
adapter adds: per-path detailed diffs, Read with only an id (import), secrets, provider config.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckRequest,
    ConfigureRequest,
    CreateRequest,
    DeleteRequest,
    DiffRequest,
    GetSchemaRequest,
    PropertyDiffKind,
    ReadRequest,
    UpdateRequest,
)
from pulumi.runtime import rpc

from launchdarkly_experiments.errors import OperationFailed
from launchdarkly_experiments.native.provider import NativeProvider
from launchdarkly_experiments.native.schema import EXPERIMENT_TOKEN
from launchdarkly_experiments.native.values import plain_map, property_map
from ld_emulator import Emulator
from tests.support.declarations import declaration

TOKEN = "native-test-token-1c9d"
URN = f"urn:pulumi:dev::proj::{EXPERIMENT_TOKEN}::checkout"
T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    # A private loop: asyncio.run would leave the thread without one, which later tests using
    # pulumi's mocks need.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(tokens=(TOKEN,)) as emu:
        yield emu


@pytest.fixture(autouse=True)
def clean(emulator: Emulator) -> None:
    emulator.reset()


def configured(emulator: Emulator, **args: Any) -> NativeProvider:
    provider = NativeProvider(environ={})
    config = {"accessToken": TOKEN, "apiHost": emulator.url, **args}
    hidden = {"accessToken"}
    run(provider.configure(ConfigureRequest({}, property_map(config, hidden), True, False)))
    return provider


def check(
    provider: NativeProvider, news: dict[str, Any], olds: dict[str, Any] | None = None
) -> Any:
    return run(provider.check(CheckRequest(URN, property_map(olds or {}), property_map(news), b"")))


def create(provider: NativeProvider, props: dict[str, PropertyValue]) -> Any:
    return run(provider.create(CreateRequest(URN, props, 60, False)))


def test_check_reports_each_broken_rule_on_its_property(emulator: Emulator) -> None:
    provider = configured(emulator)
    bad = declaration(key="has space")
    bad["iteration"]["treatments"][1]["allocationPercent"] = "120"
    failures = {f.property: f.reason for f in check(provider, bad).failures}
    assert set(failures) == {"key", "iteration.treatments[1].allocationPercent"}
    assert "120" in failures["iteration.treatments[1].allocationPercent"]


def test_check_fills_project_and_environment_from_provider_config(emulator: Emulator) -> None:
    provider = configured(emulator, projectKey="shop", environmentKey="dev")
    decl = declaration()
    del decl["projectKey"], decl["environmentKey"]
    result = check(provider, decl)
    assert result.failures == []
    inputs = plain_map(result.inputs)
    assert (inputs["projectKey"], inputs["environmentKey"]) == ("shop", "dev")


def test_full_lifecycle_with_detailed_diff_and_import(emulator: Emulator) -> None:
    provider = configured(emulator)
    inputs = check(provider, declaration()).inputs
    created = create(provider, inputs)
    assert created.resource_id == "shop/dev/checkout-button"
    state = created.properties
    assert plain_map(state)["currentIteration"]["status"] == "not_started"

    # Unchanged: no diff. Changed: one path per changed leaf, replacements marked.
    same = run(provider.diff(DiffRequest(URN, created.resource_id, state, inputs, [])))
    assert same.changes is False and same.detailed_diff == {}
    edited = declaration(name="Renamed", key="checkout-button-2")
    edited["iteration"]["treatments"][1]["allocationPercent"] = "40"
    edited_inputs = check(provider, edited, plain_map(inputs)).inputs
    diff = run(provider.diff(DiffRequest(URN, created.resource_id, state, edited_inputs, [])))
    kinds = {path: d.kind for path, d in diff.detailed_diff.items()}
    assert kinds == {
        "name": PropertyDiffKind.UPDATE,
        "key": PropertyDiffKind.UPDATE_REPLACE,
        "iteration.treatments[1].allocationPercent": PropertyDiffKind.UPDATE,
    }
    assert diff.replaces == ["key"]
    assert diff.changes is True

    # In-place update.
    renamed = check(provider, declaration(name="Renamed"), plain_map(inputs)).inputs
    updated = run(
        provider.update(UpdateRequest(URN, created.resource_id, state, renamed, 60, [], False))
    )
    assert plain_map(updated.properties)["name"] == "Renamed"

    # Import: Read with the id only rebuilds the declaration.
    read = run(provider.read(ReadRequest(URN, created.resource_id, {}, {})))
    assert read.resource_id == created.resource_id
    rebuilt = plain_map(read.inputs)
    assert rebuilt == plain_map(renamed)
    assert "experimentId" in plain_map(read.properties)

    run(provider.delete(DeleteRequest(URN, created.resource_id, updated.properties, 60)))
    assert all(e.get("archivedDate") for e in emulator.experiments("shop", "dev"))
    gone = run(provider.read(ReadRequest(URN, created.resource_id, {}, {})))
    assert gone.resource_id == ""


def test_map_keys_that_are_not_names_are_quoted_in_paths(emulator: Emulator) -> None:
    provider = configured(emulator)
    inputs = check(provider, declaration()).inputs
    state = create(provider, inputs).properties
    edited = declaration()
    edited["iteration"]["flags"]["checkout-button"]["flagConfigVersion"] = 4
    news = check(provider, edited, plain_map(inputs)).inputs
    diff = run(provider.diff(DiffRequest(URN, "shop/dev/checkout-button", state, news, [])))
    assert list(diff.detailed_diff) == ['iteration.flags["checkout-button"].flagConfigVersion']


def test_secret_inputs_give_secret_outputs(emulator: Emulator) -> None:
    provider = configured(emulator)
    decl = declaration(description="launch plan: confidential")
    news = property_map(decl, {"description"})
    checked = run(provider.check(CheckRequest(URN, {}, news, b""))).inputs
    assert checked["description"].is_secret and not checked["name"].is_secret
    created = create(provider, checked)
    assert created.properties["description"].is_secret
    assert not created.properties["name"].is_secret


def test_preview_create_leaves_computed_outputs_unknown(emulator: Emulator) -> None:
    provider = configured(emulator)
    inputs = check(provider, declaration()).inputs
    # With a token, check may look references up (GETs); the preview's create writes nothing.
    emulator.clear_requests()
    preview = run(provider.create(CreateRequest(URN, inputs, 60, True)))
    assert plain_map(preview.properties)["experimentId"] == rpc.UNKNOWN
    assert emulator.requests() == [], "a preview's create makes no LaunchDarkly call"


def test_configuration_comes_from_arguments_then_environment(emulator: Emulator) -> None:
    """Where both set a setting, the argument wins; where only the environment does, it
    applies. A decoy emulator takes the environment's host, and the environment's project
    does not exist: following the environment where an argument is given would show."""
    with Emulator(tokens=("decoy-token",)) as decoy:
        provider = NativeProvider(
            environ={
                "LAUNCHDARKLY_API_HOST": decoy.url,  # conflicts with the argument
                "LAUNCHDARKLY_PROJECT_KEY": "elsewhere",  # conflicts with the argument
                "LAUNCHDARKLY_ACCESS_TOKEN": TOKEN,  # no argument: the environment's
                "LAUNCHDARKLY_ENVIRONMENT_KEY": "dev",  # no argument: the environment's
            }
        )
        arguments = {"apiHost": emulator.url, "projectKey": "shop"}
        run(provider.configure(ConfigureRequest({}, property_map(arguments), True, False)))
        checked = check(provider, declaration(projectKey=None, environmentKey=None))
        assert checked.failures == []
        inputs = plain_map(checked.inputs)
        assert (inputs["projectKey"], inputs["environmentKey"]) == ("shop", "dev")
        assert create(provider, checked.inputs).resource_id == "shop/dev/checkout-button"
        assert decoy.requests() == [], "the argument's apiHost, not the environment's"


def test_check_config_names_the_bad_setting() -> None:
    provider = NativeProvider(environ={})
    request = CheckRequest("urn", {}, property_map({"apiHost": "not a url"}), b"")
    failures = run(provider.check_config(request)).failures
    assert failures is not None and len(failures) == 1
    assert failures[0].property == "apiHost"
    assert "launchdarkly-experiments:apiHost" in failures[0].reason


def test_a_bad_environment_setting_is_reported_not_fatal_at_start_up() -> None:
    """The plugin starts (the engine would otherwise see it die) and says what is wrong where
    the user reads it: each bad setting at check_config and, without a configure that fixes
    it, at check."""
    environ = {"LAUNCHDARKLY_REQUEST_TIMEOUT": "abc", "LAUNCHDARKLY_LOG_LEVEL": "loud"}
    provider = NativeProvider(environ=environ)
    failures = run(provider.check_config(CheckRequest("urn", {}, {}, b""))).failures or []
    assert {f.property for f in failures} == {"requestTimeout", "logLevel"}
    assert all("LAUNCHDARKLY_" in f.reason for f in failures)
    (failure,) = check(provider, declaration()).failures or []
    assert "requestTimeout" in failure.reason and "logLevel" in failure.reason


def test_errors_name_the_operation_and_experiment(emulator: Emulator) -> None:
    provider = configured(emulator)
    news = check(provider, declaration(key="missing")).inputs
    request = UpdateRequest(URN, "shop/dev/missing", news, news, 60, [], False)
    with pytest.raises(OperationFailed, match="update experiment shop/dev/missing"):
        run(provider.update(request))


def test_schema_is_served() -> None:
    schema = json.loads(run(NativeProvider(environ={}).get_schema(GetSchemaRequest(0))).schema)
    assert EXPERIMENT_TOKEN in schema["resources"]


def test_emulator_drift_reaches_read(emulator: Emulator) -> None:
    provider = configured(emulator)
    created = create(provider, check(provider, declaration()).inputs)
    httpx.patch(
        f"{emulator.url}/api/v2/projects/shop/environments/dev/experiments/checkout-button",
        headers={
            "Authorization": TOKEN,
            "LD-API-Version": "beta",
            "Content-Type": "application/json; domain-model=launchdarkly.semanticpatch",
        },
        json={
            "instructions": [
                {
                    "kind": "updateExperimentFields",
                    "value": {"name": {"operation": "update", "value": "UI"}},
                }
            ]
        },
    ).raise_for_status()
    read = run(provider.read(ReadRequest(URN, created.resource_id, created.properties, {})))
    assert plain_map(read.inputs)["name"] == "UI"


def test_preview_needs_no_token_and_makes_no_request(emulator: Emulator) -> None:
    provider = NativeProvider(environ={})
    config = property_map({"apiHost": emulator.url, "projectKey": "shop", "environmentKey": "dev"})
    run(provider.configure(ConfigureRequest({}, config, True, False)))
    decl = declaration()
    del decl["projectKey"], decl["environmentKey"]
    inputs = check(provider, decl).inputs
    preview = run(provider.create(CreateRequest(URN, inputs, 60, True)))
    assert plain_map(preview.properties)["currentIteration"] == rpc.UNKNOWN
    state = {**plain_map(inputs), "experimentId": "x"}
    renamed = check(provider, {**decl, "name": "Renamed"}, plain_map(inputs)).inputs
    diff = run(provider.diff(DiffRequest(URN, "shop/dev/x", property_map(state), renamed, [])))
    assert list(diff.detailed_diff) == ["name"]
    assert emulator.requests() == []
    with pytest.raises(OperationFailed, match="no LaunchDarkly access token"):
        run(provider.create(CreateRequest(URN, inputs, 60, False)))


def test_the_plugin_loads_a_kind_when_a_request_first_names_it() -> None:
    """A program of experiments never loads the other kinds' models (start-up time)."""
    probe = textwrap.dedent(
        """
        import asyncio, sys
        from pulumi.provider.experimental.provider import CheckRequest
        from launchdarkly_experiments.native.provider import NativeProvider
        from launchdarkly_experiments.native.schema import EXPERIMENT_TOKEN

        def kinds():
            prefix = "launchdarkly_experiments.core.kinds."
            loaded = [m[len(prefix) :] for m in sys.modules if m.startswith(prefix)]
            return sorted({m.split(".")[0] for m in loaded})

        provider = NativeProvider(environ={})
        print(kinds())
        urn = "urn:pulumi:dev::p::" + EXPERIMENT_TOKEN + "::e"
        asyncio.run(provider.check(CheckRequest(urn, {}, {}, b"")))
        print(kinds())
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["[]", "['checks', 'experiment', 'operations']"]
