"""The Holdout kind through both adapters over gRPC, against the emulator under each profile.

Holdouts are built in project lab, which has none: each test makes the metrics it measures
through the emulator's API. Each operation's requests are counted.
"""

from __future__ import annotations

from typing import Any

import pytest

from launchdarkly_experiments.core.kinds import Holdout
from ld_emulator import Emulator
from tests.support.engine import ProviderCallError, ProviderHost, normalize_numbers
from tests.support.fixture_ids import MEMBER
from tests.support.ld_api import Api, holdouts
from tests.support.profiles import one_profile

from .conftest import TOKEN, api_calls, checked_and_created, plain

KIND = Holdout
HOLDOUTS = holdouts("lab", "dev")
Q1 = f"{HOLDOUTS}/q1"


def declared(**overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "projectKey": "lab",
        "environmentKey": "dev",
        "key": "q1",
        "name": "Q1 holdout",
        "holdoutAmount": 5,
        "primaryMetricKey": "signed-up",
    }
    props.update(overrides)
    return {k: v for k, v in props.items() if v is not None}


@pytest.fixture
def api(emulator: Emulator) -> Api:
    made = Api(emulator, TOKEN)
    made.metric("signed-up")
    made.metric("bought")
    emulator.clear_requests()
    return made


def created(host: ProviderHost, **overrides: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    return checked_and_created(host, "q1", declared(**overrides))


@one_profile  # no request at all
def test_check_reports_every_problem_at_once(host: ProviderHost, emulator: Emulator) -> None:
    broken = declared(
        holdoutAmount=0,
        metrics=[{"key": "bought"}, {"key": "bought"}],
        primaryMetricKey="signed-up",
        holdoutamount="5",
    )
    _, failures = host.check("q1", {}, broken)
    found = {f.property: f.reason for f in failures}
    assert set(found) == {"holdoutAmount", "holdoutamount", "metrics[1].key", "primaryMetricKey"}
    assert "above 0 and up to 100; got 0" in found["holdoutAmount"]
    assert "did you mean 'holdoutAmount'" in found["holdoutamount"]
    assert "'signed-up' is not one of metrics ('bought', 'bought')" in found["primaryMetricKey"]
    inputs, failures = host.check("q1", {}, declared(holdoutAmount="2.50", adopt=False))
    assert failures == []
    assert plain(inputs) == declared(holdoutAmount="2.5")
    assert api_calls(emulator) == []


def test_lifecycle_one_request_per_operation(
    host: ProviderHost, emulator: Emulator, api: Api
) -> None:
    id_, outputs, inputs = created(host, description="Held out of Q1", attributes=["country"])
    assert id_ == "lab/dev/q1"
    assert api_calls(emulator) == [("POST", HOLDOUTS)]
    sent = emulator.requests()[0]["body"]
    assert sent == {
        "key": "q1",
        "name": "Q1 holdout",
        "holdoutamount": "5",
        "description": "Held out of Q1",
        "primarymetrickey": "signed-up",
        "attributes": ["country"],
    }
    live = api.get(Q1)
    assert outputs["holdoutId"] == live["_id"] and outputs["status"] == "running"
    # The server's defaults (unit, metrics, maintainer) stay out: they were not declared.
    assert "randomizationUnit" not in outputs and "maintainerId" not in outputs

    # Refresh of an unchanged holdout: one GET, nothing changes.
    emulator.clear_requests()
    read_id, refreshed, read_inputs = host.read(id_, "q1", outputs=outputs, inputs=inputs)
    assert (read_id, plain(normalize_numbers(refreshed))) == (id_, plain(outputs))
    assert plain(read_inputs) == plain(inputs)
    assert api_calls(emulator) == [("GET", Q1)]

    # Name and description change in place; the key replaces; adopt is never a change.
    emulator.clear_requests()
    renamed, failures = host.check("q1", inputs, declared(name="Q1 web", attributes=["country"]))
    assert failures == []
    outcome = host.diff(id_, "q1", olds=outputs, news=renamed, old_inputs=inputs)
    assert (outcome.changes, outcome.replaces) == ("some", [])
    moved, _ = host.check("q1", inputs, declared(key="q2", description="Held out of Q1"))
    assert host.diff(id_, "q1", olds=outputs, news=moved).replaces == ["key"]
    same, _ = host.check(
        "q1", inputs, declared(description="Held out of Q1", attributes=["country"], adopt=True)
    )
    assert host.diff(id_, "q1", olds=outputs, news=same).changes == "none"
    assert api_calls(emulator) == []

    updated = normalize_numbers(host.update(id_, "q1", olds=outputs, news=renamed))
    assert api_calls(emulator) == [("PATCH", Q1)]
    assert emulator.requests()[0]["body"]["instructions"] == [
        {"kind": "updateName", "value": "Q1 web"},
        {"kind": "updateDescription", "value": ""},
    ]
    assert updated["name"] == "Q1 web" and "description" not in updated
    assert api.get(Q1)["baseExperiment"]["name"] == "Q1 web"

    # Delete ends it, says so, and an ended holdout reads as gone.
    emulator.clear_requests()
    host.delete(id_, "q1", outputs=updated)
    assert api_calls(emulator) == [("PATCH", Q1)]
    assert emulator.requests()[0]["body"]["instructions"] == [{"kind": "endHoldout"}]
    assert api.get(Q1)["status"] == "ended"
    host.wait_for_stderr("no delete for holdouts")
    assert host.read(id_, "q1", outputs=updated)[0] == ""

    # Its key cannot be declared again: a holdout cannot restart.
    again, _ = host.check("q1", {}, declared())
    with pytest.raises(ProviderCallError) as refused:
        host.create("q1", again)
    assert "create holdout lab/dev/q1" in refused.value.details
    assert "has ended, and a holdout cannot restart" in refused.value.details
    assert len(api.get(HOLDOUTS)["items"]) == 1


def test_what_cannot_change_is_refused_at_preview(
    host: ProviderHost, emulator: Emulator, api: Api
) -> None:
    id_, outputs, inputs = created(host, randomizationUnit="user")
    emulator.clear_requests()
    _, failures = host.check(
        "q1", inputs, declared(holdoutAmount=10, randomizationUnit="organization", name="New")
    )
    assert {f.property for f in failures} == {"holdoutAmount", "randomizationUnit"}
    assert all("give the holdout a new key" in f.reason for f in failures)
    # With a new key it is a replacement, which is allowed.
    _, failures = host.check("q1", inputs, declared(key="q1-b", holdoutAmount=10))
    assert failures == []
    # Leaving out a server default (the unit) is no change.
    left_out, failures = host.check("q1", inputs, declared())
    assert failures == []
    assert host.diff(id_, "q1", olds=outputs, news=left_out).changes == "none"
    assert api_calls(emulator) == []


def test_drift_is_found_and_import_rebuilds_the_declaration(
    host: ProviderHost, emulator: Emulator, api: Api
) -> None:
    id_, outputs, inputs = created(host)
    api.patch(Q1, {"kind": "updateName", "value": "Renamed in the UI"})
    _, refreshed, read_inputs = host.read(id_, "q1", outputs=outputs, inputs=inputs)
    assert refreshed["name"] == "Renamed in the UI"
    assert read_inputs is not None and read_inputs["name"] == "Renamed in the UI"
    if host.serialized_provider:
        return  # `pulumi import`: native only (the engine reads a dynamic one without it)
    emulator.clear_requests()
    imported_id, state, imported = host.read(id_, "q1", outputs=None, inputs=None)
    assert api_calls(emulator) == [("GET", Q1)]
    assert imported_id == id_
    assert imported == {
        "projectKey": "lab",
        "environmentKey": "dev",
        "key": "q1",
        "name": "Renamed in the UI",
        "holdoutAmount": "5",
        "primaryMetricKey": "signed-up",
        "randomizationUnit": "user",
        "metrics": [{"key": "signed-up"}],
        "maintainerId": MEMBER,
    }
    # The program need not repeat the server's defaults: no change.
    program, failures = host.check("q1", imported, declared(name="Renamed in the UI"))
    assert failures == []
    assert host.diff(id_, "q1", olds=normalize_numbers(state), news=program).changes == "none"


def test_an_existing_key_is_refused_or_adopted(
    host: ProviderHost, emulator: Emulator, api: Api
) -> None:
    api.holdout("q1", name="Made in the UI", primarymetrickey="signed-up")
    emulator.clear_requests()
    inputs, _ = host.check("q1", {}, declared())
    with pytest.raises(ProviderCallError) as refused:
        host.create("q1", inputs)
    assert "create holdout lab/dev/q1" in refused.value.details
    assert "already exists in lab/dev" in refused.value.details
    assert "adopt=True" in refused.value.details
    assert api_calls(emulator) == [("POST", HOLDOUTS), ("GET", Q1)]

    emulator.clear_requests()
    inputs, _ = host.check("q1", {}, declared(adopt=True, holdoutAmount=10))
    with pytest.raises(ProviderCallError) as differs:
        host.create("q1", inputs)
    assert "cannot adopt holdout 'q1'" in differs.value.details
    assert "holdoutAmount" in differs.value.details

    emulator.clear_requests()
    inputs, _ = host.check("q1", {}, declared(adopt=True))
    _, outputs = host.create("q1", inputs)
    assert api_calls(emulator) == [("POST", HOLDOUTS), ("GET", Q1), ("PATCH", Q1)]
    assert outputs["name"] == "Q1 holdout" and outputs["adopt"] is True
    assert len(api.get(HOLDOUTS)["items"]) == 1


def test_unknown_outcomes_are_read_back_before_anything_is_sent_again(
    host: ProviderHost, emulator: Emulator, api: Api
) -> None:
    emulator.faults.drop_next(1, method="POST", path=f"{HOLDOUTS}$", after_processing=True)
    id_, outputs, inputs = created(host)
    assert api_calls(emulator) == [("POST", HOLDOUTS), ("GET", Q1)]
    assert len(api.get(HOLDOUTS)["items"]) == 1 and outputs["status"] == "running"

    emulator.clear_requests()
    emulator.faults.drop_next(1, method="PATCH", path=f"{Q1}$", after_processing=True)
    renamed, _ = host.check("q1", inputs, declared(name="Renamed"))
    updated = normalize_numbers(host.update(id_, "q1", olds=outputs, news=renamed))
    assert api_calls(emulator) == [("PATCH", Q1), ("GET", Q1)]
    assert updated["name"] == "Renamed"

    emulator.clear_requests()
    emulator.faults.drop_next(1, method="PATCH", path=f"{Q1}$", after_processing=True)
    host.delete(id_, "q1", outputs=updated)
    assert api_calls(emulator) == [("PATCH", Q1), ("GET", Q1)]
    assert api.get(Q1)["status"] == "ended"


def test_ending_a_holdout_with_a_running_experiment(host: ProviderHost, emulator: Emulator) -> None:
    api = Api(emulator, TOKEN)
    props = {
        "projectKey": "shop",
        "environmentKey": "dev",
        "key": "q1",
        "name": "Q1",
        "holdoutAmount": "5",
        "primaryMetricKey": "checkout-completed",
    }
    inputs, _ = host.check("q1", {}, props)
    id_, outputs = host.create("q1", inputs)
    api.experiment("in-q1", holdoutId=outputs["holdoutId"], start=True)
    if "in-use-refused" in emulator.profile:
        with pytest.raises(ProviderCallError) as refused:
            host.delete(id_, "q1", outputs=outputs)
        assert "delete holdout shop/dev/q1: LaunchDarkly answered 400" in refused.value.details
        assert "in-q1" in refused.value.details
        assert api.get(holdouts("shop") + "/q1")["status"] == "running"
    else:
        host.delete(id_, "q1", outputs=outputs)
        assert api.get(holdouts("shop") + "/q1")["status"] == "ended"
