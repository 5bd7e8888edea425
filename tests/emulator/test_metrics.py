"""Metrics and metric groups as stored documents: create, list, read, JSON Patch, delete, and
what deleting one that is in use does under each profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from ld_emulator import Emulator
from tests.support.fixture_ids import MEMBER, MEMBER_CI

from .conftest import (
    BETA,
    HEADERS,
    LAB,
    LAB_E,
    SEMANTIC,
    Api,
    assert_error,
    assert_schema,
    group_post,
    lab_experiment,
    metric_post,
    semantic,
)

METRICS = "/api/v2/metrics/lab"
GROUPS = f"{LAB}/metric-groups"


def _metric(client: httpx.Client, key: str, kind: str = "custom", **extra: Any) -> dict[str, Any]:
    return dict(
        assert_schema(client.post(METRICS, json=metric_post(key, kind, **extra)), 201, "MetricRep")
    )


def _group(client: httpx.Client, key: str, *metrics: str, **extra: Any) -> httpx.Response:
    return client.post(GROUPS, json=group_post(key, *metrics, **extra), headers=BETA)


def _json_patch(client: httpx.Client, url: str, *ops: dict[str, Any]) -> httpx.Response:
    return client.patch(url, json=list(ops), headers=BETA)


# -- metrics ---------------------------------------------------------------------------------------


def test_create_read_and_list_metrics(client: httpx.Client) -> None:
    assert assert_schema(client.get(METRICS), 200, "MetricCollectionRep")["totalCount"] == 0
    made = _metric(client, "signed-up", tags=["growth"], description="New accounts")
    assert len(made["_id"]) == 24 and len(made["_versionId"]) == 24
    assert (made["key"], made["name"], made["kind"], made["_version"]) == (
        "signed-up",
        "signed-up",
        "custom",
        1,
    )
    assert (made["eventKey"], made["isNumeric"], made["tags"]) == ("signed-up", False, ["growth"])
    # defaults: the token's member maintains it, the project's default unit randomizes it
    assert made["maintainerId"] == MEMBER and made["_maintainer"]["_id"] == MEMBER
    assert made["randomizationUnits"] == ["user"]
    assert made["dataSource"] == {"key": "launchdarkly"} and made["isActive"] is True
    assert assert_schema(client.get(f"{METRICS}/signed-up"), 200, "MetricRep") == made
    _metric(client, "pricing-views", "pageview")
    _metric(client, "buy-clicks", "click", randomizationUnits=["organization"])
    revenue = metric_post(
        "revenue", isNumeric=True, successCriteria="HigherThanBaseline", unit="USD"
    )
    assert_schema(client.post(METRICS, json=revenue), 201, "MetricRep")
    listing = assert_schema(client.get(METRICS, params={"limit": 2}), 200, "MetricCollectionRep")
    assert [m["key"] for m in listing["items"]] == ["signed-up", "pricing-views"]
    assert listing["totalCount"] == 4 and "isActive" not in listing["items"][0]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (metric_post("x", eventKey=None), "'eventKey' is required for custom"),
        (metric_post("x", isNumeric=None), "'isNumeric' is required for custom"),
        (metric_post("x", isNumeric=True), "'successCriteria' is required for numeric"),
        (metric_post("x", "click", selector=None), "'selector' is required for click"),
        (metric_post("x", "pageview", urls=[]), "'urls' is required for pageview"),
        (metric_post("x", analysisType="percentile"), "percentileValue"),
        (metric_post("x", analysisType="median"), "analysisType"),
        (metric_post("x", eventDefault={"value": 3}), "eventDefault.value"),
        (metric_post("x", randomizationUnits=["device"]), "randomizationUnits[0]"),
        (metric_post("x", kind="conversion"), "kind"),
        (metric_post("x y"), "field 'key'"),
        (metric_post("x", colour="red"), "colour"),
        (
            metric_post("x", filters={"type": "cohort", "op": "in", "values": [], "negate": False}),
            "filters.type",
        ),
    ],
)
def test_metric_rules(client: httpx.Client, body: dict[str, Any], needle: str) -> None:
    assert_error(client.post(METRICS, json=body), 400, "invalid_request", needle)
    assert client.get(METRICS).json()["totalCount"] == 0


def test_a_metric_key_that_exists_is_the_declared_409(client: httpx.Client) -> None:
    _metric(client, "signed-up")
    assert_error(client.post(METRICS, json=metric_post("signed-up")), 409, "conflict", "exists")
    # the same key in another project is another metric
    assert client.post("/api/v2/metrics/shop", json=metric_post("signed-up")).status_code == 201


def test_json_patch_of_a_metric(client: httpx.Client) -> None:
    made = _metric(client, "signed-up", tags=["a"])
    url = f"{METRICS}/signed-up"
    response = _json_patch(
        client,
        url,
        {"op": "test", "path": "/tags/0", "value": "a"},
        {"op": "replace", "path": "/name", "value": "Signed up"},
        {"op": "add", "path": "/tags/-", "value": "b"},
        {"op": "add", "path": "/description", "value": "New accounts"},
        {"op": "copy", "from": "/eventKey", "path": "/unit"},
        {"op": "remove", "path": "/unit"},
    )
    patched = assert_schema(response, 200, "MetricRep")
    assert (patched["name"], patched["tags"], patched["description"]) == (
        "Signed up",
        ["a", "b"],
        "New accounts",
    )
    assert patched["_version"] == 2 and patched["_versionId"] != made["_versionId"]
    assert patched["_id"] == made["_id"] and "unit" not in patched
    assert client.get(url).json() == patched
    # a patch that changes nothing is no new version
    same = _json_patch(client, url, {"op": "replace", "path": "/name", "value": "Signed up"})
    assert assert_schema(same, 200, "MetricRep")["_version"] == 2


@pytest.mark.parametrize(
    ("ops", "needle"),
    [
        ([{"op": "replace", "path": "/key", "value": "other"}], "'key' is not a field"),
        ([{"op": "replace", "path": "/_id", "value": "x"}], "'_id' is not a field"),
        ([{"op": "merge", "path": "/name", "value": "x"}], "not a JSON Patch operation"),
        ([{"op": "replace", "path": "name", "value": "x"}], "JSON Pointer"),
        ([{"op": "replace", "path": "/description", "value": "x"}], "does not exist"),
        ([{"op": "remove", "path": "/tags/3"}], "out of range"),
        ([{"op": "replace", "path": "/name"}], "needs 'value'"),
        ([{"op": "test", "path": "/name", "value": "no"}], "test failed"),
        ([{"op": "remove", "path": "/eventKey"}], "'eventKey' is required for custom"),
        ([{"op": "replace", "path": "/kind", "value": "click"}], "'kind' is not a field"),
        ([{"op": "remove", "path": "/isNumeric"}], "'isNumeric' is required for custom"),
        ([{"op": "add", "path": "/maintainerId", "value": ""}], "maintainerId"),
        ([], "at least one operation"),
        ({"op": "replace"}, "request body"),
    ],
)
def test_json_patch_refusals_change_nothing(client: httpx.Client, ops: Any, needle: str) -> None:
    made = _metric(client, "signed-up")
    url = f"{METRICS}/signed-up"
    assert_error(client.patch(url, json=ops), 400, "invalid_request", needle)
    assert client.get(url).json() == made


def test_a_metric_takes_a_json_patch_not_a_semantic_patch(client: httpx.Client) -> None:
    _metric(client, "signed-up")
    body = {"instructions": [{"kind": "updateName", "value": "x"}]}
    response = client.patch(f"{METRICS}/signed-up", json=body, headers={"Content-Type": SEMANTIC})
    assert_error(response, 400, "invalid_request", "JSON Patch")


def test_delete_a_metric_and_make_it_again(client: httpx.Client) -> None:
    first = _metric(client, "signed-up")
    deleted = client.delete(f"{METRICS}/signed-up")
    assert deleted.status_code == 204 and deleted.content == b""
    assert "Content-Type" not in deleted.headers
    assert_error(client.get(f"{METRICS}/signed-up"), 404, "not_found", "signed-up")
    assert_error(client.delete(f"{METRICS}/signed-up"), 404, "not_found")
    assert_error(
        _json_patch(client, f"{METRICS}/signed-up", {"op": "add", "path": "/tags/-", "value": "x"}),
        404,
        "not_found",
    )
    assert client.get(METRICS).json()["totalCount"] == 0
    again = _metric(client, "signed-up", "pageview")
    assert again["_id"] != first["_id"] and again["kind"] == "pageview"


def test_seeded_metrics_take_a_json_patch(client: httpx.Client) -> None:
    """The fixtures' metrics are valid metrics: each takes a patch (validated like a create)."""
    for key in ("checkout-completed", "revenue-per-user", "page-views", "add-to-cart"):
        url = f"/api/v2/metrics/shop/{key}"
        response = _json_patch(client, url, {"op": "add", "path": "/tags/-", "value": "seen"})
        assert assert_schema(response, 200, "MetricRep")["tags"] == ["seen"], key


def test_maintainers_of_metrics_and_groups(any_api: Api) -> None:
    client = any_api.client
    strict = "maintainer-must-be-member" in any_api.profile
    stranger = "5f00000000000000000000ff"
    response = client.post(METRICS, json=metric_post("m", maintainerId=stranger))
    if strict:
        assert_error(response, 400, "invalid_request", "maintainerId", "member")
    else:
        assert assert_schema(response, 201, "MetricRep")["maintainerId"] == stranger
        assert "_maintainer" not in response.json()
    assert client.post(METRICS, json=metric_post("n", maintainerId=MEMBER_CI)).status_code == 201
    group = client.post(
        GROUPS, headers=BETA, json=group_post("g", "n", kind="standard", maintainerId=stranger)
    )
    if strict:
        assert_error(group, 400, "invalid_request", "maintainerId")
    else:
        assert assert_schema(group, 201, "MetricGroupRep")["maintainer"] == {}
    ci = client.post(
        GROUPS, headers=BETA, json=group_post("h", "n", kind="standard", maintainerId=MEMBER_CI)
    )
    assert assert_schema(ci, 201, "MetricGroupRep")["maintainer"]["member"]["_id"] == MEMBER_CI


def test_a_service_token_creates_metrics_without_a_maintainer(emu: Emulator) -> None:
    with httpx.Client(base_url=emu.url, headers={**HEADERS, "Authorization": "svc-token"}) as c:
        made = assert_schema(c.post(METRICS, json=metric_post("m")), 201, "MetricRep")
    assert "maintainerId" not in made


# -- metric groups ---------------------------------------------------------------------------------


def test_metric_groups_need_the_beta_header(client: httpx.Client) -> None:
    _metric(client, "a")
    for response in (
        client.post(GROUPS, json=group_post("g", "a")),
        client.patch(f"{GROUPS}/g", json=[]),
        client.delete(f"{GROUPS}/g"),
    ):
        assert_error(response, 403, "forbidden", "LD-API-Version: beta")


def test_create_read_patch_and_delete_a_group(client: httpx.Client) -> None:
    for key in ("viewed", "added", "bought"):
        _metric(client, key)
    made = assert_schema(_group(client, "checkout", "viewed", "added"), 201, "MetricGroupRep")
    assert (made["key"], made["kind"], made["_version"]) == ("checkout", "funnel", 1)
    assert [(m["key"], m["nameInGroup"]) for m in made["metrics"]] == [
        ("viewed", "Step 1"),
        ("added", "Step 2"),
    ]
    assert made["maintainer"]["member"]["_id"] == MEMBER
    url = f"{GROUPS}/checkout"
    assert assert_schema(client.get(url, headers=BETA), 200, "MetricGroupRep") == made
    patched = _json_patch(
        client,
        url,
        {"op": "add", "path": "/metrics/-", "value": {"key": "bought", "nameInGroup": "Paid"}},
        {"op": "replace", "path": "/metrics/0/nameInGroup", "value": "Saw it"},
        {"op": "replace", "path": "/name", "value": "Checkout funnel"},
    )
    body = assert_schema(patched, 200, "MetricGroupRep")
    assert [m["nameInGroup"] for m in body["metrics"]] == ["Saw it", "Step 2", "Paid"]
    assert (body["name"], body["_version"]) == ("Checkout funnel", 2)
    listing = assert_schema(client.get(GROUPS, headers=BETA), 200, "MetricGroupCollectionRep")
    assert [g["key"] for g in listing["items"]] == ["checkout"] and listing["totalCount"] == 1
    assert client.delete(url, headers=BETA).status_code == 204
    assert_error(client.get(url, headers=BETA), 404, "not_found", "checkout")
    assert client.get(GROUPS, headers=BETA).json()["totalCount"] == 0


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (group_post("g", "nope", "a"), "metrics[0].key"),
        (group_post("g", "a", "a"), "listed twice"),
        (group_post("g", "a", "b", kind="ranked"), "kind"),
        (group_post("g", "a", "b", maintainerId=None), "'maintainerId' is required"),
        ({**group_post("g", "a", "b"), "metrics": [{"key": "a"}]}, "nameInGroup"),
        (group_post("g", "a", "b", name=" "), "'name' must not be empty"),
    ],
)
def test_group_rules(client: httpx.Client, body: dict[str, Any], needle: str) -> None:
    _metric(client, "a")
    _metric(client, "b")
    assert_error(client.post(GROUPS, json=body, headers=BETA), 400, "invalid_request", needle)


def test_a_group_key_that_exists_is_400(client: httpx.Client) -> None:
    """createMetricGroup declares no 409 (and a duplicate answered 400 on a live account)."""
    _metric(client, "a")
    _group(client, "g", "a", kind="standard")
    assert_error(_group(client, "g", "a", kind="standard"), 400, "invalid_request", "exists")


def test_a_group_without_a_key(any_api: Api) -> None:
    client = any_api.client
    _metric(client, "a")
    body = group_post("ignored", "a", kind="standard", name="Q1 engagement")
    del body["key"]
    response = client.post(GROUPS, json=body, headers=BETA)
    if "key-required" in any_api.profile:
        assert_error(response, 400, "invalid_request", "'key' is required")
    else:
        assert assert_schema(response, 201, "MetricGroupRep")["key"] == "q1-engagement"


def test_a_funnel_with_fewer_than_two_metrics(any_api: Api) -> None:
    client = any_api.client
    _metric(client, "a")
    _metric(client, "b")
    strict = "funnel-needs-two-metrics" in any_api.profile
    lone = _group(client, "lone", "a")
    empty = _group(client, "empty", kind="standard")
    if strict:
        assert_error(lone, 400, "invalid_request", "at least 2 metrics")
        assert_error(empty, 400, "invalid_request", "at least 1 metric")
    else:
        assert assert_schema(lone, 201, "MetricGroupRep")["metrics"][0]["key"] == "a"
        assert assert_schema(empty, 201, "MetricGroupRep")["metrics"] == []
    assert _group(client, "pair", "a", "b").status_code == 201
    drop = _json_patch(client, f"{GROUPS}/pair", {"op": "remove", "path": "/metrics/1"})
    if strict:
        assert_error(drop, 400, "invalid_request", "funnel metric group needs at least 2")
    else:
        assert len(assert_schema(drop, 200, "MetricGroupRep")["metrics"]) == 1


# -- in use ----------------------------------------------------------------------------------------


def test_deleting_a_metric_in_use(any_api: Api) -> None:
    """Under strict a metric a group lists or a not-archived experiment measures stays until
    they let go of it; under lenient it goes, the group drops it and the experiment keeps
    showing it."""
    client = any_api.client
    strict = "in-use-refused" in any_api.profile
    for key in ("viewed", "bought", "spare"):
        _metric(client, key)
    assert _group(client, "funnel", "viewed", "bought", "spare").status_code == 201
    assert_schema(lab_experiment(client, "exp", "bought", "group:funnel"), 201, "Experiment")
    response = client.delete(f"{METRICS}/bought")
    if strict:
        assert_error(response, 400, "invalid_request", "metric group 'funnel'", "experiment 'exp'")
        group = _json_patch(client, f"{GROUPS}/funnel", {"op": "remove", "path": "/metrics/1"})
        assert group.status_code == 200
        assert_error(client.delete(f"{METRICS}/bought"), 400, "invalid_request", "'exp'")
        assert_error(
            client.delete(f"{GROUPS}/funnel", headers=BETA), 400, "invalid_request", "'exp'"
        )
        archived = semantic(client, f"{LAB_E}/experiments/exp", {"kind": "archiveExperiment"})
        assert archived.status_code == 200
        response = client.delete(f"{METRICS}/bought")
    assert response.status_code == 204
    if not strict:
        funnel = client.get(f"{GROUPS}/funnel", headers=BETA).json()
        assert [m["key"] for m in funnel["metrics"]] == ["viewed", "spare"]
    experiment = assert_schema(client.get(f"{LAB_E}/experiments/exp"), 200, "Experiment")
    shown = experiment["currentIteration"]
    assert [m["key"] for m in shown["metrics"]] == ["bought", "funnel"]
    assert shown["primarySingleMetric"]["key"] == "bought"
    assert client.delete(f"{GROUPS}/funnel", headers=BETA).status_code == 204
    again = assert_schema(client.get(f"{LAB_E}/experiments/exp"), 200, "Experiment")
    assert again["currentIteration"]["metrics"][1]["isGroup"] is True
    # spare was in no experiment: it goes under both profiles once no group lists it
    assert client.delete(f"{METRICS}/spare").status_code == 204


def test_an_experiment_names_only_live_metrics(client: httpx.Client) -> None:
    _metric(client, "bought")
    client.delete(f"{METRICS}/bought")
    assert_error(lab_experiment(client, "exp", "bought"), 400, "invalid_request", "'bought'")
    _metric(client, "bought")
    assert lab_experiment(client, "exp", "bought").status_code == 201


def test_deleted_metrics_stay_deleted_across_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "emu.db"
    with Emulator(data_path=data) as emu, httpx.Client(base_url=emu.url, headers=HEADERS) as c:
        assert c.delete("/api/v2/metrics/shop/page-views").status_code == 204
        _metric(c, "signed-up")
    with Emulator(data_path=data) as emu, httpx.Client(base_url=emu.url, headers=HEADERS) as c:
        assert c.get("/api/v2/metrics/shop/page-views").status_code == 404
        assert c.get(f"{METRICS}/signed-up").status_code == 200
        emu.reset()  # reset seeds the fixtures again and forgets what the API made
        assert c.get("/api/v2/metrics/shop/page-views").status_code == 200
        assert c.get(f"{METRICS}/signed-up").status_code == 404
