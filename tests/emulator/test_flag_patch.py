"""``PATCH /api/v2/flags/{projectKey}/{featureFlagKey}`` as a semantic patch: change a flag's
targeting the way the UI does. Every accepted change increments the environment's
``_version``; the serving of a rule a running iteration uses cannot change (409, verified
live for the fallthrough)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ld_emulator import ApiError, Emulator
from tests.support.fixture_ids import BOTTOM, RULE_BETA, TOP

from .conftest import (
    HEADERS,
    RO_TOKEN,
    SEMANTIC,
    SERVICE_TOKEN,
    Api,
    assert_error,
    assert_schema,
    iteration,
    on_rule,
)

FLAG = "/api/v2/flags/shop/checkout-button"


def _patch(
    client: httpx.Client, *instructions: dict[str, Any], env: str | None = "dev", **query: str
) -> httpx.Response:
    body: dict[str, Any] = {"instructions": list(instructions)}
    if env is not None:
        body["environmentKey"] = env
    return client.patch(FLAG, json=body, headers={"Content-Type": SEMANTIC}, params=query)


def _dev(client: httpx.Client) -> dict[str, Any]:
    return dict(client.get(FLAG).json()["environments"]["dev"])


def test_changing_the_fallthrough_increments_the_targeting_version(api: Api) -> None:
    # one profile: a flag PATCH reaches no strict point, and the only difference in how the
    # profiles render a flag (environments.<env>.version) is test_flag_serving.py's
    client = api.client
    response = _patch(
        client, {"kind": "updateFallthroughVariationOrRollout", "variationId": BOTTOM}
    )
    flag = assert_schema(response, 200, "FeatureFlag")
    assert set(flag["environments"]) == {"dev", "staging", "production"}
    dev = flag["environments"]["dev"]
    assert (dev["fallthrough"], dev["_version"], flag["_version"]) == ({"variation": 1}, 4, 2)
    assert flag["environments"]["staging"]["_version"] == 3
    assert _dev(client)["fallthrough"] == {"variation": 1}
    # an instruction that is already satisfied changes nothing, and counts nothing
    again = _patch(client, {"kind": "updateFallthroughVariationOrRollout", "variationId": BOTTOM})
    assert assert_schema(again, 200, "FeatureFlag")["environments"]["dev"]["_version"] == 4


def test_every_emulated_instruction(client: httpx.Client, api: Api) -> None:
    weights = {TOP: 30000, BOTTOM: 70000}
    response = _patch(
        client,
        {
            "kind": "updateFallthroughVariationOrRollout",
            "rolloutWeights": weights,
            "rolloutBucketBy": "email",
            "rolloutContextKind": "user",
        },
        {"kind": "updateRuleVariationOrRollout", "ruleId": RULE_BETA, "variationId": BOTTOM},
        {"kind": "updateRuleDescription", "ruleId": RULE_BETA, "description": "Beta testers"},
        {"kind": "updateOffVariation", "variationId": TOP},
        {"kind": "turnFlagOff"},
    )
    dev = assert_schema(response, 200, "FeatureFlag")["environments"]["dev"]
    assert dev["fallthrough"] == {
        "rollout": {
            "variations": [{"variation": 0, "weight": 30000}, {"variation": 1, "weight": 70000}],
            "contextKind": "user",
            "bucketBy": "email",
        }
    }
    rule = dev["rules"][0]
    assert (rule["variation"], rule["description"]) == (1, "Beta testers")
    assert (dev["offVariation"], dev["on"]) == (0, False)
    assert dev["_version"] == 4  # one PATCH, one new version
    # the experiments see it: the rule's new description, and the flag is off
    api.created(iteration=iteration(flags=on_rule(version=4)))
    rep = api.get().json()["currentIteration"]["flags"]["checkout-button"]
    assert rep["targetingRuleDescription"] == "Beta testers"
    assert_error(api.patch({"kind": "startIteration"}), 400, "invalid_request", "is off")
    assert _patch(client, {"kind": "turnFlagOn"}).status_code == 200
    assert api.start()["currentIteration"]["status"] == "running"


@pytest.mark.parametrize(
    ("instruction", "env", "needles"),
    [
        ({"kind": "turnFlagOn"}, None, ("environmentKey", "required")),
        ({"kind": "turnFlagOn"}, "qa", ("environmentKey", "qa")),
        ({"kind": "addRule", "clauses": []}, "dev", ("addRule", "not emulated")),
        ({"kind": "turnFlagOn", "value": 1}, "dev", ("unknown parameter 'value'",)),
        (
            {"kind": "updateFallthroughVariationOrRollout", "variationId": "nope"},
            "dev",
            ("instructions[0]", "variationId", "nope"),
        ),
        (
            {"kind": "updateFallthroughVariationOrRollout", "rolloutWeights": {TOP: 50000}},
            "dev",
            ("add up to 50000",),
        ),
        (
            {
                "kind": "updateFallthroughVariationOrRollout",
                "variationId": TOP,
                "rolloutWeights": {TOP: 100000},
            },
            "dev",
            ("either",),
        ),
        (
            {"kind": "updateRuleVariationOrRollout", "ruleId": "nope", "variationId": TOP},
            "dev",
            ("ruleId", "nope", RULE_BETA),
        ),
    ],
)
def test_refused_patches(
    client: httpx.Client, instruction: dict[str, Any], env: str | None, needles: tuple[str, ...]
) -> None:
    assert_error(_patch(client, instruction, env=env), 400, "invalid_request", *needles)
    assert _dev(client)["_version"] == 3


def test_a_patch_is_all_or_nothing(client: httpx.Client) -> None:
    response = _patch(
        client,
        {"kind": "turnFlagOff"},
        {"kind": "updateOffVariation", "variationId": "nope"},
    )
    assert_error(response, 400, "invalid_request", "instructions[1]")
    assert (_dev(client)["on"], _dev(client)["_version"]) == (True, 3)


def test_a_json_patch_is_not_emulated(client: httpx.Client) -> None:
    body = {"patch": [{"op": "replace", "path": "/environments/dev/on", "value": False}]}
    response = client.patch(FLAG, json=body)
    assert_error(response, 400, "invalid_request", "JSON Patch", "does not emulate", "semantic")
    assert _dev(client)["on"] is True


def test_the_rule_of_a_running_iteration_keeps_its_serving(any_api: Api) -> None:
    client = any_api.client
    any_api.created()
    any_api.start()
    before = _dev(client)
    refused = _patch(client, {"kind": "updateFallthroughVariationOrRollout", "variationId": BOTTOM})
    assert_error(refused, 409, "optimistic_locking_error", "button-test", "fallthrough")
    assert _dev(client) == before
    # other rules, and the flag's other settings, can still change
    other = _patch(
        client, {"kind": "updateRuleVariationOrRollout", "ruleId": RULE_BETA, "variationId": TOP}
    )
    assert other.status_code == 200
    treatments = any_api.get(expand="treatments").json()["currentIteration"]["treatments"]
    stop = {"kind": "stopIteration", "winningTreatmentId": treatments[0]["_id"]}
    assert any_api.patch(stop).status_code == 200
    after = _patch(client, {"kind": "updateFallthroughVariationOrRollout", "variationId": BOTTOM})
    assert assert_schema(after, 200, "FeatureFlag")["environments"]["dev"]["fallthrough"] == {
        "variation": 1
    }


def test_the_rule_of_a_running_iteration_on_a_rule_keeps_its_serving(api: Api) -> None:
    api.created(iteration=iteration(flags=on_rule()))
    api.start()
    refused = _patch(
        api.client,
        {
            "kind": "updateRuleVariationOrRollout",
            "ruleId": RULE_BETA,
            "rolloutWeights": {TOP: 100000},
        },
    )
    assert_error(refused, 409, "optimistic_locking_error", "Beta customers", "button-test")


def test_dry_run_writes_nothing(client: httpx.Client) -> None:
    preview = _patch(client, {"kind": "turnFlagOff"}, dryRun="true")
    assert assert_schema(preview, 200, "FeatureFlag")["environments"]["dev"]["on"] is False
    assert (_dev(client)["on"], _dev(client)["_version"]) == (True, 3)


def test_who_may_patch(emu: Emulator) -> None:
    body = {"environmentKey": "dev", "instructions": [{"kind": "turnFlagOff"}]}
    for token, status in ((RO_TOKEN, 403), (SERVICE_TOKEN, 200)):
        headers = {**HEADERS, "Authorization": token, "Content-Type": SEMANTIC}
        assert httpx.patch(emu.url + FLAG, json=body, headers=headers).status_code == status


def test_the_python_helper(emu: Emulator) -> None:
    body = {"environmentKey": "staging", "instructions": [{"kind": "turnFlagOff"}]}
    flag = emu.patch_flag("shop", "checkout-button", body)
    assert (flag["environments"]["staging"]["on"], flag["environments"]["staging"]["_version"]) == (
        False,
        4,
    )
    stored = emu.flag("shop", "checkout-button", "staging")
    assert stored is not None and list(stored["environments"]) == ["staging"]
    with pytest.raises(ApiError) as refused:
        emu.patch_flag("shop", "checkout-button", {"instructions": [{"kind": "turnFlagOn"}]})
    assert refused.value.status == 400
    assert emu.flag("shop", "missing") is None
