"""Layers as stored documents: create, list (with the experimentKey filter), and the semantic
patch that names them and reserves traffic for experiments per environment."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.fixture_ids import LAB_RULE_BETA

from .conftest import (
    LAB,
    LAB_E,
    assert_error,
    assert_schema,
    lab_experiment,
    metric_post,
    semantic,
)

LAYERS = f"{LAB}/layers"


@pytest.fixture
def lab(client: httpx.Client) -> httpx.Client:
    """The client, with lab's metric signed-up, experiments on-fallthrough and on-rule (dev)
    and a layer checkout."""
    assert client.post("/api/v2/metrics/lab", json=metric_post("signed-up")).status_code == 201
    assert lab_experiment(client, "on-fallthrough", "signed-up").status_code == 201
    assert lab_experiment(client, "on-rule", "signed-up", rule=LAB_RULE_BETA).status_code == 201
    body = {"key": "checkout", "name": "Checkout", "description": "The checkout flow"}
    assert client.post(LAYERS, json=body).status_code == 201
    return client


def _reserve(key: str, percent: Any) -> dict[str, Any]:
    return {
        "kind": "updateExperimentReservation",
        "experimentKey": key,
        "reservationPercent": percent,
    }


def _patch(
    client: httpx.Client, *instructions: dict[str, Any], env: str | None = "dev"
) -> httpx.Response:
    extra = {} if env is None else {"environmentKey": env}
    return semantic(client, f"{LAYERS}/checkout", *instructions, **extra)


def test_create_and_list_layers(client: httpx.Client) -> None:
    empty = assert_schema(client.get(LAYERS), 200, "LayerCollectionRep")
    assert (empty["items"], empty["totalCount"]) == ([], 0)
    body = {"key": "checkout", "name": "Checkout", "description": "The checkout flow"}
    made = assert_schema(client.post(LAYERS, json=body), 201, "LayerRep")
    assert (made["key"], made["name"], made["description"]) == (
        "checkout",
        "Checkout",
        "The checkout flow",
    )
    assert made["environments"] == {
        env: {"reservations": []} for env in ("dev", "staging", "production")
    }
    listing = assert_schema(client.get(LAYERS), 200, "LayerCollectionRep")
    assert listing["items"] == [made] and listing["totalCount"] == 1
    assert_error(client.post(LAYERS, json=body), 400, "invalid_request", "already exists")
    no_description = {"key": "other", "name": "Other"}
    assert_error(client.post(LAYERS, json=no_description), 400, "invalid_request", "description")
    assert_error(client.post(LAYERS, json={**body, "key": "a b"}), 400, "invalid_request", "key")


def test_name_describe_and_reserve(lab: httpx.Client) -> None:
    response = _patch(
        lab,
        {"kind": "updateName", "name": "Checkout flow"},
        {"kind": "updateDescription", "description": "Exclusive checkout tests"},
        _reserve("on-fallthrough", 40),
        _reserve("on-rule", 60),
    )
    layer = assert_schema(response, 200, "LayerRep")
    assert (layer["name"], layer["description"]) == ("Checkout flow", "Exclusive checkout tests")
    assert layer["environments"]["dev"]["reservations"] == [
        {"experimentKey": "on-fallthrough", "flagKey": "checkout-button", "reservationPercent": 40},
        {"experimentKey": "on-rule", "flagKey": "checkout-button", "reservationPercent": 60},
    ]
    assert layer["environments"]["staging"]["reservations"] == []
    # change one, remove the other
    changed = _patch(
        lab,
        _reserve("on-fallthrough", 25),
        {"kind": "removeExperiment", "experimentKey": "on-rule"},
    )
    reservations = assert_schema(changed, 200, "LayerRep")["environments"]["dev"]["reservations"]
    assert [(r["experimentKey"], r["reservationPercent"]) for r in reservations] == [
        ("on-fallthrough", 25)
    ]
    assert lab.get(LAYERS).json()["items"][0] == changed.json()
    # removing what is not reserved is already satisfied; names need no environment
    again = _patch(lab, {"kind": "removeExperiment", "experimentKey": "on-rule"})
    assert again.json() == changed.json()
    renamed = _patch(lab, {"kind": "updateName", "name": "Checkout"}, env=None)
    assert assert_schema(renamed, 200, "LayerRep")["name"] == "Checkout"


def test_the_list_filters_by_experiment(lab: httpx.Client) -> None:
    lab.post(LAYERS, json={"key": "pricing", "name": "Pricing", "description": "Prices"})
    _patch(lab, _reserve("on-rule", 10))
    found = lab.get(LAYERS, params={"filter": "reservations.experimentKey contains on-rule"})
    assert [item["key"] for item in assert_schema(found, 200, "LayerCollectionRep")["items"]] == [
        "checkout"
    ]
    none = lab.get(LAYERS, params={"filter": "reservations.experimentKey contains other"})
    assert none.json()["totalCount"] == 0
    bad = lab.get(LAYERS, params={"filter": "name equals Checkout"})
    assert_error(bad, 400, "invalid_request", "reservations.experimentKey contains")


@pytest.mark.parametrize(
    ("instructions", "env", "needle"),
    [
        ([_reserve("on-rule", 10)], None, "'environmentKey' is required"),
        ([_reserve("on-rule", 10)], "qa", "'qa' is not an environment"),
        ([_reserve("nope", 10)], "dev", "experiment 'nope' not found"),
        ([_reserve("on-rule", 10)], "staging", "not found in environment 'staging'"),
        ([_reserve("on-rule", "10")], "dev", "must be an integer"),
        ([_reserve("on-rule", 10.5)], "dev", "must be an integer"),
        ([_reserve("on-rule", True)], "dev", "must be an integer"),
        ([_reserve("on-rule", 101)], "dev", "from 0 to 100"),
        ([_reserve("on-rule", 60), _reserve("on-fallthrough", 50)], "dev", "110% (> 100)"),
        ([{"kind": "updateName", "value": "x"}], "dev", "unknown parameter 'value'"),
        ([{"kind": "updateName", "name": " "}], "dev", "must not be empty"),
        ([{"kind": "addExperiment"}], "dev", "unknown instruction kind"),
        ([{"kind": "removeExperiment"}], "dev", "experimentKey"),
    ],
)
def test_layer_patch_refusals_change_nothing(
    lab: httpx.Client, instructions: list[dict[str, Any]], env: str | None, needle: str
) -> None:
    before = lab.get(LAYERS).json()
    assert_error(_patch(lab, *instructions, env=env), 400, "invalid_request", needle)
    assert lab.get(LAYERS).json() == before


def test_zero_is_allowed_until_the_iteration_starts(lab: httpx.Client) -> None:
    assert _patch(lab, _reserve("on-rule", 0)).status_code == 200
    started = semantic(lab, f"{LAB_E}/experiments/on-rule", {"kind": "startIteration"})
    assert started.status_code == 200
    assert_error(_patch(lab, _reserve("on-rule", 0)), 400, "invalid_request", "until the iteration")
    assert _patch(lab, _reserve("on-rule", 30)).status_code == 200


def test_an_experiment_is_reserved_in_one_layer(lab: httpx.Client) -> None:
    lab.post(LAYERS, json={"key": "pricing", "name": "Pricing", "description": "Prices"})
    assert _patch(lab, _reserve("on-rule", 10)).status_code == 200
    other = semantic(lab, f"{LAYERS}/pricing", _reserve("on-rule", 10), environmentKey="dev")
    assert_error(other, 400, "invalid_request", "already reserved in layer 'checkout'")
    # in another environment it is another experiment
    assert lab_experiment(lab, "on-rule", "signed-up", env="staging").status_code == 201
    staging = semantic(lab, f"{LAYERS}/pricing", _reserve("on-rule", 10), environmentKey="staging")
    assert staging.status_code == 200


def test_a_layer_has_no_single_read_and_no_delete(lab: httpx.Client) -> None:
    assert_error(lab.get(f"{LAYERS}/checkout"), 405, "method_not_allowed")
    assert_error(lab.delete(f"{LAYERS}/checkout"), 405, "method_not_allowed")
    missing = semantic(lab, f"{LAYERS}/nope", {"kind": "updateName", "name": "x"})
    assert_error(missing, 404, "not_found", "nope")
