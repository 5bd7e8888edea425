"""The programme example (examples/programme) through the real CLI, on the strict emulator.

One emulator, one stack, the example itself run as an inline program: built from project lab's
flags alone, quiet on a second look, edited through stack config, drifted through the API as
the UI would, extended by objects made outside Pulumi and adopted, then destroyed with
nothing left active.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ld_emulator import Emulator
from scripts.pulumi_inline import project_program
from tests.e2e.conftest import project_from
from tests.e2e.lab_api import (
    GROUPS,
    LAYERS,
    METRICS_PATH,
    SETTINGS,
    LabApi,
    drift_like_the_ui,
    experiments,
)
from tests.e2e.support import TOKEN, E2EProject, api_writes
from tests.support.ld_api import holdouts

KINDS = ("metrics", "groups", "holdouts", "layers", "experiments")
METRICS = ("pricing-viewed", "buy-clicked", "signed-up", "revenue")
EXPERIMENTS = ("checkout-placement", "pricing-order")
LAYER = "checkout-and-pricing"


def with_adopted(project: E2EProject) -> Callable[[], None]:
    """The example, plus one object of four kinds made outside Pulumi, declared with adopt=True
    (dynamic resources cannot be ``pulumi import``ed: the engine needs the provider's pickle)."""
    example = project_program(project.directory)

    def program() -> None:
        import launchdarkly_experiments as ld

        example()
        trial = ld.Metric(
            "trial-started",
            key="trial-started",
            name="Trial started",
            kind="custom",
            event_key="trial-started",
            is_numeric=False,
            adopt=True,
        )
        ld.MetricGroup(
            "engagement",
            key="engagement",
            name="Engagement metrics",
            kind="standard",
            metrics=[ld.MetricGroupMetricArgs(key=trial.key, name_in_group="trial-started")],
            adopt=True,
        )
        ld.Holdout(
            "q2-holdout",
            key="q2-holdout",
            name="Q2 holdout",
            holdout_amount=5,
            primary_metric_key=trial.key,
            adopt=True,
        )
        ld.Layer("onboarding", key="onboarding", name="Onboarding flow", adopt=True)

    return program


@pytest.fixture
def strict() -> Iterator[Emulator]:
    with Emulator(tokens=(TOKEN,), profile="strict") as emu:
        yield emu


def changed_lines(stdout: str) -> list[str]:
    """The property lines a detailed diff marks (names unpadded), resource headers left out."""
    return [
        re.sub(r"\s+:", ":", line.strip())
        for line in stdout.split("Resources:")[0].splitlines()
        if line.strip().startswith(("~ ", "+ ", "- ", "+-"))
        and not re.match(r"[~+-]+ pulumi-python:dynamic/launchdarkly:\w+: ", line.strip())
    ]


def refreshed(stdout: str) -> dict[str, str]:
    """What a refresh updated, ``"<Kind> <name>"`` -> the properties it names (``~name``)."""
    found = re.findall(r"launchdarkly:(\w+ \S+) updated \([^)]*\) \[diff: ([^\]]*)\]", stdout)
    return dict(found)


def state_outputs(project: E2EProject, kind: str) -> dict[str, dict[str, Any]]:
    """The outputs the state holds for each resource of one kind, by resource name."""
    return {
        r["urn"].rsplit("::", 1)[1]: r["outputs"]
        for r in project.resources()
        if r["type"] == f"pulumi-python:dynamic/launchdarkly:{kind}"
    }


def assert_built(api: LabApi, project: E2EProject) -> None:
    """Each kind's object as the example declares it, read through the API."""
    assert api.counts() == {**dict.fromkeys(KINDS, 1), "metrics": 4, "experiments": 2}
    assert api.units() == [("user", True), ("organization", False)]
    kinds = {key: api.metric_rep(key)["kind"] for key in METRICS}
    assert kinds == {
        "pricing-viewed": "pageview",
        "buy-clicked": "click",
        "signed-up": "custom",
        "revenue": "custom",
    }
    revenue = api.metric_rep("revenue")
    assert (revenue["isNumeric"], revenue["unit"]) == (True, "USD")
    assert api.metric_rep("signed-up")["isNumeric"] is False
    funnel = api.group_rep("purchase-funnel")
    assert funnel["kind"] == "funnel"
    assert [(m["key"], m["nameInGroup"]) for m in funnel["metrics"]] == [
        ("pricing-viewed", "Viewed pricing"),
        ("buy-clicked", "Clicked buy"),
        ("signed-up", "Signed up"),
    ]
    holdout = api.holdout_rep("q1-holdout")
    assert holdout["status"] == "running"
    assert [e["key"] for e in holdout["relatedExperiments"]] == ["pricing-order"]
    for key in EXPERIMENTS:
        assert api.experiment_rep(key)["currentIteration"]["status"] == "running"
    assert api.experiment_rep("pricing-order")["holdoutId"] == holdout["_id"]
    assert api.experiment_rep("checkout-placement").get("holdoutId") is None
    assert api.reservations(LAYER) == {"checkout-placement": 50, "pricing-order": 50}
    outputs = project.outputs()
    assert outputs["holdout_id"] == holdout["_id"]
    assert outputs["default_unit"] == "user"
    assert sorted(outputs["checkout_treatments"]) == ["Bottom", "Top"]


def assert_nothing_active(api: LabApi) -> None:
    """After destroy: holdouts ended, reservations gone (layers stay), units as before, metrics
    and groups deleted, experiments archived; the adopted objects included."""
    for key in ("q1-holdout", "q2-holdout"):
        assert api.holdout_rep(key)["status"] == "ended"
    layers = api.layers()
    assert sorted(layers) == ["checkout-and-pricing", "onboarding"]  # a layer stays
    for layer in layers.values():
        assert all(not env["reservations"] for env in layer["environments"].values())
    assert api.units() == [("user", True)]
    for key in (*METRICS, "trial-started"):
        assert api.status(f"{METRICS_PATH}/{key}") == 404
    for key in ("purchase-funnel", "engagement"):
        assert api.status(f"{GROUPS}/{key}") == 404
    for key in EXPERIMENTS:
        assert api.experiment_rep(key).get("archivedDate")


def test_the_programme_from_an_empty_project_to_destroy(tmp_path: Path, strict: Emulator) -> None:
    api = LabApi(strict, TOKEN)
    assert api.counts() == dict.fromkeys(KINDS, 0)
    project = project_from("programme", tmp_path, strict)

    # -- a preview without a token (as in CI): offline, references noted once for six kinds ---
    strict.clear_requests()
    offline = project.preview(env={"LAUNCHDARKLY_ACCESS_TOKEN": ""})
    assert offline.result.change_summary == {"create": 11}
    diagnostics = offline.stdout.split("Diagnostics:")[1]
    assert diagnostics.count("references (flags, variations, rules") == 1, offline.stdout
    assert strict.requests() == []

    # -- up from project lab's flags alone -------------------------------------------------------
    up = project.up()
    assert up.result.summary.resource_changes == {"create": 11}, up.stdout
    assert_built(api, project)

    project.preview(expect_no_changes=True)

    # -- an edit through stack config: the name and the layer's split, nothing else -----------
    project.cli("config", "set", "checkoutName", "Checkout button, above or below")
    project.cli("config", "set", "checkoutShare", "60")
    preview = project.preview(diff=True)
    assert preview.result.change_summary == {"same": 9, "update": 2}
    assert changed_lines(preview.stdout) == [
        '~ name: "Checkout button placement" => "Checkout button, above or below"',
        "~ reservations: [",
        "~ [0]: {",
        "~ reservationPercent: 50 => 60",
        "~ [1]: {",
        "~ reservationPercent: 50 => 40",
    ], preview.stdout
    strict.clear_requests()
    project.up()
    assert sorted(api_writes(strict)) == [
        ("PATCH", f"{experiments()}/checkout-placement", ["updateExperimentFields"]),
        ("PATCH", f"{LAYERS}/{LAYER}", ["updateExperimentReservation"] * 2),
    ]
    assert api.experiment_rep("checkout-placement")["name"] == "Checkout button, above or below"
    assert api.reservations(LAYER) == {"checkout-placement": 60, "pricing-order": 40}
    project.preview(expect_no_changes=True)

    # -- drift made through the API, as the UI would ------------------------------------------
    drift_like_the_ui(api)
    refresh = project.refresh()
    assert refresh.result.summary.resource_changes == {"same": 6, "update": 5}, refresh.stdout
    # Each drift is recorded as that property alone.
    assert refreshed(refresh.stdout) == {
        "Metric revenue": "~name",
        "Holdout q1-holdout": "~name",
        "Layer checkout-and-pricing": "~reservations",
        "ExperimentationSettings units": "~randomizationUnits",
        "Experiment pricing-order": "~name",
    }
    assert state_outputs(project, "Metric")["revenue"]["name"] == "Revenue (UI)"
    assert state_outputs(project, "Holdout")["q1-holdout"]["name"] == "Q1 holdout (UI)"
    assert state_outputs(project, "Experiment")["pricing-order"]["name"] == "Plan order (UI)"
    reserved = state_outputs(project, "Layer")[LAYER]["reservations"]
    assert {r["experimentKey"]: r["reservationPercent"] for r in reserved} == {
        "checkout-placement": 60,
        "pricing-order": 30,
    }
    units = state_outputs(project, "ExperimentationSettings")["units"]["randomizationUnits"]
    assert [u["randomizationUnit"] for u in units] == ["user"]

    strict.clear_requests()
    project.up()
    assert sorted(api_writes(strict)) == [
        ("PATCH", f"{METRICS_PATH}/revenue", ["replace /name"]),
        ("PATCH", f"{experiments()}/pricing-order", ["updateExperimentFields"]),
        ("PATCH", f"{holdouts()}/q1-holdout", ["updateName"]),
        ("PATCH", f"{LAYERS}/{LAYER}", ["updateExperimentReservation"]),
    ]
    assert [r["path"] for r in strict.requests() if r["method"] == "PUT"] == [SETTINGS]
    assert api.metric_rep("revenue")["name"] == "Revenue per user"
    assert api.holdout_rep("q1-holdout")["baseExperiment"]["name"] == "Q1 holdout"
    assert api.experiment_rep("pricing-order")["name"] == "Pricing page plan order"
    assert api.reservations(LAYER) == {"checkout-placement": 60, "pricing-order": 40}
    assert api.units() == [("user", True), ("organization", False)]
    project.preview(expect_no_changes=True)

    # -- objects made outside Pulumi, taken over with adopt=True ------------------------------
    api.metric("trial-started")
    api.metric_group("engagement", "trial-started")
    api.holdout("q2-holdout", project="lab", primarymetrickey="trial-started")
    api.layer("onboarding", project="lab")
    before = api.counts()
    strict.clear_requests()
    adopting = project.up(program=with_adopted(project))
    assert adopting.result.summary.resource_changes == {"same": 11, "create": 4}
    assert api.counts() == before  # nothing made twice
    # Each create was tried once and refused as existing, then the object was taken over.
    creates = [(r["path"], r["status"]) for r in strict.requests() if r["method"] == "POST"]
    assert sorted(creates) == sorted(
        [(holdouts(), 400), (GROUPS, 400), (LAYERS, 400), (METRICS_PATH, 409)]
    ), creates
    assert api.metric_rep("trial-started")["name"] == "Trial started"
    assert api.group_rep("engagement")["name"] == "Engagement metrics"
    assert api.holdout_rep("q2-holdout")["baseExperiment"]["name"] == "Q2 holdout"
    assert api.layers()["onboarding"]["name"] == "Onboarding flow"
    project.preview(program=with_adopted(project), expect_no_changes=True)

    # -- destroy: nothing left active -----------------------------------------------------------
    destroy = project.destroy()
    assert destroy.result.summary.resource_changes == {"delete": 15}, destroy.stdout
    # What LaunchDarkly cannot delete is said as it happens.
    for said in (
        "holdout lab/dev/q1-holdout is ended (endHoldout) instead",
        "layer lab/checkout-and-pricing stays in the project",
    ):
        assert said in destroy.stdout
    assert_nothing_active(api)
    assert project.resources() == []
