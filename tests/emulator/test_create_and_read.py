"""POST/GET/list experiments: validation, rendering, expand, filters, pagination."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from ld_emulator import Emulator
from tests.support.fixture_ids import (
    ANNUAL_FIRST,
    BOTTOM,
    CONTROL,
    MEMBER,
    Q4_HOLDOUT,
    RULE_BETA,
    TOP,
)

from .conftest import (
    EXPERIMENTS,
    HYPOTHESIS,
    NAME,
    Api,
    assert_error,
    assert_schema,
    experiment,
    iteration,
)


def test_create_renders_every_output_with_defaults(api: Api, emu: Emulator) -> None:
    body = assert_schema(api.create(), 201, "Experiment")
    assert re.fullmatch(r"[0-9a-f]{24}", body["_id"])
    assert body["key"] == "button-test"
    assert body["name"] == NAME
    assert "description" not in body
    assert body["_maintainerId"] == MEMBER
    assert isinstance(body["_creationDate"], int) and body["_creationDate"] > 1_600_000_000_000
    assert body["environmentKey"] == "dev"
    assert body["_links"]["self"]["href"] == f"{EXPERIMENTS}/button-test"
    assert body["_links"]["parent"]["href"] == "/api/v2/projects/shop/environments/dev"
    assert (body["methodology"], body["dataSource"], body["type"]) == (
        "bayesian",
        "launchdarkly",
        "experiment",
    )
    assert body["tags"] == []
    assert "archivedDate" not in body and "holdoutId" not in body
    assert "draftIteration" not in body and "previousIterations" not in body
    it = body["currentIteration"]
    assert it["status"] == "not_started"
    assert it["hypothesis"] == HYPOTHESIS
    assert it["canReshuffleTraffic"] is True
    assert it["randomizationUnit"] == "user"
    assert it["version"] == 1
    assert "startedAt" not in it and "endedAt" not in it
    assert it["flags"]["checkout-button"]["targetingRule"] == "fallthrough"
    assert it["flags"]["checkout-button"]["flagConfigVersion"] == 3
    assert it["flags"]["checkout-button"]["notInExperimentVariationId"] == TOP
    assert it["primarySingleMetric"]["key"] == "checkout-completed"
    assert [m["key"] for m in it["metrics"]] == ["checkout-completed", "revenue-per-user"]
    assert all(m["isGroup"] is False for m in it["metrics"])
    treatments = it["treatments"]
    assert [t["name"] for t in treatments] == ["Top", "Bottom"]
    assert [t["allocationPercent"] for t in treatments] == ["50", "50"]
    assert [t["baseline"] for t in treatments] == [True, False]
    assert treatments[1]["parameters"] == [{"flagKey": "checkout-button", "variationId": BOTTOM}]
    assert len({t["_id"] for t in treatments}) == 2
    assert "mutableFieldsByStatus" not in body
    assert emu.experiment("shop", "dev", "button-test") is not None


def test_create_with_every_optional_field(api: Api) -> None:
    it = iteration(
        metrics=[
            {"key": "checkout-funnel", "isGroup": True},
            {"key": "engagement", "isGroup": True},
            {"key": "page-views"},
        ],
        primarySingleMetricKey=None,
        primaryFunnelKey="checkout-funnel",
        randomizationUnit="organization",
        canReshuffleTraffic=False,
        attributes=["country", "plan"],
        covariateId="cov-1",
        reallocationFrequencyMillis=3_600_000,
        flags={
            "checkout-button": {
                "ruleId": RULE_BETA,
                "flagConfigVersion": 3,
                "notInExperimentVariationId": BOTTOM,
            }
        },
    )
    body = experiment(
        "mab-test",
        description="desc",
        maintainerId="5f00000000000000000000ff",
        holdoutId=Q4_HOLDOUT,
        tags=["a", "b"],
        methodology="frequentist",
        analysisConfig={"significanceThreshold": "5", "sequentialTestingEnabled": True},
        dataSource="snowflake",
        type="mab",
        iteration=it,
    )
    rep = assert_schema(api.create(body), 201, "Experiment")
    assert rep["description"] == "desc"
    assert rep["_maintainerId"] == "5f00000000000000000000ff"
    assert rep["holdoutId"] == Q4_HOLDOUT
    assert rep["tags"] == ["a", "b"]
    assert rep["methodology"] == "frequentist" and rep["dataSource"] == "snowflake"
    assert rep["type"] == "mab"
    assert rep["analysisConfig"] == {"significanceThreshold": "5", "sequentialTestingEnabled": True}
    cur = rep["currentIteration"]
    assert cur["primaryFunnel"]["key"] == "checkout-funnel"
    assert [m["key"] for m in cur["primaryFunnel"]["metrics"]] == [
        "page-views",
        "add-to-cart",
        "checkout-completed",
    ]
    assert "primarySingleMetric" not in cur
    assert cur["randomizationUnit"] == "organization"
    assert cur["canReshuffleTraffic"] is False
    assert cur["attributes"] == ["country", "plan"]
    assert cur["covariateInfo"]["id"] == "cov-1"
    assert cur["reallocationFrequencyMillis"] == 3_600_000
    flag = cur["flags"]["checkout-button"]
    assert flag["targetingRule"] == RULE_BETA
    assert flag["targetingRuleDescription"] == "Beta customers"
    assert flag["notInExperimentVariationId"] == BOTTOM
    assert cur["metrics"][0]["isGroup"] is True and cur["metrics"][0]["kind"] == "funnel"


def _it(**changes: Any) -> dict[str, Any]:
    return experiment(iteration=iteration(**changes))


def _drop(body: dict[str, Any], *path: str) -> dict[str, Any]:
    target = body
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return body


TWO_FLAGS = {
    "checkout-button": {"ruleId": "fallthrough", "flagConfigVersion": 3},
    "pricing-page": {"ruleId": "fallthrough", "flagConfigVersion": 7},
}


def _treatments(*spec: tuple[str, bool, str]) -> list[dict[str, Any]]:
    return [
        {
            "name": f"T{i}",
            "baseline": baseline,
            "allocationPercent": percent,
            "parameters": [{"flagKey": "pricing-page", "variationId": variation}],
        }
        for i, (variation, baseline, percent) in enumerate(spec)
    ]


PRICING = {"pricing-page": {"ruleId": "fallthrough", "flagConfigVersion": 7}}

INVALID_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("missing name", _drop(experiment(), "name"), "'name' is required"),
    ("missing iteration", _drop(experiment(), "iteration"), "'iteration' is required"),
    ("missing hypothesis", _drop(experiment(), "iteration", "hypothesis"), "iteration.hypothesis"),
    ("unknown top-level", experiment(colour="red"), "colour"),
    (
        "unknown nested",
        _it(
            flags={"checkout-button": {"ruleId": "fallthrough", "flagConfigVersion": 3, "rule": 1}}
        ),
        "iteration.flags.checkout-button.rule",
    ),
    ("wrong type", experiment(tags="x"), "tags"),
    ("bad enum", experiment(methodology="magic"), "methodology"),
    (
        "numeric allocation",
        _it(treatments=[{**iteration()["treatments"][0], "allocationPercent": 100}]),
        "allocationPercent",
    ),
    ("bad key", experiment("-bad key"), "field 'key'"),
    (
        "unknown metric",
        _it(metrics=[{"key": "nope"}], primarySingleMetricKey="nope"),
        "iteration.metrics[0].key",
    ),
    (
        "group without isGroup",
        _it(metrics=[{"key": "checkout-completed"}, {"key": "engagement"}]),
        "isGroup",
    ),
    (
        "unknown group",
        _it(metrics=[{"key": "checkout-completed"}, {"key": "x", "isGroup": True}]),
        "iteration.metrics[1].key",
    ),
    (
        "duplicate metric",
        _it(metrics=[{"key": "checkout-completed"}, {"key": "checkout-completed"}]),
        "listed twice",
    ),
    (
        "no primary",
        _drop(experiment(), "iteration", "primarySingleMetricKey"),
        "primarySingleMetricKey",
    ),
    ("both primaries", _it(primaryFunnelKey="checkout-funnel"), "exactly one"),
    (
        "primary not in metrics",
        _it(primarySingleMetricKey="page-views"),
        "iteration.primarySingleMetricKey",
    ),
    (
        "funnel not a funnel",
        _it(
            metrics=[{"key": "engagement", "isGroup": True}],
            primarySingleMetricKey=None,
            primaryFunnelKey="engagement",
        ),
        "primaryFunnelKey",
    ),
    (
        "unknown flag",
        _it(flags={"nope": {"ruleId": "fallthrough", "flagConfigVersion": 1}}),
        "iteration.flags.nope",
    ),
    ("no flags", _it(flags={}), "iteration.flags"),
    (
        "bad rule",
        _it(flags={"checkout-button": {"ruleId": "r-1", "flagConfigVersion": 3}}),
        "iteration.flags.checkout-button.ruleId",
    ),
    (
        "bad not-in-experiment variation",
        _it(
            flags={
                "checkout-button": {
                    "ruleId": "fallthrough",
                    "flagConfigVersion": 3,
                    "notInExperimentVariationId": "x",
                }
            }
        ),
        "notInExperimentVariationId",
    ),
    (
        "variation of another flag",
        _it(flags=PRICING, treatments=_treatments((CONTROL, True, "50"), (TOP, False, "50"))),
        "iteration.treatments[1].parameters[0].variationId",
    ),
    (
        "parameter flag not in flags",
        _it(
            flags=TWO_FLAGS | {},
            treatments=[
                {
                    **iteration()["treatments"][0],
                    "parameters": [{"flagKey": "dormant-flag", "variationId": TOP}],
                }
            ],
        ),
        "iteration.treatments[0].parameters[0].flagKey",
    ),
    (
        "allocation not numeric",
        _it(
            flags=PRICING,
            treatments=_treatments((CONTROL, True, "fifty"), (ANNUAL_FIRST, False, "50")),
        ),
        "iteration.treatments[0].allocationPercent",
    ),
    (
        "allocation over 100",
        _it(
            flags=PRICING,
            treatments=_treatments((CONTROL, True, "101"), (ANNUAL_FIRST, False, "0")),
        ),
        "iteration.treatments[0].allocationPercent",
    ),
    (
        "total over 100",
        _it(
            flags=PRICING,
            treatments=_treatments((CONTROL, True, "60"), (ANNUAL_FIRST, False, "50")),
        ),
        "110",
    ),
    (
        "no baseline",
        _it(
            flags=PRICING,
            treatments=_treatments((CONTROL, False, "50"), (ANNUAL_FIRST, False, "50")),
        ),
        "exactly one treatment",
    ),
    (
        "two baselines",
        _it(
            flags=PRICING, treatments=_treatments((CONTROL, True, "50"), (ANNUAL_FIRST, True, "50"))
        ),
        "found 2",
    ),
    ("no treatments", _it(treatments=[]), "iteration.treatments"),
    ("unknown holdout", experiment(holdoutId="nope"), "holdoutId"),
    (
        "realloc without mab",
        _it(reallocationFrequencyMillis=1000),
        "iteration.reallocationFrequencyMillis",
    ),
    ("mab without realloc", experiment(type="mab"), "iteration.reallocationFrequencyMillis"),
    ("unknown randomization unit", _it(randomizationUnit="device"), "randomizationUnit"),
]


@pytest.mark.parametrize(
    ("body", "needle"),
    [(b, n) for _, b, n in INVALID_BODIES],
    ids=[i for i, _, _ in INVALID_BODIES],
)
def test_create_rejects_invalid_bodies(
    api: Api, emu: Emulator, body: dict[str, Any], needle: str
) -> None:
    assert_error(api.create(body), 400, "invalid_request", needle)
    assert emu.experiments("shop", "dev") == []


def test_create_rejects_non_object_body(client: httpx.Client) -> None:
    assert_error(client.post(EXPERIMENTS, json=[1, 2]), 400, "invalid_request")


def test_same_key_in_another_environment_is_fine(api: Api, emu: Emulator) -> None:
    api.created()
    assert_schema(api.create(env="staging"), 201, "Experiment")
    assert len(emu.experiments("shop", "staging")) == 1


def test_create_in_unknown_project_or_env_is_404(client: httpx.Client) -> None:
    url = "/api/v2/projects/shop/environments/qa/experiments"
    assert_error(client.post(url, json=experiment()), 404, "not_found", "qa")


def test_get_hides_treatments_unless_expanded(api: Api) -> None:
    api.created()
    plain = assert_schema(api.get(), 200, "Experiment")
    assert "treatments" not in plain["currentIteration"]
    assert "analysisConfig" not in plain and "mutableFieldsByStatus" not in plain
    expanded = assert_schema(api.get(expand="treatments,mutableFieldsByStatus"), 200, "Experiment")
    assert len(expanded["currentIteration"]["treatments"]) == 2
    mutable = expanded["mutableFieldsByStatus"]
    assert mutable["running"]["metrics"] == ["add"]
    assert "hypothesis" not in mutable["running"]
    assert mutable["stopped"]["hypothesis"] == ["update"]
    assert set(mutable["not_started"]["tags"]) == {"add", "remove", "update"}


def test_get_rejects_unknown_expand(api: Api) -> None:
    api.created()
    assert_error(api.get(expand="treatments,everything"), 400, "invalid_request", "everything")


def test_get_expands_analysis_config_and_previous_iterations(api: Api) -> None:
    api.created(analysisConfig={"bayesianThreshold": "90"})
    assert "analysisConfig" not in api.get().json()
    assert api.get(expand="analysisConfig").json()["analysisConfig"] == {"bayesianThreshold": "90"}
    api.start()
    api.patch({"kind": "saveAndStartNewIteration", "changeJustification": "why"})
    plain = assert_schema(api.get(), 200, "Experiment")
    assert "previousIterations" not in plain
    body = assert_schema(api.get(expand="previousIterations"), 200, "Experiment")
    assert [i["status"] for i in body["previousIterations"]] == ["stopped"]


def test_list_pagination_and_links(api: Api, client: httpx.Client) -> None:
    for i in range(5):
        api.created(f"exp-{i}")
    body = assert_schema(
        client.get(EXPERIMENTS, params={"limit": 2}), 200, "ExperimentCollectionRep"
    )
    assert body["total_count"] == 5
    assert [e["key"] for e in body["items"]] == ["exp-0", "exp-1"]
    assert "prev" not in body["_links"] and "next" in body["_links"]
    assert "offset=2" in body["_links"]["next"]["href"]
    assert "first" in body["_links"] and "self" in body["_links"]
    body = client.get(EXPERIMENTS, params={"limit": 2, "offset": 4}).json()
    assert [e["key"] for e in body["items"]] == ["exp-4"]
    assert "next" not in body["_links"] and "offset=2" in body["_links"]["prev"]["href"]
    default = client.get(EXPERIMENTS).json()
    assert len(default["items"]) == 5


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"limit": "51"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"filter": "colour:red"}, "colour"),
        ({"filter": "status:paused"}, "status"),
        ({"lifecycleState": "deleted"}, "lifecycleState"),
        ({"expand": "bogus"}, "expand"),
    ],
)
def test_list_rejects_bad_query(client: httpx.Client, params: dict[str, str], needle: str) -> None:
    assert_error(client.get(EXPERIMENTS, params=params), 400, "invalid_request", needle)


def test_list_filters_and_lifecycle_state(api: Api, client: httpx.Client) -> None:
    api.created("a")
    api.created(
        "b",
        iteration=iteration(
            flags=PRICING,
            treatments=_treatments((CONTROL, True, "50"), (ANNUAL_FIRST, False, "50")),
            metrics=[{"key": "page-views"}],
            primarySingleMetricKey="page-views",
        ),
    )
    api.created("c")
    api.start("c")
    api.patch({"kind": "archiveExperiment"}, key="a")

    def keys(**params: str) -> list[str]:
        body = assert_schema(client.get(EXPERIMENTS, params=params), 200, "ExperimentCollectionRep")
        assert body["total_count"] == len(body["items"])
        return [e["key"] for e in body["items"]]

    assert keys() == ["b", "c"]
    assert keys(lifecycleState="archived") == ["a"]
    assert keys(lifecycleState="active,archived") == ["a", "b", "c"]
    assert keys(filter="flagKey:pricing-page") == ["b"]
    assert keys(filter="metricKey:checkout-completed", lifecycleState="archived,active") == [
        "a",
        "c",
    ]
    assert keys(filter="status:running") == ["c"]
    assert keys(filter="status:not_started,flagKey:checkout-button") == []
    expanded = client.get(EXPERIMENTS, params={"expand": "treatments"}).json()
    assert all("treatments" in e["currentIteration"] for e in expanded["items"])


def test_list_any_environment(api: Api, client: httpx.Client) -> None:
    api.created("x")
    api.create(experiment("y"), env="production")
    body = assert_schema(
        client.get("/api/v2/projects/shop/experiments"), 200, "ExperimentCollectionRep"
    )
    assert sorted((e["key"], e["environmentKey"]) for e in body["items"]) == [
        ("x", "dev"),
        ("y", "production"),
    ]
