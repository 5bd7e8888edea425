"""Experiments that run as code: start, stop with a winner, restart, redesign, archive, adopt.

Each test asserts the emulator's state and the exact HTTP calls the provider made.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx

from launchdarkly_experiments.core.kinds.experiment import plan, state
from ld_emulator import Emulator
from tests.support.declarations import declaration
from tests.support.engine import ProviderCallError, ProviderHost
from tests.support.stack import Stack

from .conftest import TOKEN, api_calls, reads_back, with_read_backs

ITEM = "/api/v2/projects/shop/environments/dev/experiments/checkout-button"
COLLECTION = "/api/v2/projects/shop/environments/dev/experiments"
# Read once per provider process: the variations' names and values for the `shipped` output.
FLAG = "/api/v2/flags/shop/checkout-button"


def instructions(emulator: Emulator) -> list[list[str]]:
    return [
        [i["kind"] for i in r["body"]["instructions"]]
        for r in emulator.requests()
        if r["method"] == "PATCH"
    ]


def stored(emulator: Emulator) -> dict[str, Any]:
    experiment = emulator.experiment("shop", "dev", "checkout-button")
    assert experiment is not None
    return experiment


def test_draft_running_stopped_running_again(host: ProviderHost, emulator: Emulator) -> None:
    stack = Stack(host)
    stack.up(declaration())
    first_iteration = stack.outputs["currentIteration"]["id"]

    emulator.clear_requests()
    outputs = stack.up(declaration(state="running", changeJustification="Ready to learn"))
    assert api_calls(emulator) == with_read_backs(emulator, [("PATCH", ITEM)])
    assert instructions(emulator) == [["startIteration"]]
    assert stored(emulator)["currentIteration"]["status"] == "running"
    assert outputs["currentIteration"]["status"] == "running"
    assert outputs["currentIteration"]["startedAt"] > 0
    assert outputs["state"] == "running"

    emulator.clear_requests()
    outputs = stack.up(
        declaration(state="stopped", winningTreatment="Bottom", winningReason="Clear win")
    )
    assert api_calls(emulator) == with_read_backs(emulator, [("PATCH", ITEM), ("GET", FLAG)])
    (stop,) = emulator.requests()[0]["body"]["instructions"]
    bottom_id = stack.outputs["currentIteration"]["treatmentIds"]["Bottom"]
    assert stop == {
        "kind": "stopIteration",
        "winningTreatmentId": bottom_id,
        "winningReason": "Clear win",
    }
    live = stored(emulator)["currentIteration"]
    assert (live["status"], live["winningTreatmentId"]) == ("stopped", bottom_id)
    assert outputs["winningTreatment"] == "Bottom"
    assert outputs["currentIteration"]["winningTreatment"] == "Bottom"
    assert outputs["shipped"]["checkout-button"]["variationName"] == "Bottom"
    assert outputs["currentIteration"]["endedAt"] >= outputs["currentIteration"]["startedAt"]

    # Unchanged declaration: nothing to do, no HTTP.
    emulator.clear_requests()
    stack.up(declaration(state="stopped", winningTreatment="Bottom", winningReason="Clear win"))
    assert api_calls(emulator) == []

    emulator.clear_requests()
    outputs = stack.up(declaration(state="running", onStopped="restart"))
    # The spec wants a new iteration before startIteration: updating an iteration field of the
    # stopped iteration makes one, in the same PATCH.
    assert instructions(emulator) == [["updateExperimentFields", "startIteration"]]
    assert api_calls(emulator) == with_read_backs(emulator, [("PATCH", ITEM)])
    current = stored(emulator)["currentIteration"]
    assert current["status"] == "running"
    assert current["_id"] not in (first_iteration,)
    assert [i["status"] for i in stored(emulator)["previousIterations"]] == ["stopped"]
    assert outputs["previousIterations"][0]["winningTreatment"] == "Bottom"
    assert outputs["currentIteration"]["id"] == current["_id"]


def test_create_running_makes_post_then_start(host: ProviderHost, emulator: Emulator) -> None:
    outputs = Stack(host).up(declaration(state="running"))
    assert api_calls(emulator) == with_read_backs(emulator, [("POST", COLLECTION), ("PATCH", ITEM)])
    assert instructions(emulator) == [["startIteration"]]
    assert outputs["currentIteration"]["status"] == "running"


def redesigned(hypothesis: str = "Bottom wins on mobile") -> dict[str, Any]:
    iteration = copy.deepcopy(declaration()["iteration"])
    iteration["hypothesis"] = hypothesis
    return iteration


def test_redesign_while_running_is_refused_without_opt_in(
    host: ProviderHost, emulator: Emulator
) -> None:
    stack = Stack(host)
    stack.up(declaration(state="running"))
    emulator.clear_requests()
    _, failures = host.check(
        "exp", stack.inputs, declaration(state="running", iteration=redesigned())
    )
    assert [f.property for f in failures] == ["iteration"]
    assert "on_running_change='new_iteration'" in failures[0].reason
    assert "resets" in failures[0].reason
    assert api_calls(emulator) == []
    assert stored(emulator)["currentIteration"]["hypothesis"] == "A bottom button converts better"


def test_redesign_while_running_with_opt_in_starts_a_new_iteration(
    host: ProviderHost, emulator: Emulator
) -> None:
    stack = Stack(host)
    stack.up(declaration(state="running"))
    old_iteration = stack.outputs["currentIteration"]["id"]
    overrides = {
        "state": "running",
        "iteration": redesigned(),
        "onRunningChange": "new_iteration",
        "changeJustification": "Mobile traffic dominates",
    }
    news, failures = host.check("exp", stack.inputs, declaration(**overrides))
    assert failures == []
    assert news[state.ITERATION_CHANGE] == state.NEW_ITERATION_NOTICE, "the preview names it"
    assert host.diff(stack.id, "exp", olds=stack.outputs, news=news).changes == "some"

    emulator.clear_requests()
    outputs = stack.up(declaration(**overrides))
    assert api_calls(emulator) == with_read_backs(emulator, [("PATCH", ITEM)])
    (instruction,) = emulator.requests()[0]["body"]["instructions"]
    assert instruction["kind"] == "saveAndStartNewIteration"
    assert instruction["changeJustification"] == "Mobile traffic dominates"
    assert instruction["value"]["hypothesis"]["value"] == "Bottom wins on mobile"
    live = stored(emulator)
    assert live["currentIteration"]["status"] == "running"
    assert live["currentIteration"]["hypothesis"] == "Bottom wins on mobile"
    assert live["currentIteration"]["_id"] != old_iteration
    assert [i["_id"] for i in live["previousIterations"]] == [old_iteration]
    assert state.ITERATION_CHANGE not in outputs
    # The next preview is clean: the notice does not linger.
    news, _ = host.check("exp", stack.inputs, declaration(**overrides))
    assert state.ITERATION_CHANGE not in news
    assert host.diff(stack.id, "exp", olds=stack.outputs, news=news).changes == "none"


def test_adding_a_metric_while_running_is_in_place(host: ProviderHost, emulator: Emulator) -> None:
    stack = Stack(host)
    stack.up(declaration(state="running"))
    iteration = redesigned("A bottom button converts better")
    iteration["metrics"].append({"key": "add-to-cart"})
    emulator.clear_requests()
    stack.up(declaration(state="running", iteration=iteration))
    (instruction,) = emulator.requests()[0]["body"]["instructions"]
    assert instruction["kind"] == "updateExperimentFields"
    assert instruction["value"]["metrics"] == {
        "operation": "add",
        "value": [{"key": "add-to-cart"}],
    }
    live = stored(emulator)
    assert [m["key"] for m in live["currentIteration"]["metrics"]][-1] == "add-to-cart"
    assert "previousIterations" not in live or live["previousIterations"] == []


def test_destroy_then_create_again_restores_the_archived_experiment(
    host: ProviderHost, emulator: Emulator
) -> None:
    first = Stack(host)
    first.up(declaration())
    host.delete(first.id, "exp", outputs=first.outputs, old_inputs=first.inputs)
    assert stored(emulator).get("archivedDate")

    emulator.clear_requests()
    outputs = Stack(host).up(declaration(name="Second life", state="running"))
    # The POST is refused (409, or 400 where LaunchDarkly answers so), the GET finds the
    # archived experiment, one PATCH restores and restarts it.
    tail = ["GET"] if reads_back(emulator) else []
    assert [m for m, _ in api_calls(emulator)] == ["POST", "GET", "PATCH", *tail]
    assert instructions(emulator) == [
        ["restoreExperiment", "updateExperimentFields", "startIteration"],
    ]
    live = stored(emulator)
    assert live.get("archivedDate") is None
    assert live["name"] == "Second life"
    assert live["currentIteration"]["status"] == "running"
    assert outputs["experimentId"] == live["_id"]
    assert len(emulator.experiments("shop", "dev")) == 1


def test_adopt_takes_over_an_existing_experiment(host: ProviderHost, emulator: Emulator) -> None:
    body = declaration(name="Made by hand")
    for field in ("projectKey", "environmentKey"):
        body.pop(field)
    body["iteration"]["treatments"][1]["baseline"] = False  # the API wants it on every arm
    httpx.post(
        f"{emulator.url}{COLLECTION}",
        headers={"Authorization": TOKEN, "Content-Type": "application/json"},
        content=json.dumps(body),
    ).raise_for_status()

    emulator.clear_requests()
    try:
        Stack(host).up(declaration())
    except ProviderCallError as exc:
        assert "adopt=True" in exc.details
    else:  # pragma: no cover
        raise AssertionError("an unmanaged existing key must not be taken silently")
    assert stored(emulator)["name"] == "Made by hand"

    emulator.clear_requests()
    outputs = Stack(host).up(declaration(adopt=True))
    tail = ["GET"] if reads_back(emulator) else []
    assert [m for m, _ in api_calls(emulator)] == ["POST", "GET", "PATCH", *tail]
    assert instructions(emulator) == [["updateExperimentFields"]]
    assert stored(emulator)["name"] == "Checkout button placement"
    assert outputs["name"] == "Checkout button placement"
    assert len(emulator.experiments("shop", "dev")) == 1


def test_refresh_shows_iteration_started_in_the_ui_then_up_stops_it(
    host: ProviderHost, emulator: Emulator
) -> None:
    stack = Stack(host)
    stack.up(declaration())
    httpx.patch(
        f"{emulator.url}{ITEM}",
        headers={
            "Authorization": TOKEN,
            "Content-Type": "application/json; domain-model=launchdarkly.semanticpatch",
        },
        content=json.dumps({"instructions": [{"kind": "startIteration"}]}),
    ).raise_for_status()
    assert stack.refresh()
    assert stack.inputs["state"] == "running"
    assert stack.outputs["currentIteration"]["status"] == "running"
    assert stack.changes(declaration(state="running")) == "none"
    news, _ = host.check("exp", stack.inputs, declaration())
    assert host.diff(stack.id, "exp", olds=stack.outputs, news=news).changes == "some"
    # From the refreshed state, stopping it with a winner works and is then clean.
    winner = declaration(state="stopped", winningTreatment="Top")
    stack.up(winner)
    assert stored(emulator)["currentIteration"]["status"] == "stopped"
    assert stack.changes(winner) == "none"


def test_provider_running_rules_match_the_apis_mutable_fields_by_status(
    host: ProviderHost, emulator: Emulator
) -> None:
    Stack(host).up(declaration(state="running"))
    answer = httpx.get(
        f"{emulator.url}{ITEM}",
        params={"expand": "mutableFieldsByStatus"},
        headers={"Authorization": TOKEN},
    )
    running = answer.json()["mutableFieldsByStatus"]["running"]
    assert {k: sorted(v) for k, v in running.items()} == {
        k: sorted(v) for k, v in plan.MUTABLE_WHILE_RUNNING.items()
    }


def test_analysis_change_while_running_needs_a_new_iteration(
    host: ProviderHost, emulator: Emulator
) -> None:
    stack = Stack(host)
    stack.up(declaration(state="running"))
    _, failures = host.check(
        "exp", stack.inputs, declaration(state="running", methodology="frequentist")
    )
    assert [f.property for f in failures] == ["iteration"]
    assert "methodology" in failures[0].reason

    emulator.clear_requests()
    stack.up(
        declaration(state="running", methodology="frequentist", onRunningChange="new_iteration")
    )
    (instruction,) = emulator.requests()[0]["body"]["instructions"]
    assert instruction["kind"] == "saveAndStartNewIteration"
    assert instruction["value"]["methodology"] == {"operation": "update", "value": "frequentist"}
    live = stored(emulator)
    assert live["methodology"] == "frequentist"
    assert live["currentIteration"]["status"] == "running"
    assert len(live["previousIterations"]) == 1

    # Renaming a running experiment is in place: no new iteration.
    emulator.clear_requests()
    stack.up(
        declaration(
            state="running",
            methodology="frequentist",
            onRunningChange="new_iteration",
            name="Renamed while running",
        )
    )
    (instruction,) = emulator.requests()[0]["body"]["instructions"]
    assert instruction["kind"] == "updateExperimentFields"
    assert len(stored(emulator)["previousIterations"]) == 1


def test_draft_to_stopped_starts_then_stops_with_the_started_ids(
    host: ProviderHost, emulator: Emulator
) -> None:
    stack = Stack(host)
    stack.up(declaration())
    emulator.clear_requests()
    stopped = declaration(state="stopped", winningTreatment="Top", winningReason="No time")
    outputs = stack.up(stopped)
    # Two PATCHes: LaunchDarkly may renew treatment ids at a start, so the winner's id comes
    # from the started iteration.
    assert instructions(emulator) == [["startIteration"], ["stopIteration"]]
    top = outputs["currentIteration"]["treatmentIds"]["Top"]
    current = stored(emulator)["currentIteration"]
    assert current["winningTreatmentId"] == top
    assert (current["status"], current["winningReason"]) == ("stopped", "No time")
    assert outputs["currentIteration"]["winningTreatment"] == "Top"
    assert stack.changes(stopped) == "none"


def test_redesign_after_stop_makes_a_new_draft_then_runs_it(
    host: ProviderHost, emulator: Emulator
) -> None:
    stack = Stack(host)
    stack.up(declaration(state="running"))
    stack.up(declaration(state="stopped", winningTreatment="Top"))
    _, failures = host.check(
        "exp",
        stack.inputs,
        declaration(state="stopped", winningTreatment="Top", iteration=redesigned()),
    )
    assert [f.property for f in failures] == ["iteration"]
    assert "state='draft'" in failures[0].reason
    emulator.clear_requests()
    rerun = declaration(state="running", iteration=redesigned())
    outputs = stack.up(rerun)
    assert instructions(emulator) == [["updateExperimentFields", "startIteration"]]
    live = stored(emulator)
    assert live["currentIteration"]["hypothesis"] == "Bottom wins on mobile"
    assert live["currentIteration"]["status"] == "running"
    assert [i["status"] for i in live["previousIterations"]] == ["stopped"]
    assert outputs["iteration"]["hypothesis"] == "Bottom wins on mobile"
    assert stack.changes(rerun) == "none"
