"""The root program (experiments.yaml) on the dev stack, through the real CLI."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.e2e.support import E2EProject, api_writes


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


def _methods(root: E2EProject) -> set[str]:
    return {r["method"] for r in root.emulator.requests()}
