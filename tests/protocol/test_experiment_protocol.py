"""The provider through the real host over gRPC, against the emulator over loopback HTTP."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ld_emulator import Emulator
from tests.support.declarations import declaration
from tests.support.engine import ProviderCallError, ProviderHost, normalize_numbers
from tests.support.profiles import one_profile

from .conftest import TOKEN, api_calls, with_read_backs

EXPERIMENTS = "/api/v2/projects/shop/environments/dev/experiments"


def created(
    host: ProviderHost, name: str = "exp", **overrides: Any
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    inputs, failures = host.check(name, {}, declaration(**overrides))
    assert failures == []
    id_, outputs = host.create(name, inputs)
    return id_, normalize_numbers(outputs), inputs


@one_profile  # no request at all
def test_check_validates_without_any_http(host: ProviderHost, emulator: Emulator) -> None:
    inputs, failures = host.check("exp", {}, declaration(methodology="bayes"))
    assert [(f.property, "bayesian" in f.reason) for f in failures] == [("methodology", True)]
    inputs, failures = host.check("exp", {}, declaration())
    assert failures == []
    assert inputs["tags"] == ["checkout", "web"]
    assert api_calls(emulator) == []


def test_create_makes_one_post_and_returns_every_output(
    host: ProviderHost, emulator: Emulator
) -> None:
    id_, outputs, _ = created(host)
    assert id_ == "shop/dev/checkout-button"
    assert api_calls(emulator) == with_read_backs(emulator, [("POST", EXPERIMENTS)])
    stored = emulator.experiment("shop", "dev", "checkout-button")
    assert stored is not None
    assert stored["name"] == "Checkout button placement"
    assert stored["currentIteration"]["status"] == "not_started"
    assert outputs["experimentId"] == stored["_id"]
    assert outputs["creationDate"] == stored["_creationDate"]
    assert outputs.get("archivedDate") is None  # None values do not cross the wire
    # Derivable or empty outputs are not kept: API links (spelled by the id), no earlier
    # iterations, unset iteration facts.
    assert "links" not in outputs and "previousIterations" not in outputs
    current = outputs["currentIteration"]
    assert None not in current.values() and "endedAt" not in current
    assert current["id"] == stored["currentIteration"]["_id"]
    assert current["status"] == "not_started"
    live_ids = {t["name"]: t["_id"] for t in stored["currentIteration"]["treatments"]}
    assert current["treatmentIds"] == live_ids
    sent = emulator.requests()[0]["body"]
    assert sent["iteration"]["treatments"][0]["allocationPercent"] == "50"
    assert "projectKey" not in sent and "state" not in sent


def test_diff_none_some_and_replace_without_http(host: ProviderHost, emulator: Emulator) -> None:
    id_, outputs, inputs = created(host)
    emulator.clear_requests()
    same, _ = host.check("exp", inputs, declaration(tags=["web", "checkout", "web"]))
    assert host.diff(id_, "exp", olds=outputs, news=same, old_inputs=inputs).changes == "none"
    renamed, _ = host.check("exp", inputs, declaration(name="Renamed"))
    outcome = host.diff(id_, "exp", olds=outputs, news=renamed, old_inputs=inputs)
    assert (outcome.changes, outcome.replaces) == ("some", [])
    moved, _ = host.check("exp", inputs, declaration(key="checkout-button-v2"))
    outcome = host.diff(id_, "exp", olds=outputs, news=moved, old_inputs=inputs)
    assert (outcome.changes, outcome.replaces) == ("some", ["key"])
    assert api_calls(emulator) == []


def test_update_patches_in_place_with_update_experiment_fields(
    host: ProviderHost, emulator: Emulator
) -> None:
    id_, outputs, inputs = created(host)
    emulator.clear_requests()
    news, _ = host.check(
        "exp", inputs, declaration(name="Renamed", description="Why", tags=["web"])
    )
    new_outputs = normalize_numbers(
        host.update(id_, "exp", olds=outputs, news=news, old_inputs=inputs)
    )
    assert api_calls(emulator) == with_read_backs(
        emulator, [("PATCH", f"{EXPERIMENTS}/checkout-button")]
    )
    patch = emulator.requests()[0]
    assert "domain-model=launchdarkly.semanticpatch" in patch["headers"]["Content-Type"]
    (instruction,) = patch["body"]["instructions"]
    assert instruction["kind"] == "updateExperimentFields"
    assert instruction["value"]["name"] == {"operation": "update", "value": "Renamed"}
    assert instruction["value"]["tags"] == {"operation": "update", "value": ["web"]}
    stored = emulator.experiment("shop", "dev", "checkout-button")
    assert stored is not None
    assert (stored["name"], stored["description"], stored["tags"]) == ("Renamed", "Why", ["web"])
    assert new_outputs["name"] == "Renamed" and new_outputs["tags"] == ["web"]
    assert new_outputs["experimentId"] == outputs["experimentId"]
    # Identical inputs after the update: no spurious diff.
    again, _ = host.check("exp", news, declaration(name="Renamed", description="Why", tags=["web"]))
    assert host.diff(id_, "exp", olds=new_outputs, news=again, old_inputs=news).changes == "none"


def test_iteration_design_change_on_a_draft_is_in_place(
    host: ProviderHost, emulator: Emulator
) -> None:
    id_, outputs, inputs = created(host)
    emulator.clear_requests()
    design = declaration()["iteration"]
    design["hypothesis"] = "Bottom wins"
    design["treatments"][0]["allocationPercent"] = "30"
    design["treatments"][1]["allocationPercent"] = "70"
    news, failures = host.check("exp", inputs, declaration(iteration=design))
    assert failures == []
    new_outputs = host.update(id_, "exp", olds=outputs, news=news, old_inputs=inputs)
    assert [m for m, _ in api_calls(emulator)] == with_read_backs(emulator, ["PATCH"])
    stored = emulator.experiment("shop", "dev", "checkout-button")
    assert stored is not None
    iteration = stored["currentIteration"]
    assert iteration["hypothesis"] == "Bottom wins"
    assert [t["allocationPercent"] for t in iteration["treatments"]] == ["30", "70"]
    assert iteration["_id"] == outputs["currentIteration"]["id"], "same draft iteration"
    assert new_outputs["iteration"]["hypothesis"] == "Bottom wins"


def test_refresh_records_drift_and_next_preview_is_truthful(
    host: ProviderHost, emulator: Emulator
) -> None:
    id_, outputs, inputs = created(host)
    # Someone renames the experiment in the LaunchDarkly UI.
    httpx.patch(
        f"{emulator.url}{EXPERIMENTS}/checkout-button",
        headers={
            "Authorization": TOKEN,
            "Content-Type": "application/json; domain-model=launchdarkly.semanticpatch",
        },
        content=json.dumps({"instructions": [{"kind": "updateName", "value": "Edited in UI"}]}),
    ).raise_for_status()
    emulator.clear_requests()
    read_id, live_outputs, live_inputs = host.read(id_, "exp", outputs=outputs, inputs=inputs)
    assert read_id == id_
    assert [m for m, _ in api_calls(emulator)] == ["GET"]
    assert live_outputs["name"] == "Edited in UI"
    assert live_inputs is not None and live_inputs["name"] == "Edited in UI"
    assert normalize_numbers(live_inputs["iteration"]) == normalize_numbers(inputs["iteration"])
    # The program still declares the old name: the preview shows exactly that change.
    news, _ = host.check("exp", live_inputs, declaration())
    outcome = host.diff(id_, "exp", olds=live_outputs, news=news, old_inputs=live_inputs)
    assert (outcome.changes, outcome.replaces) == ("some", [])
    # And a refresh with no drift leaves nothing to change.
    news, _ = host.check("exp", live_inputs, declaration(name="Edited in UI"))
    assert host.diff(id_, "exp", olds=live_outputs, news=news).changes == "none"


def test_refresh_of_a_vanished_experiment_reports_it_gone(host: ProviderHost) -> None:
    gone_id, _, _ = host.read(
        "shop/dev/never-existed",
        "ghost",
        outputs={"projectKey": "shop", "environmentKey": "dev", "key": "never-existed"},
    )
    assert gone_id == ""


def test_delete_archives_and_is_idempotent(host: ProviderHost, emulator: Emulator) -> None:
    id_, outputs, inputs = created(host)
    emulator.clear_requests()
    host.delete(id_, "exp", outputs=outputs, old_inputs=inputs)
    assert api_calls(emulator) == [("PATCH", f"{EXPERIMENTS}/checkout-button")]
    assert emulator.requests()[0]["body"]["instructions"] == [{"kind": "archiveExperiment"}]
    stored = emulator.experiment("shop", "dev", "checkout-button")
    assert stored is not None and stored.get("archivedDate")
    host.delete(id_, "exp", outputs=outputs, old_inputs=inputs)  # already archived: fine
    # Archived means gone for Pulumi's refresh.
    assert host.read(id_, "exp", outputs=outputs, inputs=inputs)[0] == ""
    missing = {**outputs, "key": "never-existed"}
    host.delete("shop/dev/never-existed", "ghost", outputs=missing)


def test_existing_key_is_a_clear_error_that_mentions_adopt(
    host: ProviderHost, emulator: Emulator
) -> None:
    created(host)
    inputs, _ = host.check("twin", {}, declaration(name="Someone else's"))
    try:
        host.create("twin", inputs)
    except ProviderCallError as exc:
        message = exc.details
    else:  # pragma: no cover - the assertion below explains
        raise AssertionError("creating a taken key must fail")
    assert "create experiment shop/dev/checkout-button" in message
    assert "adopt=True" in message
    assert TOKEN not in message
    assert len(emulator.experiments("shop", "dev")) == 1


def test_no_token_in_provider_blob_outputs_or_host_logs(
    host: ProviderHost, emulator: Emulator
) -> None:
    _, outputs, inputs = created(host)
    for artifact in (host.serialized_provider, json.dumps(outputs), json.dumps(inputs)):
        assert TOKEN not in artifact
    assert TOKEN not in host.stderr_text()
