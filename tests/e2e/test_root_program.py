"""The root program (experiments.yaml) on the dev stack, through the real CLI."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import yaml

from tests.e2e.support import TOKEN, E2EProject, api_writes


def _edit_yaml(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_up_then_preview_shows_no_changes(root: E2EProject) -> None:
    declared = yaml.safe_load((root.directory / "experiments.yaml").read_text())["experiments"]
    up = root.up()
    assert up.result.summary.result == "succeeded"
    assert up.result.summary.resource_changes == {"create": len(declared) + 1}

    held = {e["key"]: e for e in root.emulator.experiments("shop", "dev")}
    assert set(held) == {e["key"] for e in declared}
    for entry in declared:
        assert held[entry["key"]]["name"] == entry["name"]
    outputs = root.outputs()
    assert set(outputs) == set(held)
    for key, summary in outputs.items():
        assert summary["current_iteration"]["id"] == held[key]["currentIteration"]["_id"]

    # Idempotence: the real engine's preview agrees that nothing is left to do.
    root.emulator.clear_requests()
    preview = root.preview(expect_no_changes=True)
    assert preview.result.change_summary == {"same": len(declared) + 1}
    # With a token, check looks references up (launchdarkly:validateReferences=auto): reads only.
    assert _methods(root) <= {"GET"}, "a preview makes no LaunchDarkly write"


def test_an_edit_previews_as_that_property_alone_and_applies_in_one_patch(
    root: E2EProject,
) -> None:
    root.up()
    _edit_yaml(
        root.directory / "experiments.yaml",
        "name: Checkout button placement",
        "name: Checkout button placement (v2)",
    )
    root.emulator.clear_requests()
    preview = root.preview(diff=True)
    assert preview.result.change_summary == {"same": 2, "update": 1}
    # Only the edited property is marked; the engine pads names to align the colons.
    changed_lines = [
        re.sub(r"\s+:", ":", line.strip())
        for line in preview.stdout.split("Resources:")[0].splitlines()
        if line.strip().startswith(("~ ", "+ ", "- ", "+-"))
        and not line.strip().startswith("~ pulumi-python:dynamic/launchdarkly:Experiment:")
    ]
    assert changed_lines == [
        '~ name: "Checkout button placement" => "Checkout button placement (v2)"'
    ], preview.stdout
    assert _methods(root) <= {"GET"}

    up = root.up()
    assert up.result.summary.resource_changes == {"same": 2, "update": 1}
    assert api_writes(root.emulator) == [
        (
            "PATCH",
            "/api/v2/projects/shop/environments/dev/experiments/checkout-button-placement",
            ["updateExperimentFields"],
        )
    ]
    held = root.emulator.experiment("shop", "dev", "checkout-button-placement")
    assert held is not None and held["name"] == "Checkout button placement (v2)"
    root.preview(expect_no_changes=True)


# Two metrics and a funnel of them, made by the program, and an experiment measuring both.
WITH_METRICS = """\
metrics:
  - key: file-cart-viewed
    name: Cart viewed
    kind: pageview
    urls: [{kind: substring, substring: /cart}]
  - key: file-order-placed
    name: Order placed
    kind: custom
    event_key: order-placed
    is_numeric: false
metric_groups:
  - key: file-checkout-funnel
    name: Checkout funnel
    kind: funnel
    metrics:
      - {key: file-cart-viewed, name_in_group: Viewed the cart}
      - {key: file-order-placed, name_in_group: Placed the order}
experiments:
  - key: file-funnel-experiment
    name: Checkout funnel experiment
    iteration:
      hypothesis: A button above the cart takes more visitors through the funnel.
      metrics:
        - {key: file-checkout-funnel, is_group: true}
        - key: file-order-placed
      primary_funnel_key: file-checkout-funnel
      treatments:
        - name: Bottom
          baseline: true
          allocation_percent: 50
          parameters: [{flag_key: checkout-button, variation: Bottom}]
        - name: Top
          allocation_percent: 50
          parameters: [{flag_key: checkout-button, variation: Top}]
      flags:
        checkout-button: {rule_id: Beta customers}
"""


def test_the_file_makes_its_metrics_and_funnel_and_destroy_takes_them_away(
    root: E2EProject,
) -> None:
    """Created in order (a metric before the group listing it, the group before the experiment
    measuring it) and deleted in reverse, which the strict profile insists on."""
    (root.directory / "experiments.yaml").write_text(WITH_METRICS)
    root.emulator.profile = "strict"
    up = root.up()
    assert up.result.summary.resource_changes == {"create": 5}  # with the stack
    assert _status(root, "/api/v2/metrics/shop/file-order-placed") == 200
    assert _status(root, "/api/v2/projects/shop/metric-groups/file-checkout-funnel") == 200
    held = root.emulator.experiment("shop", "dev", "file-funnel-experiment")
    assert held is not None
    measured = {m["key"] for m in held["currentIteration"]["metrics"]}
    assert measured == {"file-checkout-funnel", "file-order-placed"}

    root.preview(expect_no_changes=True)

    destroy = root.destroy()
    assert destroy.result.summary.resource_changes == {"delete": 5}
    assert _status(root, "/api/v2/metrics/shop/file-cart-viewed") == 404
    assert _status(root, "/api/v2/metrics/shop/file-order-placed") == 404
    assert _status(root, "/api/v2/projects/shop/metric-groups/file-checkout-funnel") == 404


def _status(root: E2EProject, path: str) -> int:
    headers = {"Authorization": TOKEN, "LD-API-Version": "beta"}
    return httpx.get(f"{root.emulator.url}{path}", headers=headers).status_code


def _methods(root: E2EProject) -> set[str]:
    return {r["method"] for r in root.emulator.requests()}
