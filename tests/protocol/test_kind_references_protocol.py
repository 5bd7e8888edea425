"""Reference checks of the Holdout, Layer and ExperimentationSettings kinds at check time, with a
token, through both adapters (reads only: one profile)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime._serialization import _serialize

from launchdarkly_experiments import provider
from launchdarkly_experiments.core.kind import ResourceKind
from launchdarkly_experiments.core.kinds import (
    Experiment,
    ExperimentationSettings,
    Holdout,
    Layer,
)
from launchdarkly_experiments.native.schema import resource_token
from ld_emulator import Emulator
from tests.support.declarations import declaration
from tests.support.engine import ProviderHost
from tests.support.ld_api import Api

from .conftest import TOKEN, dynamic_token, provider_host


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(tokens=(TOKEN,)) as emu:
        yield emu


@pytest.fixture(params=["dynamic", "native"])
def adapter(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def failures_of(
    emulator: Emulator, adapter: str, kind: type[ResourceKind[Any]], props: dict[str, Any]
) -> dict[str, str]:
    settings = {"accessToken": TOKEN, "apiHost": emulator.url}
    emulator.clear_requests()
    with provider_host(adapter, settings, kind) as host:
        _, failures = host.check("r", {}, props)
    writes = [r for r in emulator.requests() if r["method"] != "GET"]
    assert writes == [], "check never writes"
    return {f.property: f.reason for f in failures}


def test_holdout_references(emulator: Emulator, adapter: str) -> None:
    api = Api(emulator, TOKEN)
    api.metric("signed-up")
    props = {
        "projectKey": "lab",
        "environmentKey": "dev",
        "key": "q1",
        "name": "Q1",
        "holdoutAmount": 5,
        "metrics": [{"key": "signed-up"}, {"key": "nope"}, {"key": "signed-up-2", "isGroup": True}],
        "primaryMetricKey": "signed-up",
        "randomizationUnit": "team",
        "prerequisiteFlagKey": "no-such-flag",
    }
    found = failures_of(emulator, adapter, Holdout, props)
    assert set(found) == {
        "metrics[1].key",
        "metrics[2].key",
        "randomizationUnit",
        "prerequisiteFlagKey",
    }, found
    assert found["metrics[1].key"] == "metric 'nope' not found in project 'lab'"
    assert (
        "'team' is not a randomization unit of project 'lab'; units: 'user'"
        in (found["randomizationUnit"])
    )
    assert "flag 'no-such-flag' not found" in found["prerequisiteFlagKey"]
    elsewhere = {**props, "environmentKey": "qa", "metrics": None, "randomizationUnit": "user"}
    found = failures_of(emulator, adapter, Holdout, {k: v for k, v in elsewhere.items() if v})
    assert set(found) == {"environmentKey"}, found
    found = failures_of(emulator, adapter, Holdout, {**props, "projectKey": "nowhere"})
    assert set(found) == {"projectKey"}, found


def test_layer_references(emulator: Emulator, adapter: str) -> None:
    api = Api(emulator, TOKEN)
    api.experiment("exp-a")
    api.experiment("exp-r", start=True)
    props = {
        "projectKey": "shop",
        "key": "checkout",
        "name": "Checkout",
        "reservations": [
            {"environmentKey": "dev", "experimentKey": "exp-a", "reservationPercent": 0},
            {"environmentKey": "dev", "experimentKey": "exp-z", "reservationPercent": 10},
            {"environmentKey": "qa", "experimentKey": "exp-a", "reservationPercent": 10},
            {"environmentKey": "dev", "experimentKey": "exp-r", "reservationPercent": 0},
        ],
    }
    found = failures_of(emulator, adapter, Layer, props)
    assert set(found) == {
        "reservations[1].experimentKey",
        "reservations[2].environmentKey",
        "reservations[3].reservationPercent",
    }, found
    assert "experiment 'exp-z' not found in shop/dev" in found["reservations[1].experimentKey"]
    assert "'exp-r' is running" in found["reservations[3].reservationPercent"]


def test_settings_references(emulator: Emulator, adapter: str) -> None:
    props = {
        "projectKey": "lab",
        "randomizationUnits": [{"randomizationUnit": "user"}, {"randomizationUnit": "team"}],
    }
    found = failures_of(emulator, adapter, ExperimentationSettings, props)
    assert set(found) == {"randomizationUnits[1].randomizationUnit"}
    assert (
        "'team' is not a context kind of project 'lab'; context kinds: 'user', "
        in (found["randomizationUnits[1].randomizationUnit"])
    )
    found = failures_of(emulator, adapter, ExperimentationSettings, {**props, "projectKey": "no"})
    assert set(found) == {"projectKey"}


def test_an_experiment_this_program_declares_is_no_missing_reference(
    emulator: Emulator, adapter: str
) -> None:
    """An experiment the provider host checked is one the program creates: a layer may reserve
    it before it exists. One host serves every kind (the native plugin, and the dynamic host
    with one provider per kind)."""
    settings = {"accessToken": TOKEN, "apiHost": emulator.url}
    layer = {
        "projectKey": "shop",
        "key": "checkout",
        "name": "Checkout",
        "reservations": [
            {"environmentKey": "dev", "experimentKey": "brand-new", "reservationPercent": 10}
        ],
    }
    with provider_host(adapter, settings, Experiment) as host:
        _, failures = host.check("exp", {}, declaration(key="brand-new"))
        assert failures == []
        serve(host, Layer)
        _, failures = host.check("layer", {}, layer)
        assert failures == []
        elsewhere = {**layer["reservations"][0], "experimentKey": "not-declared"}
        _, failures = host.check("layer", {}, {**layer, "key": "l2", "reservations": [elsewhere]})
        assert [f.property for f in failures] == ["reservations[0].experimentKey"]


def serve(host: ProviderHost, kind: type[ResourceKind[Any]]) -> None:
    """Send the next calls for ``kind`` to the same host, as the engine does."""
    if host.serialized_provider:
        provider_class = getattr(provider, f"{kind.name}Provider")
        host.serialized_provider = _serialize(True, serialize_provider, provider_class())[0]
        host.type_token = dynamic_token(kind)
    else:
        host.type_token = resource_token(kind.name)
