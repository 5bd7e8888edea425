"""Semantic-patch instructions on experiments, and the iteration state machine."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ld_emulator import Emulator
from tests.support.fixture_ids import BOTTOM, DORMANT_OFF, DORMANT_ON, Q4_HOLDOUT, TOP

from .conftest import (
    EXPERIMENTS,
    NAME,
    Api,
    assert_error,
    assert_schema,
    iteration,
)


def op(operation: str, value: Any = None, *, has_value: bool = True) -> dict[str, Any]:
    return {"operation": operation, "value": value} if has_value else {"operation": operation}


def test_patch_needs_semantic_patch_content_type(api: Api, client: httpx.Client) -> None:
    api.created()
    body = {"instructions": [{"kind": "updateName", "value": "x"}]}
    response = client.patch(f"{EXPERIMENTS}/button-test", json=body)
    assert_error(response, 400, "invalid_request", "JSON Patch", "domain-model")
    assert api.get().json()["name"] == NAME


def test_patch_body_must_match_schema(api: Api, client: httpx.Client) -> None:
    api.created()
    headers = {"Content-Type": "application/json; domain-model=launchdarkly.semanticpatch"}
    url = f"{EXPERIMENTS}/button-test"
    assert_error(
        client.patch(url, json={}, headers=headers), 400, "invalid_request", "instructions"
    )
    response = client.patch(url, json={"instructions": [], "comment": "c"}, headers=headers)
    assert_error(response, 400, "invalid_request", "at least one")
    response = client.patch(url, json={"instructions": [{"value": 1}]}, headers=headers)
    assert_error(response, 400, "invalid_request", "kind")
    response = client.patch(url, json={"instructions": ["x"]}, headers=headers)
    assert_error(response, 400, "invalid_request", "instructions[0]")


def test_patch_unknown_experiment_is_404(api: Api) -> None:
    assert_error(api.patch({"kind": "archiveExperiment"}, key="ghost"), 404, "not_found", "ghost")


def test_unknown_kind_and_unknown_parameter(api: Api) -> None:
    api.created()
    assert_error(api.patch({"kind": "teleport"}), 400, "invalid_request", "teleport")
    response = api.patch({"kind": "archiveExperiment", "force": True})
    assert_error(response, 400, "invalid_request", "force")


def test_update_name_and_description(api: Api) -> None:
    api.created()
    body = assert_schema(
        api.patch(
            {"kind": "updateName", "value": "New name"},
            {"kind": "updateDescription", "value": "New description"},
        ),
        200,
        "Experiment",
    )
    assert body["name"] == "New name" and body["description"] == "New description"
    assert_error(api.patch({"kind": "updateName", "value": 3}), 400, "invalid_request", "value")
    assert_error(api.patch({"kind": "updateName", "value": " "}), 400, "invalid_request", "empty")


def test_patch_response_has_every_write_expand(api: Api) -> None:
    api.created(analysisConfig={"bayesianThreshold": "95"})
    body = assert_schema(api.patch({"kind": "updateName", "value": "n"}), 200, "Experiment")
    assert "treatments" in body["currentIteration"]
    assert body["analysisConfig"] == {"bayesianThreshold": "95"}


def test_instructions_are_atomic(api: Api, emu: Emulator) -> None:
    api.created()
    before = emu.experiment("shop", "dev", "button-test")
    response = api.patch(
        {"kind": "updateName", "value": "Changed"},
        {"kind": "stopIteration", "winningTreatmentId": "x"},
    )
    assert_error(response, 400, "invalid_request", "instructions[1]")
    assert emu.experiment("shop", "dev", "button-test") == before


def test_satisfied_instructions_are_noops(api: Api, emu: Emulator) -> None:
    api.created()
    before = emu.experiment("shop", "dev", "button-test")
    body = assert_schema(
        api.patch({"kind": "updateName", "value": NAME}, {"kind": "restoreExperiment"}),
        200,
        "Experiment",
    )
    assert body["name"] == NAME
    assert emu.experiment("shop", "dev", "button-test") == before
    api.patch({"kind": "archiveExperiment"})
    archived = emu.experiment("shop", "dev", "button-test")
    assert archived is not None
    api.patch({"kind": "archiveExperiment"})
    assert emu.experiment("shop", "dev", "button-test") == archived


# -- updateExperimentFields ------------------------------------------------------------------


def test_update_fields_while_not_started(api: Api) -> None:
    api.created(tags=["a"])
    body = assert_schema(
        api.fields(
            name=op("update", "Renamed"),
            description=op("update", "d"),
            tags=op("add", ["b", "a"]),
            maintainerId=op("update", "5f00000000000000000000ff"),
            methodology=op("update", "frequentist"),
            analysisConfig=op("update", {"significanceThreshold": "5"}),
            dataSource=op("update", "snowflake"),
            holdoutId=op("update", Q4_HOLDOUT),
            hypothesis=op("update", "New hypothesis"),
            metrics=op("add", {"key": "page-views"}),
            attributes=op("update", ["country"]),
            randomizationUnit=op("update", "organization"),
            canReshuffleTraffic=op("update", False),
            covariateId=op("update", "cov"),
            treatments=op(
                "update",
                [
                    {
                        "name": "Only",
                        "baseline": True,
                        "allocationPercent": "100",
                        "parameters": [{"flagKey": "checkout-button", "variationId": TOP}],
                    }
                ],
            ),
        ),
        200,
        "Experiment",
    )
    assert body["name"] == "Renamed" and body["description"] == "d"
    assert body["tags"] == ["a", "b"]
    assert body["_maintainerId"] == "5f00000000000000000000ff"
    assert body["methodology"] == "frequentist" and body["dataSource"] == "snowflake"
    assert body["holdoutId"] == Q4_HOLDOUT
    assert body["analysisConfig"] == {"significanceThreshold": "5"}
    it = body["currentIteration"]
    assert it["status"] == "not_started"
    assert it["hypothesis"] == "New hypothesis"
    assert [m["key"] for m in it["metrics"]][-1] == "page-views"
    assert it["attributes"] == ["country"]
    assert it["randomizationUnit"] == "organization"
    assert it["canReshuffleTraffic"] is False
    assert it["covariateInfo"]["id"] == "cov"
    assert [t["name"] for t in it["treatments"]] == ["Only"]
    assert it["version"] == 2
    assert "previousIterations" not in body

    body = assert_schema(
        api.fields(
            description=op("remove", has_value=False),
            tags=op("remove", ["a"]),
            holdoutId=op("remove", has_value=False),
            metrics=op("remove", [{"key": "page-views"}]),
            covariateId=op("remove", has_value=False),
        ),
        200,
        "Experiment",
    )
    assert "description" not in body and "holdoutId" not in body
    assert body["tags"] == ["b"]
    assert [m["key"] for m in body["currentIteration"]["metrics"]] == [
        "checkout-completed",
        "revenue-per-user",
    ]
    assert "covariateInfo" not in body["currentIteration"]


def test_switch_primary_metric_to_funnel(api: Api) -> None:
    api.created()
    body = assert_schema(
        api.fields(
            metrics=op("add", [{"key": "checkout-funnel", "isGroup": True}]),
            primarySingleMetricKey=op("remove", has_value=False),
            primaryFunnelKey=op("update", "checkout-funnel"),
        ),
        200,
        "Experiment",
    )
    assert body["currentIteration"]["primaryFunnel"]["key"] == "checkout-funnel"
    assert "primarySingleMetric" not in body["currentIteration"]


def test_flags_can_change_before_start(api: Api) -> None:
    api.created()
    body = assert_schema(
        api.fields(
            flags=op("update", {"dormant-flag": {"ruleId": "fallthrough", "flagConfigVersion": 1}}),
            treatments=op(
                "update",
                [
                    {
                        "name": "Off",
                        "baseline": True,
                        "allocationPercent": "50",
                        "parameters": [{"flagKey": "dormant-flag", "variationId": DORMANT_OFF}],
                    },
                    {
                        "name": "On",
                        "baseline": False,
                        "allocationPercent": "50",
                        "parameters": [{"flagKey": "dormant-flag", "variationId": DORMANT_ON}],
                    },
                ],
            ),
        ),
        200,
        "Experiment",
    )
    assert list(body["currentIteration"]["flags"]) == ["dormant-flag"]


@pytest.mark.parametrize(
    ("changes", "needles"),
    [
        ({"colour": op("update", "red")}, ["colour"]),
        ({"name": {"value": "x"}}, ["operation"]),
        ({"name": op("rename", "x")}, ["operation"]),
        ({"name": {"operation": "update", "value": "x", "extra": 1}}, ["extra"]),
        ({"name": op("add", "x")}, ["name", "not_started", "update"]),
        ({"hypothesis": op("remove", has_value=False)}, ["hypothesis", "remove"]),
        ({"name": op("update", has_value=False)}, ["value"]),
        ({"tags": op("update", "not-a-list")}, ["tags"]),
        ({"metrics": op("add", {"key": "nope"})}, ["nope"]),
        ({"metrics": op("remove", [{"key": "checkout-completed"}])}, ["primarySingleMetricKey"]),
        ({"holdoutId": op("update", "nope")}, ["holdoutId"]),
        ({"reallocationFrequencyMillis": op("update", 5)}, ["reallocationFrequencyMillis"]),
        ({"methodology": op("update", "magic")}, ["methodology"]),
        ({"treatments": op("update", [])}, ["treatments"]),
    ],
)
def test_update_fields_rejections(
    api: Api, emu: Emulator, changes: dict[str, Any], needles: list[str]
) -> None:
    api.created()
    before = emu.experiment("shop", "dev", "button-test")
    assert_error(api.fields(**changes), 400, "invalid_request", *needles)
    assert emu.experiment("shop", "dev", "button-test") == before


def test_update_fields_value_must_be_a_map(api: Api) -> None:
    api.created()
    response = api.patch({"kind": "updateExperimentFields", "value": []})
    assert_error(response, 400, "invalid_request", "value")


def test_running_allows_only_the_running_table(api: Api) -> None:
    api.created()
    api.start()
    body = assert_schema(
        api.fields(
            name=op("update", "Live"),
            description=op("update", "d"),
            tags=op("add", "t"),
            maintainerId=op("update", "5f00000000000000000000aa"),
            metrics=op("add", {"key": "page-views"}),
            attributes=op("add", ["country"]),
        ),
        200,
        "Experiment",
    )
    assert body["currentIteration"]["status"] == "running"
    assert body["currentIteration"]["attributes"] == ["country"]
    assert "previousIterations" not in body
    message = assert_error(
        api.fields(hypothesis=op("update", "x")),
        400,
        "invalid_request",
        "hypothesis",
        "running",
        "saveAndStartNewIteration",
    )
    assert "allowed operations: none" in message
    assert_error(api.fields(metrics=op("remove", ["page-views"])), 400, "invalid_request", "add")
    assert_error(api.fields(methodology=op("update", "frequentist")), 400, "invalid_request")
    ok = api.fields(description=op("remove", has_value=False))
    assert "description" not in assert_schema(ok, 200, "Experiment")


def test_stopped_iteration_field_update_creates_new_draft(api: Api) -> None:
    api.created()
    api.start()
    stopped = api.stop()
    old_id = stopped["currentIteration"]["_id"]
    assert stopped["currentIteration"]["winningReason"] == "won"
    body = assert_schema(
        api.fields(hypothesis=op("update", "Second try"), name=op("update", "Round 2")),
        200,
        "Experiment",
    )
    assert body["name"] == "Round 2"
    current = body["currentIteration"]
    assert current["status"] == "not_started" and current["_id"] != old_id
    assert current["hypothesis"] == "Second try"
    assert [i["_id"] for i in body["previousIterations"]] == [old_id]
    old_treatments = {t["_id"] for t in stopped["currentIteration"]["treatments"]}
    assert not old_treatments & {t["_id"] for t in current["treatments"]}
    # the new iteration is a draft, so the not_started table applies again
    assert_schema(api.fields(methodology=op("update", "frequentist")), 200, "Experiment")


def test_stopped_experiment_level_update_keeps_iteration(api: Api) -> None:
    api.created()
    api.start()
    api.stop()
    body = assert_schema(api.fields(tags=op("add", ["done"])), 200, "Experiment")
    assert body["currentIteration"]["status"] == "stopped"
    assert "previousIterations" not in body
    assert_error(api.fields(hypothesis=op("add", "x")), 400, "invalid_request", "stopped")


# -- start / stop ------------------------------------------------------------------------------


def test_start_then_stop(api: Api) -> None:
    api.created()
    started = api.start()
    it = started["currentIteration"]
    assert it["status"] == "running" and isinstance(it["startedAt"], int)
    stopped = api.stop()
    it = stopped["currentIteration"]
    assert it["status"] == "stopped" and it["endedAt"] >= it["startedAt"]
    assert it["winningTreatmentId"] == it["treatments"][0]["_id"]


def test_start_running_without_draft_is_400(api: Api) -> None:
    api.created()
    api.start()
    assert_error(api.patch({"kind": "startIteration"}), 400, "invalid_request", "already running")


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        (
            {
                "flags": {"dormant-flag": {"ruleId": "fallthrough", "flagConfigVersion": 1}},
                "treatments": [
                    {
                        "name": "Off",
                        "baseline": True,
                        "allocationPercent": "50",
                        "parameters": [{"flagKey": "dormant-flag", "variationId": DORMANT_OFF}],
                    }
                ],
            },
            "flag 'dormant-flag' is off",
        ),
        (
            {
                "treatments": [
                    {
                        "name": "Top",
                        "baseline": True,
                        "allocationPercent": "0",
                        "parameters": [{"flagKey": "checkout-button", "variationId": TOP}],
                    }
                ]
            },
            "non-zero allocationPercent",
        ),
    ],
)
def test_start_preconditions(api: Api, changes: dict[str, Any], needle: str) -> None:
    api.created(iteration=iteration(**changes))
    assert_error(api.patch({"kind": "startIteration"}), 400, "invalid_request", needle)
    assert api.get().json()["currentIteration"]["status"] == "not_started"


def test_archived_experiment_cannot_start(api: Api) -> None:
    api.created()
    api.patch({"kind": "archiveExperiment"})
    assert_error(api.patch({"kind": "startIteration"}), 400, "invalid_request", "archived")


@pytest.mark.parametrize(
    ("instruction", "needle"),
    [
        ({"kind": "stopIteration", "winningTreatmentId": "nope"}, "nope"),
        ({"kind": "stopIteration"}, "winningTreatmentId is required"),
        ({"kind": "stopIteration", "winningTreatmentId": 5}, "string"),
    ],
)
def test_stop_rejections_while_running(api: Api, instruction: dict[str, Any], needle: str) -> None:
    api.created()
    api.start()
    assert_error(api.patch(instruction), 400, "invalid_request", needle)


def test_stop_when_not_running_is_400(api: Api) -> None:
    created = api.created()
    winner = created["currentIteration"]["treatments"][0]["_id"]
    response = api.patch({"kind": "stopIteration", "winningTreatmentId": winner})
    assert_error(response, 400, "invalid_request", "not_started")


# -- saveAndStartNewIteration --------------------------------------------------------------


def test_save_and_start_new_iteration(api: Api) -> None:
    api.created()
    running = api.start()
    body = assert_schema(
        api.patch(
            {
                "kind": "saveAndStartNewIteration",
                "changeJustification": "new metric",
                "value": {
                    "hypothesis": op("update", "Refined"),
                    "metrics": op("add", {"key": "page-views"}),
                    "name": op("update", "Renamed too"),
                },
            }
        ),
        200,
        "Experiment",
    )
    assert body["name"] == "Renamed too"
    current = body["currentIteration"]
    assert current["status"] == "running" and current["hypothesis"] == "Refined"
    assert [m["key"] for m in current["metrics"]][-1] == "page-views"
    previous = body["previousIterations"]
    assert [p["_id"] for p in previous] == [running["currentIteration"]["_id"]]
    assert previous[0]["status"] == "stopped" and "winningTreatmentId" not in previous[0]


def test_save_and_start_rejections(api: Api, emu: Emulator) -> None:
    api.created()
    response = api.patch({"kind": "saveAndStartNewIteration"})
    assert_error(response, 400, "invalid_request", "running")
    api.start()
    before = emu.experiment("shop", "dev", "button-test")
    bad_value = {"kind": "saveAndStartNewIteration", "value": {"treatments": op("update", [])}}
    assert_error(api.patch(bad_value), 400, "invalid_request", "treatments")
    assert emu.experiment("shop", "dev", "button-test") == before


# -- archive / restore -----------------------------------------------------------------------


def test_an_archived_experiment_takes_no_new_iteration_until_restored(api: Api) -> None:
    # archiving a running experiment is where the profiles differ: test_profiles.py
    api.created()
    api.start()
    api.stop()
    body = assert_schema(api.patch({"kind": "archiveExperiment"}), 200, "Experiment")
    assert isinstance(body["archivedDate"], int)
    assert "archivedDate" in assert_schema(api.get(), 200, "Experiment")
    assert_error(api.patch({"kind": "startIteration"}), 400, "invalid_request", "archived")
    response = api.patch({"kind": "saveAndStartNewIteration"})
    assert_error(response, 400, "invalid_request")
    response = api.fields(hypothesis=op("update", "again"))
    assert_error(response, 400, "invalid_request", "archived")
    body = assert_schema(api.patch({"kind": "restoreExperiment"}), 200, "Experiment")
    assert "archivedDate" not in body


# -- POST …/iterations (deprecated) ------------------------------------------------------------


def _post_iteration(client: httpx.Client, body: Any, key: str = "button-test") -> httpx.Response:
    return client.post(f"{EXPERIMENTS}/{key}/iterations", json=body)


def test_create_iteration_replaces_not_started_current(api: Api, client: httpx.Client) -> None:
    created = api.created()
    rep = assert_schema(_post_iteration(client, iteration(hypothesis="Other")), 200, "IterationRep")
    assert rep["status"] == "not_started" and rep["hypothesis"] == "Other"
    assert len(rep["treatments"]) == 2
    body = api.get(expand="draftIteration,previousIterations").json()
    assert body["currentIteration"]["_id"] == rep["_id"] != created["currentIteration"]["_id"]
    assert "draftIteration" not in body and "previousIterations" not in body


def test_create_iteration_while_running_becomes_draft(api: Api, client: httpx.Client) -> None:
    api.created()
    running = api.start()
    rep = assert_schema(_post_iteration(client, iteration(hypothesis="Next")), 200, "IterationRep")
    body = assert_schema(api.get(expand="draftIteration"), 200, "Experiment")
    assert body["draftIteration"]["_id"] == rep["_id"]
    assert body["currentIteration"]["status"] == "running"
    response = api.patch({"kind": "startIteration"})
    assert_error(response, 400, "invalid_request", "changeJustification")
    body = assert_schema(
        api.patch({"kind": "startIteration", "changeJustification": "new design"}),
        200,
        "Experiment",
    )
    assert body["currentIteration"]["_id"] == rep["_id"]
    assert body["currentIteration"]["status"] == "running"
    assert "draftIteration" not in body
    assert body["previousIterations"][0]["_id"] == running["currentIteration"]["_id"]
    assert body["previousIterations"][0]["status"] == "stopped"


def test_create_iteration_errors(api: Api, client: httpx.Client) -> None:
    assert_error(_post_iteration(client, iteration(), key="ghost"), 404, "not_found")
    api.created()
    assert_error(_post_iteration(client, {"hypothesis": "h"}), 400, "invalid_request", "required")
    bad = iteration(primarySingleMetricKey="page-views")
    assert_error(_post_iteration(client, bad), 400, "invalid_request", "primarySingleMetricKey")
    api.patch({"kind": "archiveExperiment"})
    assert_error(_post_iteration(client, iteration()), 400, "invalid_request", "archived")


def test_treatment_ids_are_new_per_iteration(api: Api) -> None:
    created = api.created()
    api.start()
    body = assert_schema(
        api.patch({"kind": "saveAndStartNewIteration", "changeJustification": "x"}),
        200,
        "Experiment",
    )
    first = {t["_id"] for t in created["currentIteration"]["treatments"]}
    second = {t["_id"] for t in body["currentIteration"]["treatments"]}
    assert len(first) == len(second) == 2 and not first & second
    assert {t["parameters"][0]["variationId"] for t in body["currentIteration"]["treatments"]} == {
        TOP,
        BOTTOM,
    }
