"""A whole experimentation programme in project lab, from nothing to running and back, as a
program that manages it would drive the API (issue 18's full setup): metrics, a funnel, the
randomization units, a holdout, a layer with two mutually exclusive experiments (one of them
in the holdout); then taken down in dependency order. Under both profiles: a client that
orders its calls this way meets no strict point."""

from __future__ import annotations

from typing import Any

from tests.support.fixture_ids import LAB_RULE_BETA

from .conftest import (
    BETA,
    LAB,
    LAB_E,
    Api,
    assert_schema,
    group_post,
    lab_experiment,
    metric_post,
    semantic,
)


def _ok(response: Any, status: int = 200, schema: str | None = None) -> Any:
    return assert_schema(response, status, schema)


def test_build_and_take_down_a_programme(any_api: Api) -> None:
    client = any_api.client
    # nothing but flags, context kinds and settings to start with
    assert client.get("/api/v2/metrics/lab").json()["totalCount"] == 0
    assert client.get(f"{LAB}/metric-groups", headers=BETA).json()["totalCount"] == 0
    assert client.get(f"{LAB_E}/holdouts").json()["total_count"] == 0
    assert client.get(f"{LAB}/layers").json()["totalCount"] == 0

    # up: metrics, a funnel, units, a holdout, a layer, two experiments
    for key, kind in (("viewed-pricing", "pageview"), ("added", "click"), ("signed-up", "custom")):
        _ok(client.post("/api/v2/metrics/lab", json=metric_post(key, kind)), 201, "MetricRep")
    funnel = group_post("signup-funnel", "viewed-pricing", "added", "signed-up")
    _ok(client.post(f"{LAB}/metric-groups", json=funnel, headers=BETA), 201, "MetricGroupRep")
    units = {
        "randomizationUnits": [
            {"randomizationUnit": "user", "default": True},
            {"randomizationUnit": "organization"},
        ]
    }
    _ok(client.put(f"{LAB}/experimentation-settings", json=units), 200)
    holdout = {
        "key": "q1-holdout",
        "name": "Q1 holdout",
        "holdoutamount": "5",
        "randomizationunit": "user",
        "primarymetrickey": "signed-up",
    }
    held = _ok(client.post(f"{LAB_E}/holdouts", json=holdout), 201, "HoldoutRep")
    layer = {"key": "checkout", "name": "Checkout", "description": "One test at a time"}
    _ok(client.post(f"{LAB}/layers", json=layer), 201, "LayerRep")
    _ok(
        lab_experiment(
            client, "button-above", "signed-up", "group:signup-funnel", holdoutId=held["_id"]
        ),
        201,
        "Experiment",
    )
    _ok(lab_experiment(client, "beta-button", "signed-up", rule=LAB_RULE_BETA), 201)
    reserve = [
        {"kind": "updateExperimentReservation", "experimentKey": k, "reservationPercent": p}
        for k, p in (("button-above", 50), ("beta-button", 50))
    ]
    _ok(semantic(client, f"{LAB}/layers/checkout", *reserve, environmentKey="dev"), 200)
    for key in ("button-above", "beta-button"):
        _ok(semantic(client, f"{LAB_E}/experiments/{key}", {"kind": "startIteration"}))
    detail = client.get(f"{LAB_E}/holdouts/q1-holdout").json()
    assert [e["key"] for e in detail["relatedExperiments"]] == ["button-above"]
    assert detail["isDirty"] is True

    # down, in dependency order: experiments (stopped with a winner, archived), reservations,
    # the holdout, the group, the metrics, the units as they were
    for key in ("button-above", "beta-button"):
        url = f"{LAB_E}/experiments/{key}"
        treatments = client.get(url, params={"expand": "treatments"}).json()
        winner = treatments["currentIteration"]["treatments"][0]["_id"]
        stop = {"kind": "stopIteration", "winningTreatmentId": winner}
        _ok(semantic(client, url, stop, {"kind": "archiveExperiment"}))
    remove = [
        {"kind": "removeExperiment", "experimentKey": k} for k in ("button-above", "beta-button")
    ]
    layer_after = _ok(semantic(client, f"{LAB}/layers/checkout", *remove, environmentKey="dev"))
    assert layer_after["environments"]["dev"]["reservations"] == []
    ended = _ok(semantic(client, f"{LAB_E}/holdouts/q1-holdout", {"kind": "endHoldout"}))
    assert ended["status"] == "ended"
    deleted = client.delete(f"{LAB}/metric-groups/signup-funnel", headers=BETA)
    assert deleted.status_code == 204
    for key in ("viewed-pricing", "added", "signed-up"):
        assert client.delete(f"/api/v2/metrics/lab/{key}").status_code == 204
    restored = {"randomizationUnits": [{"randomizationUnit": "user", "default": True}]}
    _ok(client.put(f"{LAB}/experimentation-settings", json=restored))

    # nothing active is left; the archived experiments still show what they measured
    assert client.get("/api/v2/metrics/lab").json()["totalCount"] == 0
    assert client.get(f"{LAB}/metric-groups", headers=BETA).json()["totalCount"] == 0
    assert [h["status"] for h in client.get(f"{LAB_E}/holdouts").json()["items"]] == ["ended"]
    assert client.get(f"{LAB_E}/experiments").json()["total_count"] == 0
    archived = client.get(f"{LAB_E}/experiments/button-above").json()
    assert [m["key"] for m in archived["currentIteration"]["metrics"]] == [
        "signed-up",
        "signup-funnel",
    ]
