"""Holdouts as stored documents, per environment: create (lower-case body keys), list, read by
key and by id, semantic patch, the experiments in a holdout, and ending one."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from ld_emulator import Emulator
from tests.support.fixture_ids import LAB_RULE_BETA, MEMBER, Q4_HOLDOUT

from .conftest import (
    HEADERS,
    LAB,
    LAB_E,
    SERVICE_TOKEN,
    Api,
    assert_error,
    assert_schema,
    lab_experiment,
    metric_post,
    semantic,
)

HOLDOUTS = f"{LAB_E}/holdouts"


def _holdout(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Q1 holdout",
        "key": "q1-holdout",
        "holdoutamount": "10",
        "randomizationunit": "user",
        "primarymetrickey": "signed-up",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture
def lab(client: httpx.Client) -> httpx.Client:
    """The client, with lab's metric signed-up made."""
    assert client.post("/api/v2/metrics/lab", json=metric_post("signed-up")).status_code == 201
    return client


@pytest.fixture
def any_lab(any_api: Api) -> Api:
    assert any_api.client.post("/api/v2/metrics/lab", json=metric_post("signed-up")).is_success
    return any_api


def _made(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    return dict(assert_schema(client.post(HOLDOUTS, json=_holdout(**overrides)), 201, "HoldoutRep"))


def test_create_a_holdout(lab: httpx.Client) -> None:
    made = _made(
        lab,
        description="Held out of Q1",
        attributes=["country"],
        prerequisiteflagkey="checkout-button",
    )
    assert re.fullmatch(r"[0-9a-f-]{36}", made["_id"])
    assert (made["status"], made["holdoutAmount"], made["description"]) == (
        "running",
        "10",
        "Held out of Q1",
    )
    assert made["experiments"] == []
    base = made["baseExperiment"]
    assert (base["key"], base["name"], base["type"]) == ("q1-holdout", "Q1 holdout", "holdout")
    assert base["_maintainerId"] == MEMBER and base["environmentKey"] == "dev"
    iteration = base["currentIteration"]
    assert (iteration["status"], iteration["randomizationUnit"]) == ("running", "user")
    assert [m["key"] for m in iteration["metrics"]] == ["signed-up"]
    assert iteration["primarySingleMetric"]["key"] == "signed-up"
    assert list(iteration["flags"]) == ["checkout-button"]
    assert iteration["attributes"] == ["country"]
    by_key = assert_schema(lab.get(f"{HOLDOUTS}/q1-holdout"), 200, "HoldoutDetailRep")
    assert by_key["_id"] == made["_id"] and by_key["isDirty"] is False
    assert by_key["relatedExperiments"] == []
    by_id = assert_schema(lab.get(f"{HOLDOUTS}/id/{made['_id']}"), 200, "HoldoutRep")
    assert by_id == made
    listing = assert_schema(lab.get(HOLDOUTS), 200, "HoldoutsCollectionRep")
    assert [(h["key"], h["_id"]) for h in listing["items"]] == [("q1-holdout", made["_id"])]
    assert listing["total_count"] == 1
    # per environment: staging has none, and the key is free there
    assert lab.get(f"{LAB}/environments/staging/holdouts").json()["total_count"] == 0
    assert_error(lab.get(f"{LAB}/environments/staging/holdouts/q1-holdout"), 404, "not_found")
    staging = lab.post(f"{LAB}/environments/staging/holdouts", json=_holdout())
    assert assert_schema(staging, 201, "HoldoutRep")["_id"] != made["_id"]


def test_metrics_of_a_holdout(lab: httpx.Client) -> None:
    lab.post("/api/v2/metrics/lab", json=metric_post("bought"))
    metrics = [{"key": "signed-up"}, {"key": "bought", "primary": True}]
    made = _made(lab, metrics=metrics, primarymetrickey=None)
    iteration = made["baseExperiment"]["currentIteration"]
    assert [m["key"] for m in iteration["metrics"]] == ["signed-up", "bought"]
    assert iteration["primarySingleMetric"]["key"] == "bought"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (_holdout(name=None), "'name' is required"),
        (_holdout(holdoutamount=None), "'holdoutamount' is required"),
        (_holdout(holdoutamount="0"), "holdoutamount"),
        (_holdout(holdoutamount="101"), "holdoutamount"),
        (_holdout(holdoutamount="ten"), "holdoutamount"),
        (_holdout(randomizationunit="organization"), "randomizationunit"),
        (_holdout(primarymetrickey="nope"), "'nope' not found"),
        (_holdout(metrics=[{"key": "signed-up"}], primarymetrickey="x"), "not one of"),
        (_holdout(metrics=[{"key": "signed-up"}, {"key": "signed-up"}]), "listed twice"),
        (_holdout(metrics=[{"key": "signed-up", "isGroup": True}]), "metric group"),
        (_holdout(prerequisiteflagkey="nope"), "prerequisiteflagkey"),
        (_holdout(key="q1 holdout"), "field 'key'"),
        (_holdout(holdoutAmount="10"), "holdoutAmount"),  # the keys are lower case
        (_holdout(randomizationUnit="user"), "randomizationUnit"),
    ],
)
def test_holdout_rules(lab: httpx.Client, body: dict[str, Any], needle: str) -> None:
    assert_error(lab.post(HOLDOUTS, json=body), 400, "invalid_request", needle)
    assert lab.get(HOLDOUTS).json()["total_count"] == 0


def test_a_holdout_key_that_exists_is_400(lab: httpx.Client) -> None:
    """postHoldout declares 201 and 400 only."""
    _made(lab)
    assert_error(lab.post(HOLDOUTS, json=_holdout()), 400, "invalid_request", "already exists")


def test_a_holdout_without_a_key(any_lab: Api) -> None:
    response = any_lab.client.post(HOLDOUTS, json=_holdout(key=None, name="Q1: web holdout"))
    if "key-required" in any_lab.profile:
        assert_error(response, 400, "invalid_request", "'key' is required")
    else:
        rep = assert_schema(response, 201, "HoldoutRep")
        assert rep["baseExperiment"]["key"] == "q1-web-holdout"


def test_a_service_token_names_the_holdout_maintainer(emu: Emulator) -> None:
    service = {**HEADERS, "Authorization": SERVICE_TOKEN}
    with httpx.Client(base_url=emu.url, headers=service) as client:
        client.post("/api/v2/metrics/lab", json=metric_post("signed-up"))
        refused = client.post(HOLDOUTS, json=_holdout())
        assert_error(refused, 400, "invalid_request", "maintainerId", "service token")
        made = _made(client, maintainerId=MEMBER)
        assert made["baseExperiment"]["_maintainerId"] == MEMBER


def test_experiments_in_a_holdout(lab: httpx.Client) -> None:
    holdout = _made(lab)
    made = lab_experiment(lab, "in-holdout", "signed-up", holdoutId=holdout["_id"])
    assert assert_schema(made, 201, "Experiment")["holdoutId"] == holdout["_id"]
    lab_experiment(lab, "outside", "signed-up", rule=LAB_RULE_BETA)
    shown = {"key": "in-holdout", "name": "In holdout", "environment": "dev"}
    assert lab.get(f"{HOLDOUTS}/id/{holdout['_id']}").json()["experiments"] == [shown]
    assert lab.get(HOLDOUTS).json()["items"][0]["experiments"] == [shown]
    detail = lab.get(f"{HOLDOUTS}/q1-holdout").json()
    assert [e["key"] for e in detail["relatedExperiments"]] == ["in-holdout"]
    assert detail["isDirty"] is False
    started = semantic(lab, f"{LAB_E}/experiments/in-holdout", {"kind": "startIteration"})
    assert started.status_code == 200
    assert lab.get(f"{HOLDOUTS}/q1-holdout").json()["isDirty"] is True
    # an experiment names a holdout of its own environment
    other = lab_experiment(lab, "x", "signed-up", env="staging", holdoutId=holdout["_id"])
    assert_error(other, 400, "invalid_request", "holdoutId", "staging")


def test_rename_and_describe_a_holdout(lab: httpx.Client) -> None:
    made = _made(lab)
    url = f"{HOLDOUTS}/q1-holdout"
    response = semantic(
        lab,
        url,
        {"kind": "updateName", "value": "Q1 web holdout"},
        {"kind": "updateDescription", "value": "Web only"},
        comment="rename",
    )
    body = assert_schema(response, 200, "HoldoutRep")
    assert body["baseExperiment"]["name"] == "Q1 web holdout"
    assert body["description"] == "Web only" and body["updatedAt"] >= made["updatedAt"]
    assert lab.get(url).json()["baseExperiment"]["name"] == "Q1 web holdout"


@pytest.mark.parametrize(
    ("instructions", "needle"),
    [
        ([{"kind": "startHoldout"}], "unknown instruction kind 'startHoldout'"),
        ([{"kind": "updateName", "name": "x"}], "unknown parameter 'name'"),
        ([{"kind": "updateName", "value": ""}], "must not be empty"),
        ([{"kind": "updateName", "value": 3}], "must be a string"),
        ([{"kind": "updateName", "value": "ok"}, {"kind": "removeExperiment"}], "instructions[1]"),
        ([], "at least one instruction"),
    ],
)
def test_holdout_patch_refusals_change_nothing(
    lab: httpx.Client, instructions: list[dict[str, Any]], needle: str
) -> None:
    made = _made(lab)
    url = f"{HOLDOUTS}/q1-holdout"
    assert_error(semantic(lab, url, *instructions), 400, "invalid_request", needle)
    assert lab.get(f"{HOLDOUTS}/id/{made['_id']}").json() == made


def test_holdout_patch_needs_the_semantic_patch_type_and_a_holdout(lab: httpx.Client) -> None:
    _made(lab)
    body = {"instructions": [{"kind": "endHoldout"}]}
    plain = lab.patch(f"{HOLDOUTS}/q1-holdout", json=body)
    assert_error(plain, 400, "invalid_request", "semanticpatch")
    assert_error(semantic(lab, f"{HOLDOUTS}/nope", {"kind": "endHoldout"}), 404, "not_found")
    unknown = lab.patch(
        f"{HOLDOUTS}/q1-holdout",
        json={**body, "environmentKey": "dev"},
        headers={"Content-Type": "application/json; domain-model=launchdarkly.semanticpatch"},
    )
    assert_error(unknown, 400, "invalid_request", "environmentKey")


def test_remove_an_experiment_from_a_holdout(any_lab: Api) -> None:
    client = any_lab.client
    holdout = _made(client)
    lab_experiment(client, "waiting", "signed-up", holdoutId=holdout["_id"])
    url = f"{HOLDOUTS}/q1-holdout"
    removed = semantic(client, url, {"kind": "removeExperiment", "value": "waiting"})
    assert assert_schema(removed, 200, "HoldoutRep")["experiments"] == []
    assert "holdoutId" not in client.get(f"{LAB_E}/experiments/waiting").json()
    # not in the holdout (any more, or ever): already satisfied
    for key in ("waiting", "never-made"):
        again = semantic(client, url, {"kind": "removeExperiment", "value": key})
        assert again.status_code == 200
    made = lab_experiment(
        client, "running", "signed-up", holdoutId=holdout["_id"], rule=LAB_RULE_BETA
    )
    assert made.status_code == 201
    semantic(client, f"{LAB_E}/experiments/running", {"kind": "startIteration"})
    response = semantic(client, url, {"kind": "removeExperiment", "value": "running"})
    if "in-use-refused" in any_lab.profile:
        assert_error(response, 400, "invalid_request", "'running' is running")
        assert client.get(f"{LAB_E}/experiments/running").json()["holdoutId"] == holdout["_id"]
    else:
        assert assert_schema(response, 200, "HoldoutRep")["experiments"] == []
        assert "holdoutId" not in client.get(f"{LAB_E}/experiments/running").json()


def test_end_a_holdout(any_lab: Api) -> None:
    client = any_lab.client
    strict = any_lab.profile.name == "strict"
    holdout = _made(client)
    made = lab_experiment(client, "in-holdout", "signed-up", holdoutId=holdout["_id"])
    assert made.status_code == 201
    semantic(client, f"{LAB_E}/experiments/in-holdout", {"kind": "startIteration"})
    url = f"{HOLDOUTS}/q1-holdout"
    response = semantic(client, url, {"kind": "endHoldout"}, comment="Q1 is over")
    if strict:  # in-use-refused
        assert_error(response, 400, "invalid_request", "in-holdout")
        assert client.get(url).json()["status"] == "running"
        experiment = client.get(f"{LAB_E}/experiments/in-holdout", params={"expand": "treatments"})
        winner = experiment.json()["currentIteration"]["treatments"][0]["_id"]
        stop = {"kind": "stopIteration", "winningTreatmentId": winner}
        assert semantic(client, f"{LAB_E}/experiments/in-holdout", stop).status_code == 200
        response = semantic(client, url, {"kind": "endHoldout"})
    ended = assert_schema(response, 200, "HoldoutRep")
    assert ended["status"] == "ended"
    iteration = ended["baseExperiment"]["currentIteration"]
    assert iteration["status"] == "stopped" and iteration["endedAt"] >= iteration["startedAt"]
    assert [e["key"] for e in ended["experiments"]] == ["in-holdout"]
    assert assert_schema(client.get(url), 200, "HoldoutDetailRep")["isDirty"] is False
    # ending an ended holdout changes nothing
    assert semantic(client, url, {"kind": "endHoldout"}).json() == ended
    # an ended holdout takes no more experiments under strict
    joining = lab_experiment(
        client,
        "late",
        "signed-up",
        holdoutId=holdout["_id"],
        rule=LAB_RULE_BETA,
    )
    if "ended-holdout-takes-no-experiments" in any_lab.profile:
        assert_error(joining, 400, "invalid_request", "has ended")
    else:
        assert assert_schema(joining, 201, "Experiment")["holdoutId"] == holdout["_id"]


def test_the_seeded_holdout_is_in_every_environment(client: httpx.Client) -> None:
    for env in ("dev", "staging", "production"):
        url = f"/api/v2/projects/shop/environments/{env}/holdouts/id/{Q4_HOLDOUT}"
        assert assert_schema(client.get(url), 200, "HoldoutRep")["status"] == "running"
    url = "/api/v2/projects/shop/environments/dev/holdouts/q4-holdout"
    ended = semantic(client, url, {"kind": "endHoldout"})
    assert ended.json()["status"] == "ended"
    staging = "/api/v2/projects/shop/environments/staging/holdouts/q4-holdout"
    assert client.get(staging).json()["status"] == "running"
