"""Flags as LaunchDarkly renders their targeting, and what running experiments do to them.

Verified live (docs/emulator.md, *Live-verified facts*): a running iteration's rule serves the
experiment's rollout (``experimentAllocation.type: "experiment"``); one running experiment per
rule (409 ``optimistic_locking_error``); stopping with a winner ships it and increments the
environment's ``_version``, which is what ``flagConfigVersion`` means.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from ld_emulator import Emulator
from tests.support.fixture_ids import BOTTOM, CLAUSE_BETA, RULE_BETA

from .conftest import (
    EXPERIMENTS,
    HEADERS,
    Api,
    assert_error,
    assert_schema,
    experiment,
    iteration,
    on_rule,
)

FLAG = "/api/v2/flags/shop/checkout-button"
RULE_CLAUSE = {
    "_id": CLAUSE_BETA,
    "contextKind": "user",
    "attribute": "plan",
    "op": "in",
    "values": ["beta"],
    "negate": False,
}
FIFTY_FIFTY = {
    "variations": [{"variation": 0, "weight": 50000}, {"variation": 1, "weight": 50000}],
    "experimentAllocation": {"type": "experiment", "defaultVariation": 0, "canReshuffle": True},
    "contextKind": "user",
}


def _env(api: Api, env: str = "dev") -> dict[str, Any]:
    flag = assert_schema(api.client.get(FLAG), 200, "FeatureFlag")
    return dict(flag["environments"][env])


def _stop_with(api: Api, name: str, key: str = "button-test") -> httpx.Response:
    treatments = api.get(key, "treatments").json()["currentIteration"]["treatments"]
    winner = next(t["_id"] for t in treatments if t["name"] == name)
    return api.patch({"kind": "stopIteration", "winningTreatmentId": winner}, key=key)


# -- the targeting document ------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["lenient", "strict"])
def test_flags_render_per_environment_targeting(profile: str) -> None:
    with (
        Emulator(profile=profile, validate_responses=True) as emu,
        httpx.Client(base_url=emu.url, headers=HEADERS) as client,
    ):
        flag = assert_schema(client.get(FLAG), 200, "FeatureFlag")
        assert flag["_version"] == 1
        for env in ("dev", "staging", "production"):
            config = flag["environments"][env]
            assert (config["on"], config["archived"], config["_version"]) == (True, False, 3)
            assert config["fallthrough"] == {"variation": 0}
            assert config["offVariation"] == 1
            assert config["rules"] == [
                {
                    "_id": RULE_BETA,
                    "description": "Beta customers",
                    "clauses": [RULE_CLAUSE],
                    "trackEvents": False,
                    "variation": 0,
                }
            ]
            # the spec requires `version`; strict (env-version-is-flag-version) makes it the
            # flag's own _version, so only `_version` is the targeting version
            assert config["version"] == (1 if profile == "strict" else 3)
        pricing = client.get("/api/v2/flags/shop/pricing-page", params={"env": "dev"}).json()
        assert pricing["environments"]["dev"]["_version"] == 7
        dormant = client.get("/api/v2/flags/shop/dormant-flag").json()
        assert dormant["environments"]["production"]["on"] is False


def test_strict_compares_flag_config_version_with_the_targeting_version() -> None:
    with (
        Emulator(profile="strict", validate_responses=True) as emu,
        httpx.Client(base_url=emu.url, headers=HEADERS) as client,
    ):
        api = Api(client)
        flag_version = client.get(FLAG).json()["environments"]["dev"]["version"]
        stale = iteration(
            flags={"checkout-button": {"ruleId": "fallthrough", "flagConfigVersion": flag_version}}
        )
        refused = api.create(experiment(iteration=stale))
        assert_error(
            refused, 400, "invalid_request", "flagConfigVersion", "environments.dev._version"
        )
        assert (
            api.created()["currentIteration"]["flags"]["checkout-button"]["flagConfigVersion"] == 3
        )


# -- while an iteration runs -----------------------------------------------------------------


def test_a_running_iteration_serves_the_experiment_rollout(any_emu: Emulator, any_api: Api) -> None:
    strict = any_emu.profile.name == "strict"
    any_api.created()
    any_api.start()
    dev = _env(any_api)
    assert dev["fallthrough"] == {"rollout": FIFTY_FIFTY}
    # a start increments _version only under strict (experiment-serving-bumps-version)
    assert dev["_version"] == (4 if strict else 3)
    assert dev["rules"][0]["variation"] == 0
    assert _env(any_api, "staging")["fallthrough"] == {"variation": 0}


def test_traffic_left_out_goes_untracked_to_the_not_in_experiment_variation(api: Api) -> None:
    design = iteration(
        flags={
            "checkout-button": {
                "ruleId": RULE_BETA,
                "flagConfigVersion": 3,
                "notInExperimentVariationId": BOTTOM,
            }
        }
    )
    for treatment in design["treatments"]:
        treatment["allocationPercent"] = "12.5"
    api.created(iteration=design, **{})
    api.fields(canReshuffleTraffic={"operation": "update", "value": False})
    api.start()
    rule = _env(api)["rules"][0]
    assert "variation" not in rule
    assert rule["rollout"] == {
        "variations": [
            {"variation": 0, "weight": 12500},
            {"variation": 1, "weight": 12500},
            {"variation": 1, "weight": 75000, "_untracked": True},
        ],
        "experimentAllocation": {
            "type": "experiment",
            "defaultVariation": 1,
            "canReshuffle": False,
        },
        "contextKind": "user",
    }
    assert _env(api)["fallthrough"] == {"variation": 0}


def test_get_echoes_the_rule_with_its_description(api: Api) -> None:
    api.created(iteration=iteration(flags=on_rule()))
    flags = api.get().json()["currentIteration"]["flags"]["checkout-button"]
    assert flags["targetingRule"] == RULE_BETA
    assert flags["targetingRuleDescription"] == "Beta customers"
    assert flags["targetingRuleClauses"] == [RULE_CLAUSE]
    api.created("on-fallthrough")
    default = api.get("on-fallthrough").json()["currentIteration"]["flags"]["checkout-button"]
    assert default["targetingRule"] == "fallthrough"
    assert "targetingRuleDescription" not in default


# -- one running experiment per rule ---------------------------------------------------------


def test_one_running_experiment_per_rule(any_api: Api) -> None:
    any_api.created("first")
    any_api.start("first")
    any_api.created("second", iteration=any_api.fresh())
    refused = any_api.patch({"kind": "startIteration"}, key="second")
    assert_error(refused, 409, "optimistic_locking_error", "'first'", "fallthrough", "dev")
    assert any_api.get("second").json()["currentIteration"]["status"] == "not_started"
    # another rule of the same flag, or the same rule in another environment, is free
    any_api.created("on-beta", iteration=any_api.fresh(RULE_BETA))
    assert any_api.start("on-beta")["currentIteration"]["status"] == "running"
    elsewhere = any_api.client.post(
        "/api/v2/projects/shop/environments/staging/experiments", json=experiment("second")
    )
    assert elsewhere.status_code == 201
    started = any_api.client.patch(
        "/api/v2/projects/shop/environments/staging/experiments/second",
        json={"instructions": [{"kind": "startIteration"}]},
        headers={"Content-Type": "application/json; domain-model=launchdarkly.semanticpatch"},
    )
    assert started.status_code == 200
    # once the first one stops, the rule is free again
    assert _stop_with(any_api, "Top", "first").status_code == 200
    assert any_api.start("second")["currentIteration"]["status"] == "running"


def test_save_and_start_new_iteration_on_a_taken_rule_is_409(any_api: Api) -> None:
    any_api.created("on-default")
    any_api.start("on-default")
    any_api.created("on-beta", iteration=any_api.fresh(RULE_BETA))
    any_api.start("on-beta")
    version = any_api.flag_version()
    move = {
        "flags": {
            "operation": "update",
            "value": {"checkout-button": {"ruleId": "fallthrough", "flagConfigVersion": version}},
        }
    }
    refused = any_api.patch(
        {"kind": "saveAndStartNewIteration", "changeJustification": "move", "value": move},
        key="on-beta",
    )
    assert_error(refused, 409, "optimistic_locking_error", "'on-default'")
    body = any_api.get("on-beta", "previousIterations").json()
    assert body["currentIteration"]["flags"]["checkout-button"]["targetingRule"] == RULE_BETA
    assert "previousIterations" not in body
    assert _env(any_api)["rules"][0]["rollout"]["experimentAllocation"]["type"] == "experiment"


# -- stopping --------------------------------------------------------------------------------


def test_stopping_with_a_winner_ships_it(any_api: Api) -> None:
    any_api.created()
    any_api.start()
    before = _env(any_api)["_version"]
    stopped = _stop_with(any_api, "Bottom")
    assert assert_schema(stopped, 200, "Experiment")["currentIteration"]["status"] == "stopped"
    dev = _env(any_api)
    assert dev["fallthrough"] == {"variation": 1}
    assert dev["_version"] == before + 1
    flag = assert_schema(any_api.client.get(FLAG), 200, "FeatureFlag")
    assert flag["variations"][1]["_id"] == BOTTOM


def test_stopping_with_a_winner_ships_it_on_a_rule(any_api: Api) -> None:
    any_api.created(iteration=iteration(flags=on_rule()))
    any_api.start()
    before = _env(any_api)["_version"]
    _stop_with(any_api, "Bottom")
    dev = _env(any_api)
    assert dev["rules"][0] == {
        "_id": RULE_BETA,
        "description": "Beta customers",
        "clauses": [RULE_CLAUSE],
        "trackEvents": False,
        "variation": 1,
    }
    assert dev["fallthrough"] == {"variation": 0}
    assert dev["_version"] == before + 1


@pytest.mark.parametrize("profile", ["lenient", "strict"])
def test_iterations_that_end_without_a_winner(profile: str) -> None:
    """Silent points: the rule gets back what it served before the iteration started, and
    only strict (experiment-serving-bumps-version) counts a start or such an end."""
    with (
        Emulator(profile=profile, validate_responses=True) as emu,
        httpx.Client(base_url=emu.url, headers=HEADERS) as client,
    ):
        api = Api(client)
        strict = profile == "strict"
        api.created()
        api.start()
        again = api.patch({"kind": "saveAndStartNewIteration", "changeJustification": "again"})
        assert again.status_code == 200
        dev = _env(api)
        assert dev["fallthrough"] == {"rollout": FIFTY_FIFTY}
        # start: +1; the save-and-start (an end without a winner and a start): +1 more
        assert dev["_version"] == (5 if strict else 3)
        archived = api.patch({"kind": "archiveExperiment"})
        if strict:
            assert_error(archived, 400, "invalid_request", "stop")  # archive-running-refused
            return
        assert archived.status_code == 200
        dev = _env(api)
        assert dev["fallthrough"] == {"variation": 0}
        assert dev["_version"] == 3


def test_a_shipped_winner_is_kept_across_restarts_and_reset_restores_the_fixtures(
    tmp_path: Path,
) -> None:
    db = tmp_path / "emu.db"
    with Emulator(data_path=db) as emu, httpx.Client(base_url=emu.url, headers=HEADERS) as c:
        api = Api(c)
        api.created()
        api.start()
        _stop_with(api, "Bottom")
    with Emulator(data_path=db) as emu, httpx.Client(base_url=emu.url, headers=HEADERS) as c:
        assert _env(Api(c))["fallthrough"] == {"variation": 1}
        shipped = emu.flag("shop", "checkout-button", "dev")
        assert shipped is not None and shipped["environments"]["dev"]["_version"] == 4
        emu.reset()
        assert _env(Api(c)) == {**_env(Api(c)), "fallthrough": {"variation": 0}, "_version": 3}
        assert c.get(f"{EXPERIMENTS}/button-test").status_code == 404
