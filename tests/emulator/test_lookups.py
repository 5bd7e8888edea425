"""What the fixtures seed, as the API reads it: flags, metrics, metric groups, holdouts,
settings; and fixtures files of one's own."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from ld_emulator import Emulator
from tests.support.fixture_ids import BOTTOM, Q4_HOLDOUT, RULE_BETA, TOP

from .conftest import (
    HEADERS,
    NAME,
    Api,
    assert_error,
    assert_schema,
)

E = "/api/v2/projects/shop/environments/dev"


def test_flag_with_every_environment(client: httpx.Client) -> None:
    flag = assert_schema(client.get("/api/v2/flags/shop/checkout-button"), 200, "FeatureFlag")
    assert [v["_id"] for v in flag["variations"]] == [TOP, BOTTOM]
    assert [v["name"] for v in flag["variations"]] == ["Top", "Bottom"]
    assert set(flag["environments"]) == {"dev", "staging", "production"}
    dev = flag["environments"]["dev"]
    assert dev["on"] is True and dev["version"] == 3 and dev["archived"] is False
    assert [(r["_id"], r["description"]) for r in dev["rules"]] == [(RULE_BETA, "Beta customers")]


def test_flag_env_query_narrows(client: httpx.Client) -> None:
    response = client.get("/api/v2/flags/shop/dormant-flag", params={"env": "staging"})
    flag = assert_schema(response, 200, "FeatureFlag")
    assert list(flag["environments"]) == ["staging"]
    assert flag["environments"]["staging"]["on"] is False
    pricing = client.get("/api/v2/flags/shop/pricing-page", params={"env": "dev"}).json()
    assert pricing["environments"]["dev"]["version"] == 7
    assert pricing["environments"]["dev"]["rules"] == []
    assert len(pricing["variations"]) == 3
    response = client.get("/api/v2/flags/shop/pricing-page", params={"env": "qa"})
    assert_error(response, 404, "not_found", "qa")


def test_flag_list(client: httpx.Client) -> None:
    body = assert_schema(
        client.get("/api/v2/flags/shop", params={"env": "dev"}), 200, "FeatureFlags"
    )
    assert [f["key"] for f in body["items"]] == ["checkout-button", "pricing-page", "dormant-flag"]
    assert body["totalCount"] == 3
    page = client.get("/api/v2/flags/shop", params={"limit": 1, "offset": 1}).json()
    assert [f["key"] for f in page["items"]] == ["pricing-page"]


@pytest.mark.parametrize(
    ("key", "kind", "numeric", "event"),
    [
        ("checkout-completed", "custom", False, "checkout-completed"),
        ("revenue-per-user", "custom", True, "purchase"),
        ("page-views", "pageview", False, None),
        ("add-to-cart", "click", False, None),
    ],
)
def test_metrics(
    client: httpx.Client, key: str, kind: str, numeric: bool, event: str | None
) -> None:
    metric = assert_schema(client.get(f"/api/v2/metrics/shop/{key}"), 200, "MetricRep")
    assert (metric["key"], metric["kind"], metric["isNumeric"]) == (key, kind, numeric)
    assert metric.get("eventKey") == event


def test_metric_groups(client: httpx.Client) -> None:
    beta = {"LD-API-Version": "beta"}
    funnel = client.get("/api/v2/projects/shop/metric-groups/checkout-funnel", headers=beta)
    funnel_body = assert_schema(funnel, 200, "MetricGroupRep")
    assert [m["key"] for m in funnel_body["metrics"]] == [
        "page-views",
        "add-to-cart",
        "checkout-completed",
    ]
    standard = client.get("/api/v2/projects/shop/metric-groups/engagement", headers=beta)
    body = assert_schema(standard, 200, "MetricGroupRep")
    assert body["kind"] == "standard"
    assert [m["key"] for m in body["metrics"]] == ["page-views", "add-to-cart"]


def test_collections_count_as_the_spec_names_it(client: httpx.Client, api: Api) -> None:
    """Experiments and holdouts count in ``total_count``; metrics, metric groups and flags in
    ``totalCount`` (the spec's collection schemas, and the live-verified note)."""
    api.created()
    beta = {"LD-API-Version": "beta"}
    counted = [
        (client.get(f"{E}/experiments"), "ExperimentCollectionRep", "total_count", 1),
        (client.get(f"{E}/holdouts"), "HoldoutsCollectionRep", "total_count", 1),
        (client.get("/api/v2/metrics/shop"), "MetricCollectionRep", "totalCount", 4),
        (
            client.get("/api/v2/projects/shop/metric-groups", headers=beta),
            "MetricGroupCollectionRep",
            "totalCount",
            2,
        ),
        (client.get("/api/v2/flags/shop"), "FeatureFlags", "totalCount", 3),
    ]
    for response, schema, name, total in counted:
        body = assert_schema(response, 200, schema)
        other = "totalCount" if name == "total_count" else "total_count"
        assert (body[name], other in body) == (total, False), schema


def test_metric_and_metric_group_listings(client: httpx.Client) -> None:
    page = client.get("/api/v2/metrics/shop", params={"limit": 2, "offset": 1})
    body = assert_schema(page, 200, "MetricCollectionRep")
    assert [m["key"] for m in body["items"]] == ["revenue-per-user", "page-views"]
    assert set(body["_links"]) == {"self", "first", "prev", "next", "last"}
    beta = {"LD-API-Version": "beta"}
    groups = client.get("/api/v2/projects/shop/metric-groups", headers=beta).json()
    assert [(g["key"], g["kind"]) for g in groups["items"]] == [
        ("checkout-funnel", "funnel"),
        ("engagement", "standard"),
    ]
    url = "/api/v2/projects/shop/metric-groups"
    assert_error(client.get(url), 403, "forbidden", "LD-API-Version: beta")
    # "Maximum limit is 50"; the operation declares no 400, LaunchDarkly's error table does
    too_many = client.get("/api/v2/metrics/shop", params={"limit": 51})
    assert_error(too_many, 400, "invalid_request", "limit", "from 1 to 50")
    too_many = client.get(url, params={"limit": 51}, headers=beta)
    assert_error(too_many, 400, "invalid_request", "limit", "from 1 to 50")


def test_holdouts(client: httpx.Client, api: Api) -> None:
    api.created(holdoutId=Q4_HOLDOUT)
    listing = assert_schema(client.get(f"{E}/holdouts"), 200, "HoldoutsCollectionRep")
    assert [(h["key"], h["_id"], h["status"]) for h in listing["items"]] == [
        ("q4-holdout", Q4_HOLDOUT, "running")
    ]
    detail = assert_schema(client.get(f"{E}/holdouts/q4-holdout"), 200, "HoldoutDetailRep")
    assert detail["_id"] == Q4_HOLDOUT
    assert [e["key"] for e in detail["relatedExperiments"]] == ["button-test"]
    by_id = assert_schema(client.get(f"{E}/holdouts/id/{Q4_HOLDOUT}"), 200, "HoldoutRep")
    assert by_id["experiments"] == [{"key": "button-test", "name": NAME, "environment": "dev"}]
    prod = client.get("/api/v2/projects/shop/environments/production/holdouts/q4-holdout")
    assert assert_schema(prod, 200, "HoldoutDetailRep")["relatedExperiments"] == []


def test_experimentation_settings(client: httpx.Client) -> None:
    response = client.get("/api/v2/projects/shop/experimentation-settings")
    body = assert_schema(response, 200, "RandomizationSettingsRep")
    units = {u["randomizationUnit"]: u["default"] for u in body["randomizationUnits"]}
    assert units == {"user": True, "organization": False}


def test_custom_fixtures_file(tmp_path: Path) -> None:
    fixtures = {
        "member": {"_id": "5f00000000000000000000cc", "email": "x@example.com", "role": "admin"},
        "projects": {
            "web": {
                "environments": {"test": {"name": "Test"}},
                "randomizationUnits": [{"randomizationUnit": "device", "default": True}],
                "flags": {
                    "banner": {
                        "name": "Banner",
                        "variations": [
                            {"_id": "v-a", "name": "A", "value": "a"},
                            {"_id": "v-b", "name": "B", "value": "b"},
                        ],
                        "config": {"on": True, "version": 2},
                    }
                },
                "metrics": {
                    "clicks": {"_id": "m1", "_versionId": "m1v", "name": "Clicks", "kind": "click"}
                },
            }
        },
    }
    path = tmp_path / "fixtures.json"
    path.write_text(json.dumps(fixtures))
    body = {
        "name": "Banner test",
        "key": "banner-test",
        "iteration": {
            "hypothesis": "B wins",
            "metrics": [{"key": "clicks"}],
            "primarySingleMetricKey": "clicks",
            "flags": {"banner": {"ruleId": "fallthrough", "flagConfigVersion": 2}},
            "treatments": [
                {
                    "name": "A",
                    "baseline": True,
                    "allocationPercent": "50",
                    "parameters": [{"flagKey": "banner", "variationId": "v-a"}],
                },
                {
                    "name": "B",
                    "baseline": False,
                    "allocationPercent": "50",
                    "parameters": [{"flagKey": "banner", "variationId": "v-b"}],
                },
            ],
        },
    }
    with (
        Emulator(fixtures_path=path, validate_responses=True) as emu,
        httpx.Client(base_url=emu.url, headers=HEADERS) as client,
    ):
        rep = assert_schema(
            client.post("/api/v2/projects/web/environments/test/experiments", json=body),
            201,
            "Experiment",
        )
        assert rep["_maintainerId"] == "5f00000000000000000000cc"
        assert rep["currentIteration"]["randomizationUnit"] == "device"
        response = client.get("/api/v2/projects/shop/environments/dev/experiments")
        assert_error(response, 404, "not_found", "shop")


def test_malformed_fixtures_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"projects": {}}))
    with pytest.raises(ValueError, match="malformed fixtures"):
        Emulator(fixtures_path=path)
