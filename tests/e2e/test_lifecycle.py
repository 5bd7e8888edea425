"""Lifecycle, replacement, drift and destroy through the real CLI."""

from __future__ import annotations

from pathlib import Path

import httpx

from ld_emulator import Emulator
from tests.e2e.conftest import project_from
from tests.e2e.lab_api import METRICS_PATH, LabApi, experiments
from tests.e2e.support import TOKEN, E2EProject, api_writes, declare_experiment

EXPERIMENTS = "/api/v2/projects/shop/environments/dev/experiments"


def _patch(emulator: Emulator, key: str, *instructions: dict[str, object]) -> None:
    """A change made outside Pulumi, as the LaunchDarkly UI would make it."""
    answer = httpx.patch(
        f"{emulator.url}{EXPERIMENTS}/{key}",
        json={"instructions": list(instructions)},
        headers={
            "Authorization": TOKEN,
            "LD-API-Version": "20240415",
            "Content-Type": "application/json; domain-model=launchdarkly.semanticpatch",
        },
    )
    assert answer.status_code == 200, answer.text


def test_the_lifecycle_example_walks_draft_running_stopped(
    tmp_path: Path, emulator: Emulator
) -> None:
    """In project lab, which has no metric: the example declares the one it measures."""
    project = project_from("lifecycle", tmp_path, emulator)
    key, metric = "checkout-button-lifecycle", "lifecycle-checkout-completed"
    lab = LabApi(emulator, TOKEN)
    assert lab.counts()["metrics"] == 0

    emulator.clear_requests()
    project.up()
    # The metric first: the experiment takes its key by output.
    assert [(method, path) for method, path, _ in api_writes(emulator)] == [
        ("POST", METRICS_PATH),
        ("POST", experiments()),
    ]
    held = emulator.experiment("lab", "dev", key)
    assert held is not None and held["currentIteration"]["status"] == "not_started"
    declared = lab.metric_rep(metric)
    assert declared["eventKey"] == "checkout-completed"
    assert held["currentIteration"]["primarySingleMetric"]["_versionId"] == declared["_versionId"]
    assert project.outputs()["state"] == "draft"

    project.cli("config", "set", "state", "running")
    emulator.clear_requests()
    project.up()
    assert api_writes(emulator) == [("PATCH", f"{experiments()}/{key}", ["startIteration"])]
    assert emulator.experiment("lab", "dev", key)["currentIteration"]["status"] == "running"

    project.cli("config", "set", "state", "stopped")
    project.cli("config", "set", "winner", "Top")
    emulator.clear_requests()
    project.up()
    assert api_writes(emulator) == [("PATCH", f"{experiments()}/{key}", ["stopIteration"])]
    current = emulator.experiment("lab", "dev", key)["currentIteration"]
    top = next(t["_id"] for t in current["treatments"] if t["name"] == "Top")
    assert current["status"] == "stopped"
    assert current["winningTreatmentId"] == top
    outputs = project.outputs()
    assert outputs["state"] == "stopped"
    assert outputs["current_iteration"]["winning_treatment"] == "Top"
    project.preview(expect_no_changes=True)

    # Nothing left behind: the experiment archived, then the metric deleted.
    project.destroy()
    assert emulator.experiment("lab", "dev", key)["archivedDate"] is not None
    assert lab.status(f"{METRICS_PATH}/{metric}") == 404


def test_a_key_change_creates_the_new_experiment_then_archives_the_old(
    root: E2EProject,
) -> None:
    def program(key: str) -> None:
        declare_experiment("placement", key=key)

    root.up(program=lambda: program("placement-v1"))
    root.emulator.clear_requests()
    preview = root.preview(program=lambda: program("placement-v2"), diff=True)
    assert preview.result.change_summary.get("replace") == 1, preview.stdout
    assert "key" in preview.stdout and "placement-v2" in preview.stdout

    root.up(program=lambda: program("placement-v2"))
    writes = api_writes(root.emulator)
    assert writes == [
        ("POST", EXPERIMENTS, []),
        ("PATCH", f"{EXPERIMENTS}/placement-v1", ["archiveExperiment"]),
    ]
    old = root.emulator.experiment("shop", "dev", "placement-v1")
    new = root.emulator.experiment("shop", "dev", "placement-v2")
    assert old is not None and old.get("archivedDate") is not None
    assert new is not None and new.get("archivedDate") is None


def test_drift_is_refreshed_then_put_back(root: E2EProject) -> None:
    def program() -> None:
        declare_experiment("drifting", tags=["web"])

    root.up(program=program)
    _patch(
        root.emulator,
        "drifting",
        {
            "kind": "updateExperimentFields",
            "value": {"name": {"operation": "update", "value": "Renamed in the UI"}},
        },
    )

    refresh = root.refresh(program=program)
    assert refresh.result.summary.resource_changes.get("update") == 1, refresh.stdout
    assert root.experiments_in_state()["drifting"]["outputs"]["name"] == "Renamed in the UI"

    preview = root.preview(program=program, diff=True)
    assert preview.result.change_summary.get("update") == 1
    assert "Renamed in the UI" in preview.stdout and "Checkout button placement" in preview.stdout

    # `up --refresh` in one go: a second drift is read and undone by the same command.
    root.up(program=program)
    _patch(
        root.emulator,
        "drifting",
        {
            "kind": "updateExperimentFields",
            "value": {"tags": {"operation": "update", "value": ["ui"]}},
        },
    )
    root.emulator.clear_requests()
    root.up(program=program, refresh=True)
    held = root.emulator.experiment("shop", "dev", "drifting")
    assert held is not None and held["tags"] == ["web"]
    assert held["name"] == "Checkout button placement"
    root.preview(program=program, expect_no_changes=True)


def test_destroy_archives_everything_and_a_second_up_restores(root: E2EProject) -> None:
    root.up()
    keys = {e["key"] for e in root.emulator.experiments("shop", "dev")}
    assert keys

    root.emulator.clear_requests()
    root.destroy()
    writes = api_writes(root.emulator)
    assert sorted(path.rsplit("/", 1)[1] for _, path, _ in writes) == sorted(keys)
    assert all(kinds == ["archiveExperiment"] for _, _, kinds in writes)
    assert all(e.get("archivedDate") for e in root.emulator.experiments("shop", "dev"))
    assert root.experiments_in_state() == {}

    root.up()
    restored = root.emulator.experiments("shop", "dev")
    assert {e["key"] for e in restored} == keys
    assert all(e.get("archivedDate") is None for e in restored)
    root.preview(expect_no_changes=True)
