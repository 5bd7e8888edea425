"""The Layer kind through both adapters over gRPC, against the emulator under each profile.

Layers are built in project shop, over draft experiments each test makes through the
emulator's API. Each operation's requests are counted: a layer has no single GET (it is read
from the project's list) and its reservations change one environment per PATCH.
"""

from __future__ import annotations

from typing import Any

import pytest

from launchdarkly_experiments.core.kinds import Layer
from ld_emulator import Emulator
from tests.support.engine import ProviderCallError, ProviderHost
from tests.support.ld_api import SHOP, Api
from tests.support.profiles import one_profile

from .conftest import TOKEN, api_calls, checked_and_created, plain

KIND = Layer
LAYERS = f"{SHOP}/layers"
CHECKOUT = f"{LAYERS}/checkout"


def reservation(experiment: str, percent: int, environment: str = "dev") -> dict[str, Any]:
    return {
        "environmentKey": environment,
        "experimentKey": experiment,
        "reservationPercent": percent,
    }


def declared(*reservations: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"projectKey": "shop", "key": "checkout", "name": "Checkout"}
    if reservations:
        props["reservations"] = list(reservations)
    props.update(overrides)
    return {k: v for k, v in props.items() if v is not None}


def live_reservations(api: Api, key: str = "checkout") -> dict[str, list[tuple[str, int]]]:
    (layer,) = [item for item in api.get(LAYERS)["items"] if item["key"] == key]
    return {
        env: [(r["experimentKey"], r["reservationPercent"]) for r in config["reservations"]]
        for env, config in layer["environments"].items()
        if config["reservations"]
    }


@pytest.fixture
def api(emulator: Emulator) -> Api:
    made = Api(emulator, TOKEN)
    for key in ("exp-a", "exp-b", "exp-c"):
        made.experiment(key)
    made.experiment("exp-a", "staging")
    emulator.clear_requests()
    return made


@one_profile  # no request at all
def test_check_reports_every_problem_at_once(host: ProviderHost, emulator: Emulator) -> None:
    broken = declared(
        reservation("exp-a", 60),
        reservation("exp-b", 50),
        reservation("exp-a", 10),
        reservation("exp-c", 101, "staging"),
        reservation("exp-b", 2.5, "staging"),  # type: ignore[arg-type]
        reservation("exp-c", True, "production"),  # type: ignore[arg-type]
    )
    _, failures = host.check("layer", {}, broken)
    found = {f.property: f.reason for f in failures}
    assert set(found) == {
        "reservations[3].reservationPercent",
        "reservations[4].reservationPercent",
        "reservations[5].reservationPercent",
    }, found
    assert "at most 100" in found["reservations[3].reservationPercent"]
    assert "whole number" in found["reservations[4].reservationPercent"]
    # The rules across reservations run once every reservation is valid.
    _, failures = host.check("layer", {}, declared(*broken["reservations"][:3]))
    found = {f.property: f.reason for f in failures}
    assert set(found) == {"reservations", "reservations[2].experimentKey"}, found
    assert "add up to 120%" in found["reservations"]
    assert "reserved twice in environment 'dev'" in found["reservations[2].experimentKey"]
    assert api_calls(emulator) == []


def test_lifecycle_with_request_counts(host: ProviderHost, emulator: Emulator, api: Api) -> None:
    props = declared(
        reservation("exp-a", 30), reservation("exp-b", 20), reservation("exp-a", 50, "staging")
    )
    id_, outputs, inputs = checked_and_created(host, "layer", props)
    assert id_ == "shop/checkout"
    assert api_calls(emulator) == [("POST", LAYERS), ("PATCH", CHECKOUT), ("PATCH", CHECKOUT)]
    assert [r["body"].get("environmentKey") for r in emulator.requests()] == [
        None,
        "dev",
        "staging",
    ]
    assert emulator.requests()[0]["body"] == {
        "key": "checkout",
        "name": "Checkout",
        "description": "",
    }
    assert live_reservations(api) == {
        "dev": [("exp-a", 30), ("exp-b", 20)],
        "staging": [("exp-a", 50)],
    }
    assert outputs["reservations"] == props["reservations"]

    # Refresh of an unchanged layer: one GET of the list, narrowed to the layers of exp-a.
    emulator.clear_requests()
    _, refreshed, read_inputs = host.read(id_, "layer", outputs=outputs, inputs=inputs)
    assert plain(refreshed) == outputs and plain(read_inputs) == plain(inputs)
    assert api_calls(emulator) == [("GET", LAYERS)]
    assert emulator.requests()[0]["query"] == {
        "filter": "reservations.experimentKey contains exp-a"
    }

    # A reorder is no change; a key change replaces, deleting first (the new layer could not
    # reserve what the old one holds).
    emulator.clear_requests()
    shuffled, _ = host.check("layer", inputs, declared(*reversed(props["reservations"])))
    assert host.diff(id_, "layer", olds=outputs, news=shuffled).changes == "none"
    moved, _ = host.check("layer", inputs, {**props, "key": "checkout-2"})
    outcome = host.diff(id_, "layer", olds=outputs, news=moved)
    assert (outcome.replaces, outcome.delete_before_replace) == (["key"], True)

    # Lower one share and raise another in dev, rename, drop staging: one PATCH per environment,
    # the lowered share first.
    changed, failures = host.check(
        "layer",
        inputs,
        declared(reservation("exp-a", 10), reservation("exp-b", 90), name="Checkout flow"),
    )
    assert failures == []
    updated = plain(host.update(id_, "layer", olds=outputs, news=changed))
    assert api_calls(emulator) == [("PATCH", CHECKOUT), ("PATCH", CHECKOUT)]
    dev, staging = (r["body"] for r in emulator.requests())
    assert dev["environmentKey"] == "dev"
    assert [(i["kind"], i.get("experimentKey")) for i in dev["instructions"]] == [
        ("updateName", None),
        ("updateExperimentReservation", "exp-a"),
        ("updateExperimentReservation", "exp-b"),
    ]
    assert staging == {
        "environmentKey": "staging",
        "instructions": [{"kind": "removeExperiment", "experimentKey": "exp-a"}],
    }
    assert live_reservations(api) == {"dev": [("exp-a", 10), ("exp-b", 90)]}
    assert updated["name"] == "Checkout flow"

    # Delete removes the reservations and leaves the layer, saying so.
    emulator.clear_requests()
    host.delete(id_, "layer", outputs=updated)
    assert api_calls(emulator) == [("PATCH", CHECKOUT)]
    assert live_reservations(api) == {}
    host.wait_for_stderr("no delete for layers")
    left_id, left, _ = host.read(id_, "layer", outputs=updated)
    assert left_id == id_ and "reservations" not in left

    # A new declaration of its key takes the layer left without reservations over.
    emulator.clear_requests()
    id_, outputs, _ = checked_and_created(host, "layer", declared(reservation("exp-c", 40)))
    assert api_calls(emulator) == [("POST", LAYERS), ("GET", LAYERS), ("PATCH", CHECKOUT)]
    host.wait_for_stderr("exists without reservations")
    assert live_reservations(api) == {"dev": [("exp-c", 40)]}


def test_an_existing_layer_with_reservations_needs_adopt(
    host: ProviderHost, emulator: Emulator, api: Api
) -> None:
    api.layer("checkout")
    api.patch(
        CHECKOUT,
        {"kind": "updateExperimentReservation", "experimentKey": "exp-c", "reservationPercent": 5},
        environmentKey="dev",
    )
    emulator.clear_requests()
    inputs, _ = host.check("layer", {}, declared(reservation("exp-a", 30)))
    with pytest.raises(ProviderCallError) as refused:
        host.create("layer", inputs)
    assert "create layer shop/checkout" in refused.value.details
    assert "already exists in project 'shop'" in refused.value.details
    assert "adopt=True" in refused.value.details
    assert api_calls(emulator) == [("POST", LAYERS), ("GET", LAYERS)]

    emulator.clear_requests()
    inputs, _ = host.check("layer", {}, declared(reservation("exp-a", 30), adopt=True))
    _, outputs = host.create("layer", inputs)
    assert api_calls(emulator) == [("POST", LAYERS), ("GET", LAYERS), ("PATCH", CHECKOUT)]
    # Adopted: it holds exactly what is declared.
    assert live_reservations(api) == {"dev": [("exp-a", 30)]}
    assert plain(outputs)["reservations"] == [reservation("exp-a", 30)]


def test_drift_is_found_and_import_rebuilds_the_declaration(
    host: ProviderHost, emulator: Emulator, api: Api
) -> None:
    id_, outputs, inputs = checked_and_created(
        host, "layer", declared(reservation("exp-a", 30), description="Mine")
    )
    api.patch(
        CHECKOUT,
        {"kind": "updateExperimentReservation", "experimentKey": "exp-b", "reservationPercent": 5},
        environmentKey="dev",
    )
    _, refreshed, read_inputs = host.read(id_, "layer", outputs=outputs, inputs=inputs)
    drift = [reservation("exp-a", 30), reservation("exp-b", 5)]
    assert plain(refreshed)["reservations"] == drift
    assert plain(read_inputs)["reservations"] == drift
    # The next update takes the drift out again.
    emulator.clear_requests()
    news, _ = host.check("layer", inputs, declared(reservation("exp-a", 30), description="Mine"))
    host.update(id_, "layer", olds=plain(refreshed), news=news)
    assert api_calls(emulator) == [("PATCH", CHECKOUT)]
    assert live_reservations(api) == {"dev": [("exp-a", 30)]}
    if host.serialized_provider:
        return  # `pulumi import`: native only (the engine reads a dynamic one without it)
    emulator.clear_requests()
    imported_id, _, imported = host.read(id_, "layer", outputs=None, inputs=None)
    assert api_calls(emulator) == [("GET", LAYERS)]
    assert imported_id == id_
    assert plain(imported) == declared(reservation("exp-a", 30), description="Mine")


def test_unknown_outcomes_are_read_back_before_anything_is_sent_again(
    host: ProviderHost, emulator: Emulator, api: Api
) -> None:
    emulator.faults.drop_next(1, method="POST", path=f"{LAYERS}$", after_processing=True)
    id_, outputs, inputs = checked_and_created(host, "layer", declared(reservation("exp-a", 30)))
    assert api_calls(emulator) == [("POST", LAYERS), ("GET", LAYERS), ("PATCH", CHECKOUT)]
    assert len(api.get(LAYERS)["items"]) == 1
    assert live_reservations(api) == {"dev": [("exp-a", 30)]}

    emulator.clear_requests()
    emulator.faults.drop_next(1, method="PATCH", path=f"{CHECKOUT}$", after_processing=True)
    news, _ = host.check("layer", inputs, declared(reservation("exp-a", 70)))
    updated = plain(host.update(id_, "layer", olds=outputs, news=news))
    assert api_calls(emulator) == [("PATCH", CHECKOUT), ("GET", LAYERS)]
    assert updated["reservations"] == [reservation("exp-a", 70)]
