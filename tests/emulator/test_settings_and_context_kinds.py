"""Context kinds and the experimentation settings (randomization units) as stored documents."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import (
    LAB,
    LAB_E,
    Api,
    assert_error,
    assert_schema,
    lab_experiment,
    metric_post,
    semantic,
)

KINDS = f"{LAB}/context-kinds"
SETTINGS = f"{LAB}/experimentation-settings"


def _units(*units: str, default: str | None = None) -> dict[str, Any]:
    return {
        "randomizationUnits": [
            {"randomizationUnit": u, **({"default": True} if u == default else {})} for u in units
        ]
    }


def _shown(response: httpx.Response) -> dict[str, bool]:
    body = assert_schema(response, 200, "RandomizationSettingsRep")
    return {u["randomizationUnit"]: u["default"] for u in body["randomizationUnits"]}


def _kind(client: httpx.Client, key: str) -> dict[str, Any]:
    return dict(next(k for k in client.get(KINDS).json()["items"] if k["key"] == key))


def test_seeded_context_kinds_and_settings(client: httpx.Client) -> None:
    kinds = assert_schema(client.get(KINDS), 200, "ContextKindsCollectionRep")
    assert [(k["key"], k["name"], k["createdFrom"]) for k in kinds["items"]] == [
        ("user", "User", "default"),
        ("organization", "Organization", "manual"),
    ]
    assert _shown(client.get(SETTINGS)) == {"user": True}
    shop = client.get("/api/v2/projects/shop/experimentation-settings")
    assert _shown(shop) == {"user": True, "organization": False}


def test_create_and_update_a_context_kind(client: httpx.Client) -> None:
    made = client.put(f"{KINDS}/device", json={"name": "Device", "description": "A phone"})
    body = assert_schema(made, 200, "UpsertResponseRep")
    assert body["status"] == "success"
    assert body["_links"]["self"]["href"] == f"{KINDS}/device"
    device = _kind(client, "device")
    assert (device["version"], device["createdFrom"], device["archived"]) == (1, "manual", False)
    # only the included fields change; the version counts the changes
    updated = client.put(f"{KINDS}/device", json={"name": "Device", "hideInTargeting": True})
    assert updated.status_code == 200
    device = _kind(client, "device")
    assert (device["description"], device["archived"], device["version"]) == ("A phone", True, 2)
    pinned = client.put(f"{KINDS}/device", json={"name": "Gadget", "version": 7})
    assert pinned.status_code == 200
    device = _kind(client, "device")
    assert (device["name"], device["version"]) == ("Gadget", 7)


@pytest.mark.parametrize(
    ("key", "body", "needle"),
    [
        ("device", {"description": "no name"}, "'name' is required"),
        ("device", {"name": " "}, "must not be empty"),
        ("device", {"name": "D", "archived": True, "hideInTargeting": False}, "aliases"),
        ("device", {"name": "D", "version": 0}, "positive"),
        ("a device", {"name": "D"}, "context kind key"),
        ("device", {"name": "D", "colour": "red"}, "colour"),
    ],
)
def test_context_kind_rules(client: httpx.Client, key: str, body: Any, needle: str) -> None:
    assert_error(client.put(f"{KINDS}/{key}", json=body), 400, "invalid_request", needle)


def test_put_replaces_the_randomization_units(client: httpx.Client) -> None:
    body = _units("user", "organization", default="organization")
    body["randomizationUnits"][0]["standardRandomizationUnit"] = "user"  # deprecated, ignored
    assert _shown(client.put(SETTINGS, json=body)) == {"user": False, "organization": True}
    assert _shown(client.get(SETTINGS)) == {"user": False, "organization": True}
    # a new experiment takes the new default unit
    client.post("/api/v2/metrics/lab", json=metric_post("m", randomizationUnits=["organization"]))
    made = assert_schema(lab_experiment(client, "exp", "m"), 201, "Experiment")
    assert made["currentIteration"]["randomizationUnit"] == "organization"
    # without a default, the first unit is the default
    assert _shown(client.put(SETTINGS, json=_units("organization", "user"))) == {
        "organization": True,
        "user": False,
    }


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (_units("user", "device"), "'device' is not the key of a context kind"),
        (_units("user", "user"), "listed twice"),
        (
            {
                "randomizationUnits": [
                    {"randomizationUnit": u, "default": True} for u in ("user", "organization")
                ]
            },
            "only have one default",
        ),
        (_units(), "at least one"),
        ({"units": []}, "randomizationUnits"),
        ({"randomizationUnits": [{"default": True}]}, "randomizationUnit"),
    ],
)
def test_settings_rules(client: httpx.Client, body: Any, needle: str) -> None:
    assert_error(client.put(SETTINGS, json=body), 400, "invalid_request", needle)
    assert _shown(client.get(SETTINGS)) == {"user": True}


def test_a_unit_needs_its_context_kind_first(client: httpx.Client) -> None:
    assert client.put(SETTINGS, json=_units("user", "device")).status_code == 400
    assert client.put(f"{KINDS}/device", json={"name": "Device"}).status_code == 200
    assert _shown(client.put(SETTINGS, json=_units("user", "device", default="user"))) == {
        "user": True,
        "device": False,
    }


def test_experiments_name_a_unit_of_the_settings(client: httpx.Client) -> None:
    client.post("/api/v2/metrics/lab", json=metric_post("m"))
    assert lab_experiment(client, "exp", "m").status_code == 201
    to_organization = {
        "kind": "updateExperimentFields",
        "value": {"randomizationUnit": {"operation": "update", "value": "organization"}},
    }
    refused = semantic(client, f"{LAB_E}/experiments/exp", to_organization)
    assert_error(refused, 400, "invalid_request", "randomizationUnit", "organization")
    client.put(SETTINGS, json=_units("user", "organization", default="user"))
    accepted = semantic(client, f"{LAB_E}/experiments/exp", to_organization)
    assert accepted.json()["currentIteration"]["randomizationUnit"] == "organization"


def test_dropping_a_unit_in_use(any_api: Api) -> None:
    client = any_api.client
    client.put(SETTINGS, json=_units("user", "organization", default="user"))
    client.post("/api/v2/metrics/lab", json=metric_post("m"))
    made = lab_experiment(client, "exp", "m")
    assert made.json()["currentIteration"]["randomizationUnit"] == "user"
    response = client.put(SETTINGS, json=_units("organization"))
    if "in-use-refused" in any_api.profile:
        assert_error(response, 400, "invalid_request", "'user'", "experiment 'exp' (dev)")
        archived = semantic(client, f"{LAB_E}/experiments/exp", {"kind": "archiveExperiment"})
        assert archived.status_code == 200
        response = client.put(SETTINGS, json=_units("organization"))
    assert _shown(response) == {"organization": True}
    kept = client.get(f"{LAB_E}/experiments/exp").json()
    assert kept["currentIteration"]["randomizationUnit"] == "user"
