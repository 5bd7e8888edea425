"""Reference checks at check time, through the real provider host (validateReferences)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from launchdarkly_experiments.provider import ExperimentProvider
from ld_emulator import Emulator
from tests.support import fixture_ids as ids
from tests.support.declarations import declaration
from tests.support.engine import ProviderCallError, ProviderHost

TOKEN = "api-references-protocol-token"


def blank_env() -> dict[str, str]:
    return {k: "" for k in os.environ if k.startswith("LAUNCHDARKLY_")}


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(tokens=(TOKEN,)) as emu:
        yield emu


def host_for(emulator: Emulator, **config: str) -> ProviderHost:
    host = ProviderHost(ExperimentProvider(), env=blank_env())
    host.start()
    settings = {"launchdarkly:apiHost": emulator.url, **config}
    secret = {"launchdarkly:accessToken"} & set(settings)
    host.configure(settings, secret_keys=secret)
    return host


def broken() -> dict[str, Any]:
    props = declaration(holdoutId="no-such-holdout")
    it = props["iteration"]
    it["metrics"][1]["key"] = "revenue"
    it["treatments"][1]["parameters"][0]["variationId"] = "Bottom"
    it["flags"]["checkout-button"]["ruleId"] = "Gamma customers"
    it["randomizationUnit"] = "team"
    return props


def writes(emulator: Emulator) -> list[str]:
    return [r["method"] for r in emulator.requests() if r["method"] != "GET"]


def test_with_a_token_check_reports_every_missing_reference(emulator: Emulator) -> None:
    emulator.reset()
    host = host_for(emulator, **{"launchdarkly:accessToken": TOKEN})
    try:
        _, failures = host.check("exp", {}, broken())
        found = {f.property: f.reason for f in failures}
        assert set(found) == {
            "holdoutId",
            "iteration.metrics[1].key",
            "iteration.treatments[1].parameters[0].variationId",
            "iteration.flags.checkout-button.ruleId",
            "iteration.randomizationUnit",
        }, found
        assert "q4-holdout" in found["holdoutId"]
        assert (
            "write variation: 'Bottom'"
            in found["iteration.treatments[1].parameters[0].variationId"]
        )
        # The same references again, from other resources: answered from the cache.
        first = len(emulator.requests())
        for name in ("a", "b", "c"):
            host.check(name, {}, broken())
        assert len(emulator.requests()) == first
        _, ok = host.check("ok", {}, declaration())
        assert ok == []
        assert writes(emulator) == [], "check never writes"
    finally:
        host.close()


def test_without_a_token_preview_stays_offline_and_says_so_once(emulator: Emulator) -> None:
    emulator.reset()
    host = host_for(emulator)
    try:
        for name in ("a", "b"):
            _, failures = host.check(name, {}, broken())
            assert failures == []
        stderr = host.wait_for_stderr("were not checked")
        assert stderr.count("were not checked") == 1
        assert emulator.requests() == []
    finally:
        host.close()


def test_never_turns_the_lookups_off(emulator: Emulator) -> None:
    emulator.reset()
    host = host_for(
        emulator,
        **{"launchdarkly:accessToken": TOKEN, "launchdarkly:validateReferences": "never"},
    )
    try:
        _, failures = host.check("exp", {}, broken())
        assert failures == [] and emulator.requests() == []
    finally:
        host.close()


def test_always_without_a_token_is_one_clear_failure(emulator: Emulator) -> None:
    emulator.reset()
    host = host_for(emulator, **{"launchdarkly:validateReferences": "always"})
    try:
        _, failures = host.check("exp", {}, declaration())
        (failure,) = failures
        assert failure.reason.startswith("references could not be checked: no LaunchDarkly")
        assert "\n" not in failure.reason
    finally:
        host.close()


# -- names instead of ids, resolved at create and update ------------------------------------------


def by_name() -> dict[str, Any]:
    """The declaration with variation names, a rule description and no flag version."""
    props = declaration()
    it = props["iteration"]
    for treatment in it["treatments"]:
        parameter = treatment["parameters"][0]
        parameter["variation"] = treatment["name"]
        del parameter["variationId"]
    it["flags"] = {"checkout-button": {"ruleId": "Beta customers"}}
    return props


def test_names_are_resolved_at_create_and_kept_as_written(emulator: Emulator) -> None:
    emulator.reset()
    host = host_for(emulator, **{"launchdarkly:accessToken": TOKEN})
    try:
        inputs, failures = host.check("exp", {}, by_name())
        assert failures == []
        id_, outputs = host.create("exp", inputs)
        stored = emulator.experiment("shop", "dev", "checkout-button")
        assert stored is not None
        live_it = stored["currentIteration"]
        assert live_it["flags"]["checkout-button"]["targetingRule"] == ids.RULE_BETA
        assert live_it["flags"]["checkout-button"]["flagConfigVersion"] == 3
        assert {t["name"]: t["parameters"][0]["variationId"] for t in live_it["treatments"]} == {
            "Top": ids.TOP,
            "Bottom": ids.BOTTOM,
        }
        # Outputs keep the names as written, and record what they resolved to.
        assert outputs["iteration"]["flags"] == {"checkout-button": {"ruleId": "Beta customers"}}
        assert outputs["iteration"]["treatments"][0]["parameters"] == [
            {"flagKey": "checkout-button", "variation": "Top"}
        ]
        assert outputs["resolvedReferences"] == {
            "iteration.flags.checkout-button.flagConfigVersion": 3,
            "iteration.flags.checkout-button.ruleId": ids.RULE_BETA,
            "iteration.treatments[0].parameters[0].variationId": ids.TOP,
            "iteration.treatments[1].parameters[0].variationId": ids.BOTTOM,
        }
        assert host.diff(id_, "exp", olds=outputs, news=inputs).changes == "none"

        # The flag moves on to a new version: neither refresh nor preview sees a change.
        move_on = {"kind": "updateOffVariation", "variationId": ids.TOP}
        emulator.patch_flag(
            "shop", "checkout-button", {"environmentKey": "dev", "instructions": [move_on]}
        )
        _, refreshed, refreshed_inputs = host.read(id_, "exp", outputs=outputs, inputs=inputs)
        assert refreshed["iteration"] == outputs["iteration"]
        assert refreshed["resolvedReferences"] == outputs["resolvedReferences"]
        assert refreshed_inputs is not None
        assert host.diff(id_, "exp", olds=refreshed, news=inputs).changes == "none"

        # An update that does not touch the flags keeps the version the experiment has.
        emulator.clear_requests()
        news, failures = host.check("exp", refreshed_inputs, {**by_name(), "name": "Renamed"})
        assert failures == []
        updated = host.update(id_, "exp", olds=refreshed, news=news)
        assert [r["method"] for r in emulator.requests()] == ["PATCH"]
        assert updated["name"] == "Renamed"
        assert (
            updated["resolvedReferences"]["iteration.flags.checkout-button.flagConfigVersion"] == 3
        )
        assert host.diff(id_, "exp", olds=updated, news=news).changes == "none"
    finally:
        host.close()


def test_an_unknown_name_fails_create_naming_field_flag_and_names(emulator: Emulator) -> None:
    emulator.reset()
    host = host_for(
        emulator,
        **{"launchdarkly:accessToken": TOKEN, "launchdarkly:validateReferences": "never"},
    )
    props = by_name()
    props["iteration"]["treatments"][1]["parameters"][0]["variation"] = "Sideways"
    try:
        inputs, failures = host.check("exp", {}, props)
        assert failures == []  # references not checked at preview here: create finds it
        with pytest.raises(ProviderCallError) as info:
            host.create("exp", inputs)
    finally:
        host.close()
    details = info.value.details
    assert "create experiment shop/dev/checkout-button" in details
    assert "iteration.treatments[1].parameters[0].variation" in details
    assert "flag 'checkout-button' has no variation named 'Sideways'" in details
    assert "'Top' (value \"top\")" in details
    assert writes(emulator) == []


def test_a_parameter_needs_a_variation_or_its_id(emulator: Emulator) -> None:
    props = by_name()
    del props["iteration"]["treatments"][0]["parameters"][0]["variation"]
    host = host_for(emulator)
    try:
        _, failures = host.check("exp", {}, props)
    finally:
        host.close()
    assert [(f.property, "neither is set" in f.reason) for f in failures] == [
        ("iteration.treatments[0].parameters[0]", True)
    ]


def test_a_start_forgets_the_lookups_of_its_own_flags_only(emulator: Emulator) -> None:
    """A start changes what the started experiment's flags serve (and their version), not the
    other flags: an experiment on another flag, checked before the start, is created after it
    without reading its flag again (one GET fewer per such experiment in a programme)."""
    emulator.reset()
    host = host_for(emulator, **{"launchdarkly:accessToken": TOKEN})
    pricing = declaration(key="pricing-order", name="Pricing order")
    pricing["iteration"]["treatments"] = [
        {
            "name": name,
            **({"baseline": True} if name == "Control" else {}),
            "allocationPercent": "50",
            "parameters": [{"flagKey": "pricing-page", "variation": name}],
        }
        for name in ("Control", "Annual first")
    ]
    pricing["iteration"]["flags"] = {"pricing-page": {"ruleId": "fallthrough"}}
    try:
        pricing_inputs, failures = host.check("pricing", {}, pricing)
        assert failures == []
        checkout_inputs, failures = host.check("checkout", {}, declaration(state="running"))
        assert failures == []
        host.create("checkout", checkout_inputs)  # POST, then startIteration

        emulator.clear_requests()
        host.create("pricing", pricing_inputs)
        flag_reads = [r["path"] for r in emulator.requests() if "/flags/" in r["path"]]
        assert flag_reads == []  # its names resolve from the read made at check
        # The started experiment's own flag is read again: what it serves has changed.
        emulator.clear_requests()
        host.check("checkout", {}, declaration(state="running"))
        flag_reads = [r["path"] for r in emulator.requests() if "/flags/" in r["path"]]
        assert flag_reads == ["/api/v2/flags/shop/checkout-button"]
    finally:
        host.close()
