"""What real LaunchDarkly does (verified against a live account), through both adapters under
both emulator profiles: a service token needs a maintainer, one running experiment per flag
rule, stopping with a winner ships it, and the calls the provider never makes.

Sources: shared/research/launchdarkly-live-verified.md; docs/emulator.md lists each fact.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ld_emulator import PROFILES, Emulator
from tests.support import fixture_ids
from tests.support.declarations import declaration
from tests.support.engine import ProviderCallError, ProviderHost
from tests.support.stack import Stack

from .conftest import TOKEN, provider_host

SERVICE_TOKEN = "api-service-token-5c1d"
MEMBER_ID = fixture_ids.MEMBER
BOTTOM, BETA_RULE = fixture_ids.BOTTOM, fixture_ids.RULE_BETA


@pytest.fixture(scope="module", params=sorted(PROFILES))
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    with Emulator(tokens=(TOKEN,), service_tokens=(SERVICE_TOKEN,), profile=request.param) as emu:
        yield emu


@pytest.fixture(params=["dynamic", "native"])
def adapter(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def settings(emulator: Emulator, token: str = TOKEN, **more: str) -> dict[str, str]:
    return {"accessToken": token, "apiHost": emulator.url, **more}


def flag_environment(emulator: Emulator, env: str = "dev") -> dict[str, Any]:
    answer = httpx.get(
        f"{emulator.url}/api/v2/flags/shop/checkout-button",
        params={"env": env},
        headers={"Authorization": TOKEN},
    )
    answer.raise_for_status()
    config: dict[str, Any] = answer.json()["environments"][env]
    return config


def flag_version(config: dict[str, Any]) -> int:
    version = config.get("_version", config.get("version"))
    assert isinstance(version, int)
    return version


def writes(emulator: Emulator) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if r["method"] != "GET"]


# -- a service token needs a maintainer ----------------------------------------------------------


def test_a_service_token_without_a_maintainer_fails_the_preview_naming_both_places(
    emulator: Emulator, adapter: str
) -> None:
    with provider_host(adapter, settings(emulator, SERVICE_TOKEN)) as host:
        _, failures = host.check("exp", {}, declaration())
    found = {f.property: f.reason for f in failures}
    assert set(found) == {"maintainerId"}, found
    namespace = "launchdarkly" if adapter == "dynamic" else "launchdarkly-experiments"
    assert "service token" in found["maintainerId"]
    assert f"{namespace}:maintainerId" in found["maintainerId"]
    assert "LAUNCHDARKLY_MAINTAINER_ID" in found["maintainerId"]
    assert writes(emulator) == []


def test_a_service_token_without_a_maintainer_fails_the_create_naming_both_places(
    emulator: Emulator, adapter: str
) -> None:
    unchecked = settings(emulator, SERVICE_TOKEN, validateReferences="never")
    with provider_host(adapter, unchecked) as host:
        inputs, failures = host.check("exp", {}, declaration())
        assert failures == []
        with pytest.raises(ProviderCallError) as raised:
            host.create("exp", inputs)
    message = raised.value.details
    assert "service token" in message
    assert "maintainerId" in message and "LAUNCHDARKLY_MAINTAINER_ID" in message
    assert emulator.experiment("shop", "dev", "checkout-button") is None


def test_the_provider_maintainer_setting_fills_in_for_a_service_token(
    emulator: Emulator, adapter: str
) -> None:
    with provider_host(adapter, settings(emulator, SERVICE_TOKEN, maintainerId=MEMBER_ID)) as host:
        stack = Stack(host)
        outputs = stack.up(declaration())
        assert outputs["effectiveMaintainerId"] == MEMBER_ID
        # A default for the create, not a declaration: no input, so no change without it.
        assert "maintainerId" not in stack.inputs
        # An unknown member is refused, whether declared or from the setting.
        _, declared = host.check("other", {}, declaration(key="other", maintainerId="nobody"))
    with provider_host(adapter, settings(emulator, SERVICE_TOKEN, maintainerId="nobody")) as host:
        _, from_setting = host.check("other", {}, declaration(key="other"))
    with provider_host(adapter, settings(emulator)) as host:
        # Previewed by someone with a member token and no maintainer setting: no change.
        stack.host = host
        assert stack.changes(declaration()) == "none"
    held = emulator.experiment("shop", "dev", "checkout-button")
    assert held is not None and held["_maintainerId"] == MEMBER_ID
    assert [f.property for f in declared] == ["maintainerId"]
    assert "no member with id 'nobody' in" in declared[0].reason
    assert [f.property for f in from_setting] == ["maintainerId"]
    assert "no member with id 'nobody' (from " in from_setting[0].reason


def test_a_member_token_needs_no_maintainer(emulator: Emulator, adapter: str) -> None:
    with provider_host(adapter, settings(emulator)) as host:
        _, failures = host.check("exp", {}, declaration())
    assert failures == []


# -- one running experiment per flag rule --------------------------------------------------------


def running(key: str, rule: str = "fallthrough", **more: Any) -> dict[str, Any]:
    """Running on ``rule`` of the flag, at its current version (a start may move it on)."""
    props = declaration(key=key, state="running", **more)
    props["iteration"]["flags"]["checkout-button"] = {"ruleId": rule}
    return props


def test_a_rule_in_another_running_experiment_fails_the_preview_naming_it(
    emulator: Emulator, adapter: str
) -> None:
    with provider_host(adapter, settings(emulator)) as host:
        Stack(host, "first").up(running("first"))
        _, failures = host.check("second", {}, running("second"))
        _, on_another_rule = host.check("third", {}, running("third", rule="Beta customers"))
        _, as_draft = host.check("draft", {}, declaration(key="draft"))
    (failure,) = failures
    assert failure.property == "iteration.flags.checkout-button.ruleId"
    assert "running experiment 'first'" in failure.reason
    assert on_another_rule == [] and as_draft == []


def test_two_experiments_on_one_rule_fail_the_start_naming_both_without_retrying(
    emulator: Emulator, adapter: str
) -> None:
    unchecked = settings(emulator, validateReferences="never")
    with provider_host(adapter, unchecked) as host:
        Stack(host, "first").up(running("first", rule=BETA_RULE))
        emulator.clear_requests()
        with pytest.raises(ProviderCallError) as raised:
            Stack(host, "second").up(running("second", rule=BETA_RULE))
    first_line = raised.value.details.splitlines()[0]
    assert "shop/dev/second" in first_line and "running experiment 'first'" in first_line
    starts = [
        r
        for r in emulator.requests()
        if r["method"] == "PATCH"
        and any(i["kind"] == "startIteration" for i in r["body"]["instructions"])
    ]
    assert len(starts) == 1, "a conflict with another experiment is not retried"
    second = emulator.experiment("shop", "dev", "second")
    assert second is None or second.get("archivedDate") is not None, "no orphan is left"


# -- stopping with a winner ships it -------------------------------------------------------------


def test_stopping_with_a_winner_ships_it_and_a_new_iteration_uses_the_new_flag_version(
    emulator: Emulator, adapter: str
) -> None:
    # The flag version left out: resolved to the flag's current version, and again for the
    # iteration that follows the shipped one.
    props = declaration(state="running")
    del props["iteration"]["flags"]["checkout-button"]["flagConfigVersion"]
    with provider_host(adapter, settings(emulator, validateReferences="never")) as host:
        stack = Stack(host)
        stack.up(props)
        before = flag_version(flag_environment(emulator))
        stopped = copy.deepcopy(props)
        stopped.update(state="stopped", winningTreatment="Bottom")
        outputs = stack.up(stopped)
        assert outputs["shipped"] == {
            "checkout-button": {
                "variationId": BOTTOM,
                "variationName": "Bottom",
                "value": "bottom",
                "ruleId": "fallthrough",
            }
        }
        served = flag_environment(emulator)
        assert served["fallthrough"] == {"variation": 1}  # Bottom's index
        assert flag_version(served) > before

        # Refresh records no change; the shipped output stays.
        assert stack.refresh()
        assert stack.changes(stopped) == "none"
        assert stack.outputs["shipped"] == outputs["shipped"]

        restarted = copy.deepcopy(props)
        restarted["onStopped"] = "restart"
        outputs = stack.up(restarted)
    live = emulator.experiment("shop", "dev", "checkout-button")
    assert live is not None
    assert live["currentIteration"]["status"] == "running"
    new_version = live["currentIteration"]["flags"]["checkout-button"]["flagConfigVersion"]
    assert new_version == flag_version(served)
    assert outputs.get("shipped") is None
    assert "flagConfigVersion" not in outputs["iteration"]["flags"]["checkout-button"]


# -- calls the provider never makes --------------------------------------------------------------

DEPRECATED = {"updateName", "updateDescription"}


def test_a_whole_lifecycle_uses_no_deprecated_call_and_never_deletes(
    host: ProviderHost, emulator: Emulator
) -> None:
    stack = Stack(host)
    stack.up(declaration(description="first"))
    stack.up(declaration(name="Renamed", description="second", state="running"))
    changed = declaration(name="Renamed", state="running", onRunningChange="new_iteration")
    changed["iteration"]["hypothesis"] = "A new hypothesis"
    stack.up(changed)
    stack.up({**changed, "state": "stopped", "winningTreatment": "Top"})
    stack.destroy()
    requests = emulator.requests()
    assert requests, "the lifecycle made requests"
    assert all(r["method"] != "DELETE" for r in requests)
    assert not [r for r in requests if r["path"].endswith("/iterations")]
    kinds = {
        i["kind"] for r in requests if r["method"] == "PATCH" for i in r["body"]["instructions"]
    }
    assert kinds & DEPRECATED == set()
    assert {"updateExperimentFields", "saveAndStartNewIteration", "archiveExperiment"} <= kinds


def test_an_experiment_cannot_be_deleted_only_archived(emulator: Emulator) -> None:
    answer = httpx.delete(
        f"{emulator.url}/api/v2/projects/shop/environments/dev/experiments/anything",
        headers={"Authorization": TOKEN},
    )
    assert answer.status_code == 405


# -- a token set after the last `pulumi up` --------------------------------------------------------


def test_refresh_and_destroy_without_a_token_say_why_and_what_to_do(
    emulator: Emulator, adapter: str
) -> None:
    with provider_host(adapter, settings(emulator)) as host:
        stack = Stack(host)
        stack.up(declaration())
    tokenless = {"apiHost": emulator.url}
    with provider_host(adapter, tokenless) as host:
        for call in (
            lambda: host.read(stack.id, "exp", outputs=stack.outputs, inputs=stack.inputs),
            lambda: host.delete(stack.id, "exp", outputs=stack.outputs, old_inputs=stack.inputs),
        ):
            with pytest.raises(ProviderCallError) as raised:
                call()
            assert "no LaunchDarkly access token" in raised.value.details
            assert "--run-program" in raised.value.details
            assert "LAUNCHDARKLY_ACCESS_TOKEN" in raised.value.details
    with (
        provider_host(adapter, settings(emulator, "revoked-token")) as host,
        pytest.raises(ProviderCallError) as raised,
    ):
        host.read(stack.id, "exp", outputs=stack.outputs, inputs=stack.inputs)
    assert "401" in raised.value.details and "--run-program" in raised.value.details
