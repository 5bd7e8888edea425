"""State written by earlier code keeps working: refresh, update and destroy with its blob.

Each fixture was recorded once, through the real provider host, by older code: the pickled
``__provider`` string the engine stores in every resource's state, the inputs and outputs of a
running experiment, and the emulator's document for that experiment (so the emulator holds
exactly what the state describes, ids included). ``state_v0_1_0.json`` is release 0.1.0's;
``state_main_before_kinds.json`` main's just before resource kinds became declarations, for an
experiment declared by names (so its outputs hold ``resolvedReferences``). They must never be
regenerated: their point is that they were written by older code.
"""

from __future__ import annotations

import base64
import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime._serialization import _serialize

from launchdarkly_experiments.provider import ExperimentProvider
from ld_emulator import Emulator
from tests.support.engine import PROVIDER_KEY, ProviderHost, normalize_numbers

from .conftest import TOKEN, with_read_backs

FIXTURES_DIR = Path(__file__).parents[1] / "fixtures"
RECORDED = ("state_v0_1_0.json", "state_main_before_kinds.json")
NAME = "checkout-button"


@pytest.fixture(scope="module", params=RECORDED)
def recorded(request: pytest.FixtureRequest) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES_DIR / request.param).read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def old_host(emulator: Emulator, recorded: dict[str, Any]) -> Iterator[ProviderHost]:
    """A provider host that is sent nothing but the recorded blob."""
    env = {k: "" for k in os.environ if k.startswith("LAUNCHDARKLY_")}
    with ProviderHost(ExperimentProvider(), env=env) as running:
        # Every call of this host carries the recorded string, never one pickled today.
        running.serialized_provider = recorded["provider"]
        running.configure(
            {"launchdarkly:accessToken": TOKEN, "launchdarkly:apiHost": emulator.url},
            secret_keys={"launchdarkly:accessToken"},
        )
        yield running


@pytest.fixture
def seeded(emulator: Emulator, recorded: dict[str, Any]) -> dict[str, Any]:
    """The emulator holds the experiment the recorded state describes."""
    document = copy.deepcopy(recorded["emulatorDocument"])
    emulator.store.insert(
        document["projectKey"], document["environmentKey"], document["key"], document
    )
    return document


def test_the_recorded_blob_is_a_reference_to_the_provider_class(
    recorded: dict[str, Any],
) -> None:
    raw = base64.b64decode(recorded["provider"])
    assert b"launchdarkly_experiments.provider" in raw and b"ExperimentProvider" in raw
    # Today's release pickles to the very same string, so upgrading changes no state.
    today, _ = _serialize(True, serialize_provider, ExperimentProvider())
    assert today == recorded["provider"]


def test_refresh_with_old_state_finds_no_drift(
    old_host: ProviderHost, emulator: Emulator, seeded: dict[str, Any], recorded: dict[str, Any]
) -> None:
    old_provider = recorded["provider"]

    def with_old_provider(props: dict[str, Any]) -> dict[str, Any]:
        return {**copy.deepcopy(props), PROVIDER_KEY: old_provider}

    id_, outputs, inputs = old_host.read(
        recorded["id"],
        NAME,
        outputs=with_old_provider(recorded["outputs"]),
        inputs=with_old_provider(recorded["inputs"]),
    )
    assert id_ == recorded["id"]
    assert outputs.pop(PROVIDER_KEY) == old_provider
    assert inputs is not None and inputs.pop(PROVIDER_KEY) == old_provider
    # The same values, in today's shape: what is derivable or empty is no longer written.
    assert normalize_numbers(outputs) == todays_shape(recorded["outputs"])
    assert normalize_numbers(inputs) == recorded["inputs"]
    assert [r["method"] for r in emulator.requests()] == ["GET"]


def todays_shape(old_outputs: dict[str, Any]) -> dict[str, Any]:
    """Outputs as earlier releases wrote them, in the shape written today: no ``links``, no empty
    ``previousIterations``, no unset (null) iteration facts."""
    shaped = {k: v for k, v in old_outputs.items() if k != "links" and v not in (None, [])}
    if isinstance(shaped.get("currentIteration"), dict):
        current = shaped["currentIteration"]
        shaped["currentIteration"] = {k: v for k, v in current.items() if v is not None}
    return shaped


def test_preview_with_old_state_shaped_as_before_plans_nothing(
    old_host: ProviderHost, emulator: Emulator, seeded: dict[str, Any], recorded: dict[str, Any]
) -> None:
    # Outputs of the old shape (``links``, empty lists, nulls) stay outputs: the same
    # declaration checks and diffs clean against them, without a request.
    old_provider = recorded["provider"]
    old_inputs = {**copy.deepcopy(recorded["inputs"]), PROVIDER_KEY: old_provider}
    old_outputs = {**copy.deepcopy(recorded["outputs"]), PROVIDER_KEY: old_provider}
    assert "links" in old_outputs
    emulator.clear_requests()
    news, failures = old_host.check(NAME, old_inputs, old_inputs)
    assert failures == []
    outcome = old_host.diff(
        recorded["id"], NAME, olds=old_outputs, news=news, old_inputs=old_inputs
    )
    assert (outcome.changes, outcome.replaces) == ("none", [])
    assert [r for r in emulator.requests() if r["method"] != "GET"] == []


def test_update_with_old_state_stops_with_a_winner_then_destroy(
    old_host: ProviderHost, emulator: Emulator, seeded: dict[str, Any], recorded: dict[str, Any]
) -> None:
    old_provider = recorded["provider"]

    def with_old_provider(props: dict[str, Any]) -> dict[str, Any]:
        return {**copy.deepcopy(props), PROVIDER_KEY: old_provider}

    old_inputs = with_old_provider(recorded["inputs"])
    old_outputs = with_old_provider(recorded["outputs"])
    declaration = {
        **copy.deepcopy(recorded["inputs"]),
        "name": "Checkout button placement (decided)",
        "state": "stopped",
        "winningTreatment": "Top",
        "winningReason": "More completed checkouts",
    }
    news, failures = old_host.check(NAME, old_inputs, with_old_provider(declaration))
    assert failures == []
    outcome = old_host.diff(
        recorded["id"], NAME, olds=old_outputs, news=news, old_inputs=old_inputs
    )
    assert (outcome.changes, outcome.replaces) == ("some", [])

    emulator.clear_requests()
    outputs = normalize_numbers(
        old_host.update(recorded["id"], NAME, olds=old_outputs, news=news, old_inputs=old_inputs)
    )
    # One PATCH: the winner's id comes from the recorded outputs, no re-read was needed
    # (a GET follows only where the write's answer leaves out the treatments); then the flag,
    # for the variation the stop shipped (its name and value in the `shipped` output).
    assert [r["method"] for r in emulator.requests()] == with_read_backs(emulator, ["PATCH", "GET"])
    patch = emulator.requests()[0]
    kinds = [i["kind"] for i in patch["body"]["instructions"]]
    assert kinds == ["updateExperimentFields", "stopIteration"]
    top_id = recorded["outputs"]["currentIteration"]["treatmentIds"]["Top"]
    live = emulator.experiment("shop", "dev", NAME)
    assert live is not None
    assert live["name"] == "Checkout button placement (decided)"
    assert live["currentIteration"]["status"] == "stopped"
    assert live["currentIteration"]["winningTreatmentId"] == top_id
    assert outputs["currentIteration"]["winningTreatment"] == "Top"
    assert outputs["experimentId"] == recorded["outputs"]["experimentId"]

    # The next preview is clean, still with the old blob.
    news_inputs = {k: v for k, v in news.items() if k != PROVIDER_KEY}
    again, failures = old_host.check(
        NAME, with_old_provider(news_inputs), with_old_provider(declaration)
    )
    assert failures == []
    outcome = old_host.diff(
        recorded["id"], NAME, olds=outputs, news=again, old_inputs=with_old_provider(news_inputs)
    )
    assert outcome.changes == "none"

    old_host.delete(recorded["id"], NAME, outputs=outputs, old_inputs=news_inputs)
    live = emulator.experiment("shop", "dev", NAME)
    assert live is not None and live.get("archivedDate")
