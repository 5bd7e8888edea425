"""State written by release 0.1.0 keeps working: refresh, update and destroy with its blob.

``tests/fixtures/state_v0_1_0.json`` was recorded once, through the real provider host, by the
0.1.0 code: the pickled ``__provider`` string the engine stores in every resource's state, the
inputs and outputs of a running experiment, and the emulator's document for that experiment (so
the emulator holds exactly what the state describes, ids included). It must never be
regenerated: its point is that it was written by an older release.
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

FIXTURE = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "state_v0_1_0.json").read_text(encoding="utf-8")
)
OLD_PROVIDER: str = FIXTURE["provider"]
NAME = "checkout-button"


@pytest.fixture(scope="module")
def old_host(emulator: Emulator) -> Iterator[ProviderHost]:
    """A provider host that is sent nothing but the 0.1.0 blob."""
    env = {k: "" for k in os.environ if k.startswith("LAUNCHDARKLY_")}
    with ProviderHost(ExperimentProvider(), env=env) as running:
        # Every call of this host carries the recorded string, never one pickled today.
        running.serialized_provider = OLD_PROVIDER
        running.configure(
            {"launchdarkly:accessToken": TOKEN, "launchdarkly:apiHost": emulator.url},
            secret_keys={"launchdarkly:accessToken"},
        )
        yield running


@pytest.fixture
def seeded(emulator: Emulator) -> dict[str, Any]:
    """The emulator holds the experiment the recorded state describes."""
    document = copy.deepcopy(FIXTURE["emulatorDocument"])
    emulator.store.insert(
        document["projectKey"], document["environmentKey"], document["key"], document
    )
    return document


def with_old_provider(props: dict[str, Any]) -> dict[str, Any]:
    return {**copy.deepcopy(props), PROVIDER_KEY: OLD_PROVIDER}


def test_the_recorded_blob_is_a_reference_to_the_provider_class() -> None:
    raw = base64.b64decode(OLD_PROVIDER)
    assert b"launchdarkly_experiments.provider" in raw and b"ExperimentProvider" in raw
    # Today's release pickles to the very same string, so upgrading changes no state.
    today, _ = _serialize(True, serialize_provider, ExperimentProvider())
    assert today == OLD_PROVIDER


def test_refresh_with_old_state_finds_no_drift(
    old_host: ProviderHost, emulator: Emulator, seeded: dict[str, Any]
) -> None:
    id_, outputs, inputs = old_host.read(
        FIXTURE["id"],
        NAME,
        outputs=with_old_provider(FIXTURE["outputs"]),
        inputs=with_old_provider(FIXTURE["inputs"]),
    )
    assert id_ == FIXTURE["id"]
    assert outputs.pop(PROVIDER_KEY) == OLD_PROVIDER
    assert inputs is not None and inputs.pop(PROVIDER_KEY) == OLD_PROVIDER
    assert normalize_numbers(outputs) == FIXTURE["outputs"]
    assert normalize_numbers(inputs) == FIXTURE["inputs"]
    assert [r["method"] for r in emulator.requests()] == ["GET"]


def test_update_with_old_state_stops_with_a_winner_then_destroy(
    old_host: ProviderHost, emulator: Emulator, seeded: dict[str, Any]
) -> None:
    old_inputs = with_old_provider(FIXTURE["inputs"])
    old_outputs = with_old_provider(FIXTURE["outputs"])
    declaration = {
        **copy.deepcopy(FIXTURE["inputs"]),
        "name": "Checkout button placement (decided)",
        "state": "stopped",
        "winningTreatment": "Top",
        "winningReason": "More completed checkouts",
    }
    news, failures = old_host.check(NAME, old_inputs, with_old_provider(declaration))
    assert failures == []
    outcome = old_host.diff(FIXTURE["id"], NAME, olds=old_outputs, news=news, old_inputs=old_inputs)
    assert (outcome.changes, outcome.replaces) == ("some", [])

    emulator.clear_requests()
    outputs = normalize_numbers(
        old_host.update(FIXTURE["id"], NAME, olds=old_outputs, news=news, old_inputs=old_inputs)
    )
    # One PATCH: the winner's id comes from the recorded outputs, no re-read was needed
    # (a GET follows only where the write's answer leaves out the treatments); then the flag,
    # for the variation the stop shipped (its name and value in the `shipped` output).
    assert [r["method"] for r in emulator.requests()] == with_read_backs(emulator, ["PATCH", "GET"])
    patch = emulator.requests()[0]
    kinds = [i["kind"] for i in patch["body"]["instructions"]]
    assert kinds == ["updateExperimentFields", "stopIteration"]
    top_id = FIXTURE["outputs"]["currentIteration"]["treatmentIds"]["Top"]
    live = emulator.experiment("shop", "dev", NAME)
    assert live is not None
    assert live["name"] == "Checkout button placement (decided)"
    assert live["currentIteration"]["status"] == "stopped"
    assert live["currentIteration"]["winningTreatmentId"] == top_id
    assert outputs["currentIteration"]["winningTreatment"] == "Top"
    assert outputs["experimentId"] == FIXTURE["outputs"]["experimentId"]

    # The next preview is clean, still with the old blob.
    news_inputs = {k: v for k, v in news.items() if k != PROVIDER_KEY}
    again, failures = old_host.check(
        NAME, with_old_provider(news_inputs), with_old_provider(declaration)
    )
    assert failures == []
    outcome = old_host.diff(
        FIXTURE["id"], NAME, olds=outputs, news=again, old_inputs=with_old_provider(news_inputs)
    )
    assert outcome.changes == "none"

    old_host.delete(FIXTURE["id"], NAME, outputs=outputs, old_inputs=news_inputs)
    live = emulator.experiment("shop", "dev", NAME)
    assert live is not None and live.get("archivedDate")
