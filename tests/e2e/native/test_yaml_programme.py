"""E2E: the whole experimentation programme of examples/programme_yaml, through the real CLI,
the YAML language host and the native plugin, against the emulator's strict profile in project
``lab`` (flags, context kinds and settings only).

Up from the empty project, a preview with no changes, an edit and its detailed diff, drift of
every kind made through the API and recorded by refresh, `pulumi import` of one object of each
kind made outside Pulumi (the generated declarations then preview with no changes), and a
destroy that leaves nothing active. What exists is asserted through the emulator's HTTP API.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from ld_emulator import Emulator
from tests.e2e.lab_api import (
    GROUPS,
    LAYERS,
    METRICS_PATH,
    LabApi,
    drift_like_the_ui,
    experiments,
)
from tests.support import fixture_ids as ids
from tests.support.declarations import fifty_fifty
from tests.support.ld_api import SHOP, Api, holdouts

from .support import ROOT, TOKEN, Cli, changed_leaves, sandbox_env, yaml_program

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
PROGRAM = ROOT / "examples" / "programme_yaml" / "Pulumi.yaml"
NATIVE = "launchdarkly-experiments:index:"
METRICS = METRICS_PATH
EXPERIMENTS = experiments()
HOLDOUTS = holdouts("lab", "dev")
PROGRAM_METRICS = {
    "pricing-viewed": "pageview",
    "buy-clicked": "click",
    "signed-up": "custom",
    "revenue": "custom",
}
EXPERIMENT_KEYS = ("checkout-placement", "pricing-order")
USER_ONLY = [("user", True)]
USER_AND_ORGANIZATION = [("user", True), ("organization", False)]


def make_outside_pulumi(api: Api) -> None:
    """One object of each kind in lab, made through the API as the UI would: a metric, a
    standard group of it, a holdout measured on it, a draft experiment in that holdout, and a
    layer reserving 20% for the experiment."""
    api.post(
        METRICS,
        {
            "key": "outside-metric",
            "name": "Trial started",
            "kind": "custom",
            "isNumeric": False,
            "eventKey": "trial-started",
        },
    )
    api.post(
        GROUPS,
        {
            "key": "outside-group",
            "name": "Trials",
            "kind": "standard",
            "maintainerId": ids.MEMBER,
            "tags": [],
            "metrics": [{"key": "outside-metric", "nameInGroup": "Trial"}],
        },
    )
    holdout = api.holdout(
        "outside-holdout", primarymetrickey="outside-metric", randomizationunit="user"
    )
    flag = api.get("/api/v2/flags/lab/checkout-button", env="dev")
    iteration = {
        "hypothesis": "The beta customers start more trials with the button on top",
        "metrics": [{"key": "outside-metric"}],
        "primarySingleMetricKey": "outside-metric",
        "treatments": fifty_fifty("checkout-button", ids.LAB_BOTTOM, ids.LAB_TOP),
        "flags": {
            "checkout-button": {
                "ruleId": ids.LAB_RULE_BETA,
                "flagConfigVersion": flag["environments"]["dev"]["_version"],
            }
        },
    }
    body = {"key": "outside-exp", "name": "Beta trials", "holdoutId": holdout["_id"]}
    api.post(EXPERIMENTS, {**body, "iteration": iteration})
    api.layer("outside-layer", project="lab")
    reserve = {"experimentKey": "outside-exp", "reservationPercent": 20}
    api.patch(
        f"{LAYERS}/outside-layer",
        {"kind": "updateExperimentReservation", **reserve},
        environmentKey="dev",
    )


def drift_every_kind(api: LabApi) -> None:
    """The programme tests' drift of five kinds, and the funnel's name: every kind drifts."""
    drift_like_the_ui(api)
    api.json_patch(
        f"{GROUPS}/purchase-funnel", {"op": "replace", "path": "/name", "value": "Funnel (UI)"}
    )


def refer(tree: Any, value: str, reference: str) -> Any:
    """``tree`` with every string equal to ``value`` replaced by ``reference``."""
    if isinstance(tree, dict):
        return {k: refer(v, value, reference) for k, v in tree.items()}
    if isinstance(tree, list):
        return [refer(v, value, reference) for v in tree]
    return reference if tree == value else tree


def test_programme_from_an_empty_project(tmp_path: Path) -> None:
    work = yaml_program(tmp_path, PROGRAM)

    with Emulator(tokens=(TOKEN,), profile="strict") as emulator:
        api = LabApi(emulator, TOKEN)
        cli = Cli(work, sandbox_env(tmp_path, emulator.url))
        cli.init_stack()
        cli.configure(
            **{
                "launchdarkly-experiments:projectKey": "lab",
                "launchdarkly-experiments:environmentKey": "dev",
            }
        )
        assert api.get(METRICS)["items"] == [] and api.get(LAYERS)["items"] == []
        assert api.units() == USER_ONLY

        # 1. up from the empty project: every kind's object exists as declared.
        cli.run("up", "--yes")
        outputs = json.loads(cli.run("stack", "output", "--json").stdout)
        for key, kind in PROGRAM_METRICS.items():
            assert api.get(f"{METRICS}/{key}")["kind"] == kind, key
        funnel = api.get(f"{GROUPS}/purchase-funnel")
        assert funnel["kind"] == "funnel"
        assert [(m["key"], m["nameInGroup"]) for m in funnel["metrics"]] == [
            ("pricing-viewed", "Viewed pricing"),
            ("buy-clicked", "Clicked buy"),
            ("signed-up", "Signed up"),
        ]
        holdout = api.get(f"{HOLDOUTS}/q1-holdout")
        assert holdout["status"] == "running" and holdout["holdoutAmount"] == "5"
        assert holdout["_id"] == outputs["holdoutId"]
        assert [e["key"] for e in holdout["relatedExperiments"]] == ["pricing-order"]
        checkout, pricing = (api.get(f"{EXPERIMENTS}/{key}") for key in EXPERIMENT_KEYS)
        assert checkout["name"] == "Checkout button placement"
        assert not checkout.get("holdoutId")
        assert pricing["holdoutId"] == holdout["_id"] == outputs["holdoutId"]
        assert pricing["_id"] == outputs["pricingExperimentId"]
        for experiment in (checkout, pricing):
            assert experiment["currentIteration"]["status"] == "running", experiment["key"]
        assert set(outputs["checkoutTreatments"]) == {"Top", "Bottom"}
        assert api.reservations("checkout-and-pricing") == {
            "checkout-placement": 50,
            "pricing-order": 50,
        }
        assert api.units() == USER_AND_ORGANIZATION and outputs["defaultUnit"] == "user"

        # 2. Nothing to do.
        cli.run("preview", "--expect-no-changes")

        # 3. An edit: the detailed diff names exactly the changed leaves.
        cli.configure(
            **{"ld-programme:checkoutName": "Checkout v2", "ld-programme:checkoutShare": "40"}
        )
        preview = cli.run("preview", "--diff").stdout
        assert changed_leaves(preview) == {
            ("name", '"Checkout button placement"', '"Checkout v2"'),
            ("reservationPercent", "50", "40"),
        }, preview
        assert "2 to update" in preview, preview
        cli.run("up", "--yes")
        assert api.get(f"{EXPERIMENTS}/checkout-placement")["name"] == "Checkout v2"
        assert api.reservations("checkout-and-pricing")["checkout-placement"] == 40
        cli.run("preview", "--expect-no-changes")

        # 4. Drift of every kind through the API; refresh records each, up puts it back.
        drift_every_kind(api)
        refresh = cli.run("refresh", "--yes", "--diff").stdout
        assert changed_leaves(refresh) == {
            ("name", '"Revenue per user"', '"Revenue (UI)"'),
            ("name", '"Purchase funnel"', '"Funnel (UI)"'),
            ("name", '"Q1 holdout"', '"Q1 holdout (UI)"'),
            ("name", '"Pricing page plan order"', '"Plan order (UI)"'),
            ("reservationPercent", "50", "30"),
        }, refresh
        assert '- randomizationUnit: "organization"' in refresh, refresh
        assert "6 updated" in refresh, refresh
        cli.run("up", "--yes")
        assert api.get(f"{METRICS}/revenue")["name"] == "Revenue per user"
        assert api.get(f"{GROUPS}/purchase-funnel")["name"] == "Purchase funnel"
        assert api.get(f"{HOLDOUTS}/q1-holdout")["baseExperiment"]["name"] == "Q1 holdout"
        assert api.get(f"{EXPERIMENTS}/pricing-order")["name"] == "Pricing page plan order"
        assert api.reservations("checkout-and-pricing")["pricing-order"] == 50
        assert api.units() == USER_AND_ORGANIZATION
        cli.run("preview", "--expect-no-changes")

        # 5. Import one object of each kind made outside Pulumi (the settings: shop's, as lab's
        # belong to the program); the generated declarations then preview with no changes.
        make_outside_pulumi(api)
        shop_units = api.units(f"{SHOP}/experimentation-settings")
        imports = [
            ("Metric", "outsideMetric", "lab/outside-metric"),
            ("MetricGroup", "outsideGroup", "lab/outside-group"),
            ("Holdout", "outsideHoldout", "lab/dev/outside-holdout"),
            ("Experiment", "outsideExperiment", "lab/dev/outside-exp"),
            ("Layer", "outsideLayer", "lab/outside-layer"),
            ("ExperimentationSettings", "shopUnits", "shop"),
        ]
        listing = tmp_path / "import.json"
        listing.write_text(
            json.dumps(
                {"resources": [{"type": NATIVE + t, "name": n, "id": i} for t, n, i in imports]}
            )
        )
        generated = tmp_path / "imported.yaml"
        cli.run(
            "import", "--file", str(listing), "--protect=false", "--yes", "--out", str(generated)
        )
        declared = yaml.safe_load(generated.read_text())["resources"]
        assert {
            name: resource["type"].rsplit(":", 1)[-1] for name, resource in declared.items()
        } == {name: kind for kind, name, _ in imports}
        program = yaml.safe_load((work / "Pulumi.yaml").read_text())
        program["resources"].update(declared)
        (work / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False))
        cli.run("preview", "--expect-no-changes")

        # Tidied as a user would: references by output instead of keys and ids, so that the
        # engine orders the destroy (the strict profile refuses to delete a metric in use).
        outside_holdout = api.get(f"{HOLDOUTS}/outside-holdout")["_id"]
        for owner, value, reference in (
            ("outsideMetric", "outside-metric", "${outsideMetric.key}"),
            ("outsideHoldout", outside_holdout, "${outsideHoldout.holdoutId}"),
            ("outsideExperiment", "outside-exp", "${outsideExperiment.key}"),
        ):
            for name in declared.keys() - {owner}:
                program["resources"][name] = refer(program["resources"][name], value, reference)
        (work / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False))
        tidied = cli.run("up", "--yes").stdout
        assert "to update" not in tidied and "updated" not in tidied, tidied

        # 6. destroy leaves nothing active.
        destroyed = cli.run("destroy", "--yes").stdout
        assert "LaunchDarkly has no delete for holdouts" in destroyed, destroyed
        assert "LaunchDarkly has no delete for layers" in destroyed, destroyed
        for key in ("q1-holdout", "outside-holdout"):
            assert api.get(f"{HOLDOUTS}/{key}")["status"] == "ended", key
        for layer in ("checkout-and-pricing", "outside-layer"):
            assert all(not held for held in api.all_reservations(layer).values()), layer
        assert api.units() == USER_ONLY
        assert api.units(f"{SHOP}/experimentation-settings") == shop_units
        for key in [*PROGRAM_METRICS, "outside-metric"]:
            assert api.status(f"{METRICS}/{key}") == 404, key
        for key in ("purchase-funnel", "outside-group"):
            assert api.status(f"{GROUPS}/{key}") == 404, key
        for key in [*EXPERIMENT_KEYS, "outside-exp"]:
            assert api.get(f"{EXPERIMENTS}/{key}")["archivedDate"], key
