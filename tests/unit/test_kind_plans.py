"""The Holdout, Layer and ExperimentationSettings kinds' rules and plans, and the shared pieces
of a reliable create and update (core/kinds/operations.py), without I/O."""

from __future__ import annotations

from typing import Any

import pytest

from launchdarkly_experiments.core.kinds import ExperimentationSettings, Holdout, Layer
from launchdarkly_experiments.core.kinds.experimentation_settings import state as settings
from launchdarkly_experiments.core.kinds.holdout import state as holdout
from launchdarkly_experiments.core.kinds.holdout.models import HoldoutSpec
from launchdarkly_experiments.core.kinds.holdout.rules import change_problems
from launchdarkly_experiments.core.kinds.layer import state as layer
from launchdarkly_experiments.core.kinds.operations import (
    Origin,
    converge,
    create_once,
    exists_error,
)
from launchdarkly_experiments.core.rules import validation_problems
from launchdarkly_experiments.errors import (
    ConflictError,
    InvalidRequestError,
    LaunchDarklyError,
    OutcomeUnknown,
)
from launchdarkly_experiments.http.client import LaunchDarklyClient, RetryPolicy

HOLDOUT = {
    "projectKey": "lab",
    "environmentKey": "dev",
    "key": "q1",
    "name": "Q1",
    "holdoutAmount": "5",
}


def client() -> LaunchDarklyClient:
    """A client whose retry waits take no time (the functions under test send nothing)."""
    return LaunchDarklyClient(
        "token", "http://127.0.0.1:9", retry=RetryPolicy(deadline=5), sleep=lambda _: None
    )


def refused(status: int = 400) -> InvalidRequestError:
    return InvalidRequestError(status, "invalid_request", "exists", method="POST", path="/x")


# -- holdout --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "ok"),
    [(5, "5"), ("2.50", "2.5"), (100, "100"), (0, None), (100.5, None), (True, None), ("x", None)],
)
def test_a_holdout_amount_is_above_0_and_up_to_100(amount: Any, ok: str | None) -> None:
    problems = validation_problems(Holdout.rules, {**HOLDOUT, "holdoutAmount": amount})
    if ok is None:
        assert [p.property for p in problems] == ["holdoutAmount"]
    else:
        assert problems == []
        assert HoldoutSpec.model_validate({**HOLDOUT, "holdoutAmount": amount}).holdout_amount == ok


def test_what_a_holdout_change_may_not_do() -> None:
    old = {**HOLDOUT, "randomizationUnit": "user", "attributes": ["country"]}
    # In place: name and description; a new address is a replacement.
    assert change_problems(old, {**old, "name": "New", "description": "d"}) == []
    assert change_problems(old, {**old, "key": "q2", "holdoutAmount": "9"}) == []
    # Fixed: amount, attributes removed, unit changed.
    new = {**HOLDOUT, "holdoutAmount": "9", "randomizationUnit": "organization"}
    assert [p.property for p in change_problems(old, new)] == [
        "holdoutAmount",
        "randomizationUnit",
        "attributes",
    ]
    # A server default left out of either side is no change.
    assert change_problems(old, {**HOLDOUT, "attributes": ["country"]}) == []
    assert change_problems(HOLDOUT, {**HOLDOUT, "maintainerId": "m"}) == []


def test_a_holdout_is_created_with_lower_case_keys_and_patched_by_name() -> None:
    spec = HoldoutSpec.model_validate(
        {**HOLDOUT, "metrics": [{"key": "a", "isGroup": True}], "prerequisiteFlagKey": "f"}
    )
    assert holdout.post_body(spec, "member-1") == {
        "key": "q1",
        "name": "Q1",
        "holdoutamount": "5",
        "prerequisiteflagkey": "f",
        "maintainerId": "member-1",
        "metrics": [{"key": "a", "isGroup": True}],
    }
    live = {**HOLDOUT, "description": "old"}
    assert holdout.instructions(live, {**HOLDOUT, "name": "New"}) == [
        {"kind": "updateName", "value": "New"},
        {"kind": "updateDescription", "value": ""},
    ]
    assert holdout.instructions(HOLDOUT, {**HOLDOUT, "adopt": True}) == []


# -- layer ----------------------------------------------------------------------------------------


def reservation(experiment: str, percent: int, environment: str = "dev") -> dict[str, Any]:
    return {
        "environmentKey": environment,
        "experimentKey": experiment,
        "reservationPercent": percent,
    }


def test_reservation_instructions_free_room_before_taking_it() -> None:
    steps = layer.reservation_instructions({"a": 60, "b": 30, "c": 10}, {"d": 10, "b": 80, "a": 5})
    assert [(s["kind"], s["experimentKey"]) for s in steps] == [
        ("removeExperiment", "c"),
        ("updateExperimentReservation", "a"),  # lowered
        ("updateExperimentReservation", "d"),  # new
        ("updateExperimentReservation", "b"),  # raised
    ]


def test_a_layer_plan_is_one_patch_per_environment_with_the_name_riding_along() -> None:
    live = {"name": "L", "reservations": [reservation("a", 10), reservation("a", 20, "staging")]}
    desired = {"name": "New", "reservations": [reservation("a", 10), reservation("b", 5, "prod")]}
    first = layer.next_patch(live, desired)
    assert first == {
        "environmentKey": "prod",
        "instructions": [
            {"kind": "updateName", "name": "New"},
            {"kind": "updateExperimentReservation", "experimentKey": "b", "reservationPercent": 5},
        ],
    }
    after = {"name": "New", "reservations": [*desired["reservations"], live["reservations"][1]]}
    assert layer.next_patch(after, desired) == {
        "environmentKey": "staging",
        "instructions": [{"kind": "removeExperiment", "experimentKey": "a"}],
    }
    assert layer.next_patch(desired, desired) is None
    assert layer.next_patch({"name": "L"}, {"name": "L", "description": "d"}) == {
        "instructions": [{"kind": "updateDescription", "description": "d"}]
    }


def test_a_layer_delete_removes_only_what_it_made() -> None:
    made = [reservation("a", 10), reservation("b", 10, "staging")]
    live = {"reservations": [reservation("a", 10), reservation("other", 50)]}
    assert layer.removal_patch(live, made) == {
        "environmentKey": "dev",
        "instructions": [{"kind": "removeExperiment", "experimentKey": "a"}],
    }
    assert layer.removal_patch({"reservations": [reservation("other", 50)]}, made) is None


def test_layer_rules_and_order() -> None:
    props = {"projectKey": "shop", "key": "l", "name": "L"}
    many = [reservation("a", 70), reservation("b", 40), reservation("a", 1, "staging")]
    problems = validation_problems(Layer.rules, {**props, "reservations": many})
    assert [p.property for p in problems] == ["reservations"]
    assert "'dev' add up to 110%" in problems[0].message
    reordered = layer.ordered_like(list(reversed(many)), many)
    assert reordered == many


# -- experimentation settings ---------------------------------------------------------------------


def test_units_have_one_canonical_form() -> None:
    first = [{"randomizationUnit": "user", "default": True}, {"randomizationUnit": "org"}]
    none = [{"randomizationUnit": "user"}, {"randomizationUnit": "org"}]
    assert settings.canonical(first) == settings.canonical(none) == none
    second = [{"randomizationUnit": "user"}, {"randomizationUnit": "org", "default": True}]
    assert settings.canonical(second) == second
    assert settings.default_unit(second) == "org"
    assert settings.put_body(none) == {
        "randomizationUnits": [
            {"randomizationUnit": "user", "default": True},
            {"randomizationUnit": "org", "default": False},
        ]
    }
    assert settings.same_units(none, first) and not settings.same_units(none, second)


def test_settings_rules() -> None:
    props = {
        "projectKey": "lab",
        "randomizationUnits": [
            {"randomizationUnit": "user", "default": True},
            {"randomizationUnit": "user", "default": True},
        ],
    }
    problems = validation_problems(ExperimentationSettings.rules, props)
    assert [p.property for p in problems] == [
        "randomizationUnits",
        "randomizationUnits[1].randomizationUnit",
    ]


# -- the shared pieces ----------------------------------------------------------------------------


def test_create_once_reads_back_after_an_unknown_outcome() -> None:
    sent: list[str] = []
    existing: list[str] = []

    def post() -> str:
        sent.append("POST")
        if len(sent) == 1:
            existing.append("ours")  # landed, but the answer was lost
            raise OutcomeUnknown("cut off")
        raise AssertionError("never sent again")

    made = create_once(
        client(),
        "thing t",
        post=post,
        find=lambda: existing[0] if existing else None,
        is_ours=lambda found: found == "ours",
        take_over=lambda found: False,
        exists=lambda: exists_error("thing", "t", "p"),
    )
    assert made == ("ours", Origin.OURS) and sent == ["POST"]


def test_create_once_decides_on_a_key_that_exists() -> None:
    def post() -> str:
        raise refused()

    common: dict[str, Any] = {
        "post": post,
        "is_ours": lambda found: False,
        "exists": lambda: exists_error("thing", "t", "project 'p'"),
    }
    # A refusal whose key has no object is a genuine refusal.
    with pytest.raises(InvalidRequestError):
        create_once(client(), "thing t", find=lambda: None, take_over=lambda f: True, **common)
    with pytest.raises(ConflictError) as exists:
        create_once(client(), "thing t", find=lambda: "x", take_over=lambda f: False, **common)
    assert "adopt=True" in str(exists.value) and "project 'p'" in str(exists.value)
    taken = create_once(client(), "thing t", find=lambda: "x", take_over=lambda f: True, **common)
    assert taken == ("x", Origin.TAKEN_OVER)


def test_converge_never_applies_a_step_twice() -> None:
    server = {"name": "old"}
    sends: list[str] = []

    def send(step: str) -> dict[str, str]:
        sends.append(step)
        server["name"] = step
        if len(sends) == 1:
            raise OutcomeUnknown("timed out")  # applied, answer lost
        return dict(server)

    done = converge(
        client(),
        live={"name": "old"},
        fresh=False,
        plan=lambda live: None if live["name"] == "new" else "new",
        send=send,
        read=lambda: dict(server),
    )
    assert done == {"name": "new"} and sends == ["new"]


def test_converge_replans_a_refusal_of_stale_state_once_and_names_what_landed() -> None:
    server = {"a": 0, "b": 0}

    def send(step: str) -> dict[str, int]:
        if step == "b":
            raise refused()
        server[step] = 1
        return dict(server)

    with pytest.raises(InvalidRequestError) as caught:
        converge(
            client(),
            live={"a": 0, "b": 0},
            fresh=True,
            plan=lambda live: next((k for k in ("a", "b") if live[k] == 0), None),
            send=send,
            read=lambda: dict(server),
        )
    assert "Already applied in LaunchDarkly before this failure: a." in caught.value.__notes__[0]
    # Planned on stale state and refused: planned again on a fresh read, which needs nothing.
    stale_sends: list[str] = []

    def stale_send(step: str) -> dict[str, int]:
        stale_sends.append(step)
        raise refused()

    done = converge(
        client(),
        live={"a": 0},
        fresh=False,
        plan=lambda live: None if live["a"] else "a",
        send=stale_send,
        read=lambda: {"a": 1},
    )
    assert done == {"a": 1} and stale_sends == ["a"]


def test_converge_gives_up_on_a_plan_that_never_settles() -> None:
    with pytest.raises(LaunchDarklyError, match="did not reach the declared state"):
        converge(
            client(),
            live=0,
            fresh=True,
            plan=lambda live: "again",
            send=lambda step: 0,
            read=lambda: 0,
        )
