"""No silent restarts: a stopped iteration starts again only with an explicit opt-in."""

from __future__ import annotations

from typing import Any

from ld_emulator import Emulator
from tests.support.engine import ProviderHost
from tests.support.stack import Stack

from .conftest import api_calls
from .test_edge_cases import decl, external_patch, failure_of, iteration, stored

NOTICE = "starts a new iteration after the stopped one"


def stopped_in_the_ui(host: ProviderHost, emulator: Emulator) -> Stack:
    """A running experiment stopped in the LaunchDarkly UI, then refreshed."""
    stack = Stack(host)
    stack.up(decl(state="running"))
    top = stack.outputs["currentIteration"]["treatmentIds"]["Top"]
    external_patch(emulator, [{"kind": "stopIteration", "winningTreatmentId": top}])
    assert stack.refresh()
    assert stack.inputs["state"] == "stopped"
    return stack


def refusal(host: ProviderHost, stack: Stack, declaration: dict[str, Any]) -> list[Any]:
    _, failures = host.check("exp", stack.inputs, declaration)
    return failures


def test_the_unchanged_program_does_not_restart_an_iteration_stopped_in_the_ui(
    host: ProviderHost, emulator: Emulator
) -> None:
    stack = stopped_in_the_ui(host, emulator)
    emulator.clear_requests()
    (failure,) = refusal(host, stack, decl(state="running"))
    assert failure.property == "state"
    assert "the iteration is stopped; state='running' would start a new iteration" in (
        failure.reason
    )
    assert "on_stopped='restart'" in failure.reason and "state='stopped'" in failure.reason
    assert api_calls(emulator) == []
    assert stored(emulator)["currentIteration"]["status"] == "stopped"
    # Declaring what happened is clean.
    assert stack.changes(decl(state="stopped", winningTreatment="Top")) == "none"


def test_on_stopped_restart_shows_the_notice_and_starts_a_new_iteration(
    host: ProviderHost, emulator: Emulator
) -> None:
    stack = stopped_in_the_ui(host, emulator)
    declaration = decl(state="running", onStopped="restart")
    news, outcome = stack.preview(declaration)
    assert news["iterationChange"].startswith(NOTICE)
    assert outcome is not None and outcome.changes == "some"
    stack.up(declaration)
    live = stored(emulator)
    assert live["currentIteration"]["status"] == "running"
    assert [i["status"] for i in live["previousIterations"]] == ["stopped"]
    assert stack.changes(declaration) == "none"


def test_a_changed_design_with_state_running_is_explicit_enough(
    host: ProviderHost, emulator: Emulator
) -> None:
    stack = stopped_in_the_ui(host, emulator)
    declaration = decl(state="running", iteration=iteration(hypothesis="Second try"))
    news, _ = stack.preview(declaration)
    assert news["iterationChange"].startswith(NOTICE)
    stack.up(declaration)
    assert stored(emulator)["currentIteration"]["status"] == "running"
    assert stored(emulator)["currentIteration"]["hypothesis"] == "Second try"


def test_without_a_refresh_nothing_restarts_either(host: ProviderHost, emulator: Emulator) -> None:
    """State still says running: the update's answer shows the stop, and the plan refuses."""
    stack = Stack(host)
    stack.up(decl(state="running"))
    top = stack.outputs["currentIteration"]["treatmentIds"]["Top"]
    external_patch(emulator, [{"kind": "stopIteration", "winningTreatmentId": top}])
    message = failure_of(lambda: stack.up(decl(state="running", name="Renamed")))
    assert "update experiment shop/dev/checkout-button: state: the iteration is stopped" in message
    assert "on_stopped='restart'" in message and "pulumi refresh" in message
    live = stored(emulator)
    assert live["name"] == "Renamed"
    assert live["currentIteration"]["status"] == "stopped"
    assert "previousIterations" not in live or live["previousIterations"] == []
