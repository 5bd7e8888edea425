"""References: names resolved to ids and every reference checked, against the emulator."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from launchdarkly_experiments.config import resolve_settings
from launchdarkly_experiments.core.kinds.experiment.names import (
    current_flag_version,
    resolve,
    resolve_rule_id,
    resolve_variation_id,
)
from launchdarkly_experiments.core.kinds.experiment.references import check_references
from launchdarkly_experiments.core.lookups import CachedLookups
from launchdarkly_experiments.errors import (
    ConfigurationError,
    Problem,
    RetryBudgetExceeded,
    UnresolvedReferences,
)
from launchdarkly_experiments.http.client import LaunchDarklyClient, RetryPolicy
from ld_emulator import PROFILES, Emulator
from tests.support import fixture_ids as ids
from tests.support.declarations import declaration

TOKEN = "references-test-token"


@pytest.fixture(scope="module", params=sorted(PROFILES))
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """Under each profile: flag reads reach a point where they differ (the environment's
    ``version`` under strict is the flag's own; only ``_version`` is its targeting version)."""
    with Emulator(tokens=(TOKEN,), profile=request.param) as emu:
        yield emu


@pytest.fixture
def client(emulator: Emulator, request: pytest.FixtureRequest) -> Iterator[LaunchDarklyClient]:
    emulator.reset()
    http = LaunchDarklyClient(TOKEN, emulator.url, retry=RetryPolicy(deadline=0))
    yield http
    http.close()


@pytest.fixture
def lookups(client: LaunchDarklyClient) -> CachedLookups:
    return CachedLookups(client)


def gets(emulator: Emulator) -> list[str]:
    return [
        r["path"] + (f"?env={r['query']['env']}" if "env" in r["query"] else "")
        for r in emulator.requests()
        if r["method"] == "GET"
    ]


# -- names -> ids ---------------------------------------------------------------------------------


def test_a_variation_is_found_by_name_value_or_id(lookups: CachedLookups) -> None:
    flag = lookups.get_flag("shop", "checkout-button", "dev")
    assert resolve_variation_id(flag, "Top", prop="p") == ids.TOP
    assert resolve_variation_id(flag, "bottom", prop="p") == ids.BOTTOM
    assert resolve_variation_id(flag, ids.TOP, prop="p") == ids.TOP
    boolean = lookups.get_flag("shop", "dormant-flag", "dev")
    assert resolve_variation_id(boolean, True, prop="p").endswith("22")
    assert resolve_variation_id(boolean, "false", prop="p").endswith("21")


def test_an_unknown_variation_names_the_field_the_flag_and_the_variations(
    lookups: CachedLookups,
) -> None:
    props = declaration()
    parameter = props["iteration"]["treatments"][0]["parameters"][0]
    del parameter["variationId"]
    parameter["variation"] = "Middle"
    with pytest.raises(UnresolvedReferences) as info:
        resolve(props, lookups)
    ((prop, message),) = [(p.property, p.message) for p in info.value.problems]
    assert prop == "iteration.treatments[0].parameters[0].variation"
    assert "flag 'checkout-button' has no variation named 'Middle'" in message
    assert "'Top' (value \"top\"), 'Bottom' (value \"bottom\")" in message


def test_resolve_fills_ids_versions_and_rules_and_says_what_it_resolved(
    lookups: CachedLookups,
) -> None:
    props = declaration()
    for treatment, name in zip(props["iteration"]["treatments"], ("Top", "bottom"), strict=True):
        parameter = treatment["parameters"][0]
        del parameter["variationId"]
        parameter["variation"] = name
    props["iteration"]["flags"] = {"checkout-button": {"ruleId": "Beta customers"}}
    resolution = resolve(props, lookups)
    iteration = resolution.props["iteration"]
    assert [t["parameters"][0] for t in iteration["treatments"]] == [
        {"flagKey": "checkout-button", "variationId": ids.TOP},
        {"flagKey": "checkout-button", "variationId": ids.BOTTOM},
    ]
    assert iteration["flags"] == {
        "checkout-button": {"ruleId": ids.RULE_BETA, "flagConfigVersion": 3}
    }
    assert resolution.resolved == {
        "iteration.flags.checkout-button.flagConfigVersion": 3,
        "iteration.flags.checkout-button.ruleId": ids.RULE_BETA,
        "iteration.treatments[0].parameters[0].variationId": ids.TOP,
        "iteration.treatments[1].parameters[0].variationId": ids.BOTTOM,
    }
    # The input is left as it was.
    assert "variation" in props["iteration"]["treatments"][0]["parameters"][0]


def test_an_unknown_rule_description_lists_the_rules(lookups: CachedLookups) -> None:
    flag = lookups.get_flag("shop", "checkout-button", "dev")
    assert resolve_rule_id(flag, "dev", "beta CUSTOMERS", prop="p") == ids.RULE_BETA
    assert resolve_rule_id(flag, "dev", "fallthrough", prop="p") == "fallthrough"
    props = declaration()
    props["iteration"]["flags"]["checkout-button"]["ruleId"] = "Gamma customers"
    with pytest.raises(UnresolvedReferences) as info:
        resolve(props, lookups)
    ((prop, message),) = [(p.property, p.message) for p in info.value.problems]
    assert prop == "iteration.flags.checkout-button.ruleId"
    assert "no rule 'Gamma customers' in environment 'dev'" in message
    assert "'Beta customers'" in message


def test_the_current_flag_version_is_per_environment(lookups: CachedLookups) -> None:
    assert current_flag_version(lookups.get_flag("shop", "pricing-page", "dev"), "dev") == 7
    assert current_flag_version({"environments": {}}, "dev") is None


def test_every_unknown_name_is_reported_at_once(lookups: CachedLookups) -> None:
    props = declaration()
    props["iteration"]["flags"]["nope"] = {"ruleId": "fallthrough"}
    for treatment in props["iteration"]["treatments"]:
        treatment["parameters"][0]["variation"] = "Sideways"
        del treatment["parameters"][0]["variationId"]
    with pytest.raises(UnresolvedReferences) as info:
        resolve(props, lookups)
    props_named = [p.property for p in info.value.problems]
    assert props_named == [
        "iteration.flags.nope",
        "iteration.treatments[0].parameters[0].variation",
        "iteration.treatments[1].parameters[0].variation",
    ]
    assert (
        "flags: 'checkout-button', 'dormant-flag', 'pricing-page'" in info.value.problems[0].message
    )


# -- checking every reference -------------------------------------------------------------------


def test_a_valid_declaration_has_no_reference_problem(lookups: CachedLookups) -> None:
    props = declaration(holdoutId=ids.Q4_HOLDOUT)
    props["iteration"]["randomizationUnit"] = "organization"
    props["iteration"]["metrics"].append({"key": "checkout-funnel", "isGroup": True})
    assert check_references(props, lookups) == []


def broken(kind: str) -> dict[str, Any]:
    props = declaration()
    it = props["iteration"]
    if kind == "project":
        props["projectKey"] = "shoe"
    elif kind == "environment":
        props["environmentKey"] = "qa"
    elif kind == "flag":
        it["flags"] = {"checkout-buton": it["flags"]["checkout-button"]}
        for treatment in it["treatments"]:
            treatment["parameters"][0]["flagKey"] = "checkout-buton"
    elif kind == "variation":
        it["treatments"][1]["parameters"][0]["variationId"] = "not-a-variation"
    elif kind == "variation-name-as-id":
        it["treatments"][1]["parameters"][0]["variationId"] = "Bottom"
    elif kind == "rule":
        it["flags"]["checkout-button"]["ruleId"] = ids.MISSING_RULE_ID
    elif kind == "version":
        it["flags"]["checkout-button"]["flagConfigVersion"] = 9
    elif kind == "metric":
        it["metrics"][1]["key"] = "revenue"
    elif kind == "metric-is-a-group":
        it["metrics"].append({"key": "engagement"})
    elif kind == "group":
        it["metrics"].append({"key": "checkout", "isGroup": True})
    elif kind == "funnel-not-funnel":
        it["metrics"].append({"key": "engagement", "isGroup": True})
        it["primaryFunnelKey"] = "engagement"
    elif kind == "holdout":
        props["holdoutId"] = "0000"
    elif kind == "randomization-unit":
        it["randomizationUnit"] = "team"
    elif kind == "flag-off":
        props["state"] = "running"
        it["flags"] = {"dormant-flag": {"ruleId": "fallthrough", "flagConfigVersion": 1}}
        for treatment, variation in zip(it["treatments"], ("On", "Off"), strict=True):
            treatment["parameters"] = [{"flagKey": "dormant-flag", "variation": variation}]
    return props


@pytest.mark.parametrize(
    ("kind", "prop", "fragments"),
    [
        ("project", "projectKey", ["project 'shoe' not found"]),
        ("environment", "environmentKey", ["environment 'qa' not found in project 'shop'"]),
        (
            "flag",
            "iteration.flags.checkout-buton",
            ["flag 'checkout-buton' not found", "'checkout-button'"],
        ),
        (
            "variation",
            "iteration.treatments[1].parameters[0].variationId",
            ["no variation named 'not-a-variation'", "'Top' (value \"top\")"],
        ),
        (
            "variation-name-as-id",
            "iteration.treatments[1].parameters[0].variationId",
            ["write variation: 'Bottom'", ids.BOTTOM],
        ),
        ("rule", "iteration.flags.checkout-button.ruleId", ["'Beta customers'"]),
        ("version", "iteration.flags.checkout-button.flagConfigVersion", ["at version 3"]),
        ("metric", "iteration.metrics[1].key", ["metric 'revenue' not found"]),
        ("metric-is-a-group", "iteration.metrics[2].key", ["set isGroup true"]),
        ("group", "iteration.metrics[2].key", ["metric group 'checkout' not found"]),
        ("funnel-not-funnel", "iteration.primaryFunnelKey", ["'standard' group"]),
        ("holdout", "holdoutId", ["no holdout with id '0000'", f"q4-holdout ({ids.Q4_HOLDOUT})"]),
        (
            "randomization-unit",
            "iteration.randomizationUnit",
            ["'team' is not a randomization unit", "'user', 'organization'"],
        ),
        ("flag-off", "iteration.flags.dormant-flag", ["is off in environment 'dev'"]),
    ],
)
def test_each_missing_reference_names_the_property_and_what_exists(
    lookups: CachedLookups, kind: str, prop: str, fragments: list[str]
) -> None:
    problems = {p.property: p.message for p in check_references(broken(kind), lookups)}
    assert prop in problems, problems
    for fragment in fragments:
        assert fragment in problems[prop], problems[prop]


def test_a_missing_project_stops_the_lookups_there(
    lookups: CachedLookups, emulator: Emulator
) -> None:
    assert check_references(broken("project"), lookups) == [
        Problem("projectKey", "project 'shoe' not found (or the token cannot see it)")
    ]
    assert gets(emulator) == ["/api/v2/projects/shoe/experimentation-settings"]


def test_one_get_per_distinct_reference_across_calls_and_threads(
    lookups: CachedLookups, emulator: Emulator
) -> None:
    props = declaration(holdoutId=ids.Q4_HOLDOUT)
    props["iteration"]["metrics"].append({"key": "checkout-funnel", "isGroup": True})
    start = threading.Barrier(4)
    results: list[list[Any]] = []

    def check() -> None:
        start.wait()
        for _ in range(3):
            results.append(check_references(props, lookups))

    threads = [threading.Thread(target=check) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [[]] * 12
    seen = gets(emulator)
    assert sorted(seen) == sorted(set(seen)), seen
    assert sorted(seen) == sorted(
        [
            "/api/v2/projects/shop/experimentation-settings",
            "/api/v2/projects/shop/environments/dev/experiments",
            "/api/v2/metrics/shop/checkout-completed",
            "/api/v2/metrics/shop/revenue-per-user",
            "/api/v2/projects/shop/metric-groups/checkout-funnel",
            "/api/v2/flags/shop/checkout-button?env=dev",
            f"/api/v2/projects/shop/environments/dev/holdouts/id/{ids.Q4_HOLDOUT}",
            # No maintainer declared: is there a member behind the token (not a service token)?
            "/api/v2/members/me",
        ]
    )
    assert lookups.source_calls == 8


def test_transient_failures_are_not_cached(emulator: Emulator, client: LaunchDarklyClient) -> None:
    lookups = CachedLookups(client)
    emulator.faults.fail_next(1, status=503)
    with pytest.raises(RetryBudgetExceeded, match="503"):
        lookups.get_metric("shop", "checkout-completed")
    assert lookups.get_metric("shop", "checkout-completed")["key"] == "checkout-completed"


# -- the setting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "token", "checked"),
    [
        (None, None, False),
        (None, "t", True),
        ("auto", "t", True),
        ("always", None, True),
        ("never", "t", False),
        ("NEVER", "t", False),
    ],
)
def test_validate_references_setting(value: str | None, token: str | None, checked: bool) -> None:
    environ = {"LAUNCHDARKLY_ACCESS_TOKEN": token} if token else {}
    config: dict[str, str]
    config = {"launchdarkly:validateReferences": value} if value else {}
    assert resolve_settings(config, environ).references_checked() is checked
    assert resolve_settings(
        {}, {"LAUNCHDARKLY_VALIDATE_REFERENCES": "never"}
    ).validate_references == ("never")


def test_an_invalid_validate_references_value_names_the_choices() -> None:
    with pytest.raises(ConfigurationError, match="auto, always, never, got 'sometimes'"):
        resolve_settings({"launchdarkly:validateReferences": "sometimes"}, {})


def test_objects_the_program_declares_are_not_reported_missing(lookups: CachedLookups) -> None:
    """A metric, group or randomization unit the same program creates is checked by the engine
    before the experiment that takes its output: the preview must not call it missing."""
    props = declaration()
    props["iteration"]["metrics"] = [{"key": "new-metric"}, {"key": "new-group", "isGroup": True}]
    props["iteration"]["primarySingleMetricKey"] = "new-metric"
    props["iteration"]["randomizationUnit"] = "team"
    missing = {p.property for p in check_references(props, lookups)}
    assert missing == {
        "iteration.metrics[0].key",
        "iteration.metrics[1].key",
        "iteration.randomizationUnit",
    }
    declared = {
        ("Metric", "shop/new-metric"),
        ("MetricGroup", "shop/new-group"),
        ("ExperimentationSettings", "shop"),
    }
    found = check_references(props, lookups, declared_here=lambda *kind_id: kind_id in declared)
    assert found == []
