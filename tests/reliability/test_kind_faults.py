"""Holdouts, layers and experimentation settings under 429 storms, 5xx, slow answers and
dropped connections (the faults of test_faults.py), in process against the emulator.

After each case the emulator holds exactly one object per key, as declared, and what the
provider returned matches it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from launchdarkly_experiments.dynamic.adapter import DynamicAdapter
from launchdarkly_experiments.errors import LaunchDarklyError
from launchdarkly_experiments.provider import (
    ExperimentationSettingsProvider,
    HoldoutProvider,
    LayerProvider,
)
from ld_emulator import PROFILES, Emulator
from tests.reliability.test_faults import FAULTS, TOKEN, clear_storm_later, make_provider
from tests.support.ld_api import LAB, SHOP, Api, holdouts


@dataclass(frozen=True)
class Scenario:
    """One kind: what it needs first, its declaration and a change of it, where it is written
    (``create``: the POST or PUT of a create; ``item``: the PATCH or PUT of an update and
    delete, the GET of a read, as regular expressions), and what the emulator then holds."""

    provider: type[DynamicAdapter]
    setup: Callable[[Api], None]
    declared: dict[str, Any]
    changed: dict[str, Any]
    create: tuple[str, str]
    item: tuple[str, str]
    read: str
    held: Callable[[Api], Any]
    deleted: Any


@pytest.fixture(scope="module", params=sorted(PROFILES))
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    with Emulator(tokens=(TOKEN,), profile=request.param) as emu:
        yield emu


@pytest.fixture(autouse=True)
def reset(emulator: Emulator) -> None:
    emulator.reset()


def _reservations(percent: int) -> list[dict[str, Any]]:
    return [{"environmentKey": "dev", "experimentKey": "exp-a", "reservationPercent": percent}]


def _layer_held(api: Api) -> Any:
    return [
        (item["key"], item["name"], item["environments"]["dev"]["reservations"])
        for item in api.get(f"{SHOP}/layers")["items"]
    ]


SCENARIOS: dict[str, Scenario] = {
    "holdout": Scenario(
        provider=HoldoutProvider,
        setup=lambda api: api.metric("signed-up"),
        declared={
            "projectKey": "lab",
            "environmentKey": "dev",
            "key": "q1",
            "name": "Q1",
            "holdoutAmount": "5",
            "primaryMetricKey": "signed-up",
        },
        changed={"name": "Renamed"},
        create=("POST", f"{holdouts()}$"),
        item=("PATCH", f"{holdouts()}/q1$"),
        read=f"{holdouts()}/q1$",
        held=lambda api: [(h["key"], h["name"], h["status"]) for h in api.get(holdouts())["items"]],
        deleted=[("q1", "Renamed", "ended")],
    ),
    "layer": Scenario(
        provider=LayerProvider,
        setup=lambda api: api.experiment("exp-a"),
        declared={
            "projectKey": "shop",
            "key": "checkout",
            "name": "Checkout",
            "reservations": _reservations(30),
        },
        changed={"name": "Renamed", "reservations": _reservations(60)},
        create=("POST", f"{SHOP}/layers$"),
        item=("PATCH", f"{SHOP}/layers/checkout$"),
        read=f"{SHOP}/layers$",
        held=_layer_held,
        deleted=[("checkout", "Renamed", [])],
    ),
    "experimentation settings": Scenario(
        provider=ExperimentationSettingsProvider,
        setup=lambda api: None,
        declared={
            "projectKey": "lab",
            "randomizationUnits": [
                {"randomizationUnit": "user"},
                {"randomizationUnit": "organization"},
            ],
        },
        changed={"randomizationUnits": [{"randomizationUnit": "organization"}]},
        create=("PUT", f"{LAB}/experimentation-settings$"),
        item=("PUT", f"{LAB}/experimentation-settings$"),
        read=f"{LAB}/experimentation-settings$",
        held=lambda api: [
            (u["randomizationUnit"], u["default"])
            for u in api.get(f"{LAB}/experimentation-settings")["randomizationUnits"]
        ],
        deleted=[("user", True)],
    ),
}


def started(emulator: Emulator, name: str) -> tuple[Scenario, DynamicAdapter, Api]:
    scenario = SCENARIOS[name]
    api = Api(emulator, TOKEN)
    scenario.setup(api)
    return scenario, make_provider(emulator, provider_class=scenario.provider), api


def checked(provider: DynamicAdapter, props: dict[str, Any]) -> dict[str, Any]:
    result = provider.check({}, props)
    assert result.failures == []
    return dict(result.inputs)


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_create_survives_transient_faults_without_duplicates(
    emulator: Emulator, name: str, fault: str
) -> None:
    scenario, provider, api = started(emulator, name)
    inputs = checked(provider, scenario.declared)
    before = scenario.held(api)
    FAULTS[fault](emulator, *scenario.create)
    clear_storm_later(emulator, fault)
    created = provider.create(inputs)
    emulator.faults.clear()
    assert created.outs is not None
    read = provider.read(created.id, created.outs)
    assert read.outs is not None and read.outs == created.outs, "state matches the server"
    if name != "experimentation settings":
        assert len(scenario.held(api)) == len(before) + 1, "nothing duplicated"


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_update_read_delete_survive_transient_faults(
    emulator: Emulator, name: str, fault: str
) -> None:
    scenario, provider, api = started(emulator, name)
    created = provider.create(checked(provider, scenario.declared))
    assert created.outs is not None

    FAULTS[fault](emulator, *scenario.item)
    clear_storm_later(emulator, fault)
    news = checked(provider, {**scenario.declared, **scenario.changed})
    updated = provider.update(created.id, created.outs, news).outs or {}
    emulator.faults.clear()
    assert {k: updated.get(k) for k in scenario.changed} == scenario.changed

    FAULTS[fault](emulator, "GET", scenario.read)
    clear_storm_later(emulator, fault)
    read = provider.read(created.id, updated)
    emulator.faults.clear()
    assert read.outs == updated

    FAULTS[fault](emulator, *scenario.item)
    clear_storm_later(emulator, fault)
    provider.delete(created.id, updated)
    emulator.faults.clear()
    assert scenario.held(api) == scenario.deleted


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_persistent_failures_end_with_a_clear_error(emulator: Emulator, name: str) -> None:
    scenario = SCENARIOS[name]
    scenario.setup(Api(emulator, TOKEN))
    provider = make_provider(emulator, deadline="1", provider_class=scenario.provider)
    inputs = checked(provider, scenario.declared)
    emulator.faults.fail_next(1000, status=503, method=scenario.create[0], path=scenario.create[1])
    with pytest.raises(LaunchDarklyError) as caught:
        provider.create(inputs)
    message = str(caught.value)
    assert message.startswith(f"create {name} ") and "503" in message
    assert TOKEN not in message
