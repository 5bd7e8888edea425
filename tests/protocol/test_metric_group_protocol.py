"""The MetricGroup kind through both adapters over gRPC, against the emulator under both
profiles: check, diff, create (default maintainer, existing keys, adopt, unknown outcomes), read
(drift, import), update by JSON Patch, delete (and a group in use), reference checks. Each
operation's HTTP requests are counted; every one carries ``LD-API-Version: beta``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from launchdarkly_experiments.core.kinds import Metric, MetricGroup
from launchdarkly_experiments.native.schema import resource_token
from launchdarkly_experiments.provider import MetricProvider
from ld_emulator import Emulator
from tests.support import fixture_ids
from tests.support.engine import UNKNOWN, ProviderCallError, ProviderHost, normalize_numbers
from tests.support.profiles import one_profile

from .behind_the_back import api, declared, found, overridden
from .conftest import TOKEN, api_calls, provider_host

GROUPS = "/api/v2/projects/lab/metric-groups"
FUNNEL = f"{GROUPS}/signup-funnel"
NATIVE = resource_token(MetricGroup.name)
MEMBER = fixture_ids.MEMBER
CI_MAINTAINER = fixture_ids.member_id("ci-maintainer@example.com")


def settings(emulator: Emulator, **more: str) -> dict[str, str]:
    return {
        "accessToken": TOKEN,
        "apiHost": emulator.url,
        "projectKey": "lab",
        "validateReferences": "never",
        **more,
    }


@pytest.fixture(scope="module", params=["dynamic", "native"])
def host(emulator: Emulator, request: pytest.FixtureRequest) -> Iterator[ProviderHost]:
    with provider_host(request.param, settings(emulator), MetricGroup) as running:
        yield running


@pytest.fixture(params=["dynamic", "native"])
def adapter(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def metrics(emulator: Emulator) -> None:
    """Project lab's metrics the groups list (made behind the provider's back)."""
    for key in ("visit", "cart", "paid"):
        body = {"key": key, "name": key.title(), "kind": "custom", "isNumeric": False}
        api(emulator, "POST", "/api/v2/metrics/lab", {**body, "eventKey": key})
    emulator.clear_requests()


def funnel(**overrides: Any) -> dict[str, Any]:
    base = {
        "key": "signup-funnel",
        "name": "Signup funnel",
        "kind": "funnel",
        "maintainerId": MEMBER,
        "metrics": [
            {"key": "visit", "nameInGroup": "Visited"},
            {"key": "cart", "nameInGroup": "Filled a cart"},
            {"key": "paid", "nameInGroup": "Paid"},
        ],
    }
    return overridden(base, overrides)


def created(
    host: ProviderHost, name: str = "g", **overrides: Any
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    inputs, failures = host.check(name, {}, funnel(**overrides))
    assert failures == []
    id_, outputs = host.create(name, inputs)
    return id_, normalize_numbers(outputs), inputs


def live(emulator: Emulator, key: str = "signup-funnel") -> dict[str, Any] | None:
    return found(emulator, f"{GROUPS}/{key}")


def all_beta(emulator: Emulator) -> bool:
    return all(
        r["headers"].get("LD-API-Version") == "beta"
        for r in emulator.requests()
        if "/metric-groups" in r["path"]
    )


# -- check and diff: no HTTP ---------------------------------------------------------------------


@one_profile  # no request at all
def test_check_reports_every_problem_at_once_without_http(
    host: ProviderHost, emulator: Emulator
) -> None:
    _, failures = host.check(
        "g",
        {},
        funnel(metrics=[{"key": "visit"}, {"key": "visit", "nameInGroup": "Again"}], tags=[""]),
    )
    assert sorted((f.property, f.reason) for f in failures) == [
        (
            "metrics[0].nameInGroup",
            "required in a funnel (the step's name); it is not set",
        ),
        (
            "metrics[1].key",
            "metric 'visit' is already metrics[0]; a group lists each metric once",
        ),
        ("tags[0]", "must not be empty; got ''"),
    ]
    _, failures = host.check("g", {}, funnel(metrics=[{"key": "visit", "nameInGroup": "V"}]))
    assert [(f.property, f.reason) for f in failures] == [
        ("metrics", "a funnel needs at least two metrics (its steps, in order); it has 1"),
    ]
    _, failures = host.check("g", {}, funnel(kind="steps", metrics=[]))
    assert sorted(f.property for f in failures) == ["kind", "metrics"]
    inputs, failures = host.check(
        "g", {}, funnel(kind="standard", metrics=[{"key": "visit", "nameInGroup": "visit"}])
    )
    assert failures == []
    assert declared(inputs)["metrics"] == [{"key": "visit"}], "the default name is no change"
    assert api_calls(emulator) == []


@one_profile  # no request at all
def test_diff_is_in_place_but_for_the_address(host: ProviderHost, emulator: Emulator) -> None:
    inputs, _ = host.check("g", {}, funnel())
    outputs = {**inputs, "metricGroupId": "g1", "version": 1}
    same, _ = host.check("g", inputs, funnel(tags=[], adopt=True))
    assert host.diff("lab/signup-funnel", "g", olds=outputs, news=same).changes == "none"
    standard, _ = host.check("g", inputs, funnel(kind="standard"))
    outcome = host.diff("lab/signup-funnel", "g", olds=outputs, news=standard)
    assert (outcome.changes, outcome.replaces) == ("some", [])
    if host.type_token == NATIVE:
        assert outcome.detailed == {"kind": "UPDATE"}
    moved, _ = host.check("g", inputs, funnel(key="funnel-2"))
    assert host.diff("lab/signup-funnel", "g", olds=outputs, news=moved).replaces == ["key"]
    assert api_calls(emulator) == []


@one_profile  # no request at all
def test_metric_keys_unknown_at_preview_are_no_problem(emulator: Emulator, adapter: str) -> None:
    """A group naming its metrics by the outputs of Metric resources of the same program: at
    preview they are unknown, and neither the rules nor the reference lookups judge them."""
    checked = {**settings(emulator), "validateReferences": "always"}
    with provider_host(adapter, checked, MetricGroup) as host:
        steps = [{"key": UNKNOWN, "nameInGroup": "Visited"}, {"key": UNKNOWN}]
        inputs, failures = host.check("g", {}, funnel(metrics=steps))
        assert failures == []
        assert inputs["metrics"][0]["key"] is UNKNOWN
        # What stays a problem whatever they turn out to be is still reported.
        _, failures = host.check("g", {}, funnel(metrics=steps, name=""))
        assert [f.property for f in failures] == ["name"]
    assert api_calls(emulator) == []


# -- create ------------------------------------------------------------------------------------


def test_create_makes_one_post_on_the_beta_route(
    host: ProviderHost, emulator: Emulator, metrics: None
) -> None:
    id_, outputs, inputs = created(host)
    assert id_ == "lab/signup-funnel"
    assert api_calls(emulator) == [("POST", GROUPS)]
    assert all_beta(emulator)
    sent = emulator.requests()[0]["body"]
    assert sent == {
        "key": "signup-funnel",
        "name": "Signup funnel",
        "kind": "funnel",
        "maintainerId": MEMBER,
        "tags": [],
        "metrics": funnel()["metrics"],
    }
    stored = live(emulator)
    assert stored is not None
    assert outputs["metricGroupId"] == stored["_id"] and outputs["version"] == 1
    assert outputs["creationDate"] == stored["_creationDate"]
    assert outputs["effectiveMaintainerId"] == MEMBER
    assert declared({k: v for k, v in outputs.items() if k in inputs}) == declared(inputs)


def test_a_left_out_maintainer_is_the_setting_else_the_token_member_never_a_change(
    emulator: Emulator, adapter: str, metrics: None
) -> None:
    with provider_host(adapter, settings(emulator), MetricGroup) as host:
        id_, outputs, inputs = created(host, maintainerId=None)
        assert api_calls(emulator) == [("GET", "/api/v2/members/me"), ("POST", GROUPS)]
        assert emulator.requests()[1]["body"]["maintainerId"] == MEMBER
        assert "maintainerId" not in outputs and outputs["effectiveMaintainerId"] == MEMBER
        news, _ = host.check("g", inputs, funnel(maintainerId=None))
        assert host.diff(id_, "g", olds=outputs, news=news).changes == "none"
        _, refreshed, read_inputs = host.read(id_, "g", outputs=outputs, inputs=inputs)
        assert read_inputs is not None and "maintainerId" not in read_inputs
        host.delete(id_, "g", outputs=refreshed, old_inputs=inputs)
    emulator.clear_requests()
    with provider_host(
        adapter, settings(emulator, maintainerId=CI_MAINTAINER), MetricGroup
    ) as host:
        _, outputs, _ = created(host, maintainerId=None)
        assert api_calls(emulator) == [("POST", GROUPS)]
        assert outputs["effectiveMaintainerId"] == CI_MAINTAINER


def test_a_service_token_without_a_maintainer_is_refused_naming_both_places(
    adapter: str,
) -> None:
    service_token = "api-service-token-metric-groups"
    with Emulator(tokens=(TOKEN,), service_tokens=(service_token,)) as emulator:
        unchecked = {**settings(emulator), "accessToken": service_token}
        with provider_host(adapter, unchecked, MetricGroup) as host:
            inputs, _ = host.check("g", {}, funnel(maintainerId=None))
            with pytest.raises(ProviderCallError) as raised:
                host.create("g", inputs)
        assert "create metric group lab/signup-funnel: " in raised.value.details
        assert "service token" in raised.value.details
        assert "LAUNCHDARKLY_MAINTAINER_ID" in raised.value.details
        assert [m for m, _ in api_calls(emulator)] == ["GET"], "nothing was sent"
        checked = {**settings(emulator), "accessToken": service_token, "validateReferences": "auto"}
        with provider_host(adapter, checked, MetricGroup) as host:
            _, failures = host.check("g", {}, funnel(maintainerId=None))
        assert [f.property for f in failures if "service token" in f.reason] == ["maintainerId"]


def test_an_existing_key_is_an_error_naming_it_and_suggesting_adopt(
    host: ProviderHost, emulator: Emulator, metrics: None
) -> None:
    api(emulator, "POST", GROUPS, {**funnel(name="Made in the UI"), "tags": []})
    emulator.clear_requests()
    inputs, _ = host.check("g", {}, funnel())
    with pytest.raises(ProviderCallError) as raised:
        host.create("g", inputs)
    assert "create metric group lab/signup-funnel: LaunchDarkly answered 409" in (
        raised.value.details
    )
    assert "already exists in project 'lab'" in raised.value.details
    assert "adopt=True" in raised.value.details
    assert api_calls(emulator) == [("POST", GROUPS), ("GET", FUNNEL)]
    assert [r["status"] for r in emulator.requests()] == [400, 200], "a duplicate is a 400"


def test_adopt_takes_the_existing_group_over_with_one_patch(
    host: ProviderHost, emulator: Emulator, metrics: None
) -> None:
    made = funnel(name="Made in the UI", tags=["ui"], maintainerId=CI_MAINTAINER)
    api(emulator, "POST", GROUPS, made)
    emulator.clear_requests()
    _, outputs, _ = created(host, adopt=True)
    assert api_calls(emulator) == [("POST", GROUPS), ("GET", FUNNEL), ("PATCH", FUNNEL)]
    assert all_beta(emulator)
    assert emulator.requests()[2]["body"] == [
        {"op": "replace", "path": "/name", "value": "Signup funnel"},
        {"op": "replace", "path": "/maintainerId", "value": MEMBER},
        {"op": "replace", "path": "/tags", "value": []},
    ]
    stored = live(emulator)
    assert stored is not None and stored["name"] == "Signup funnel" and stored["tags"] == []
    assert outputs["version"] == 2 and outputs["adopt"] is True


def test_a_create_whose_answer_is_lost_continues_with_the_group_it_made(
    host: ProviderHost, emulator: Emulator, metrics: None
) -> None:
    emulator.faults.drop_next(1, method="POST", path="metric-groups$", after_processing=True)
    _, outputs, _ = created(host)
    assert api_calls(emulator) == [("POST", GROUPS), ("GET", FUNNEL)]
    stored = live(emulator)
    assert stored is not None and outputs["metricGroupId"] == stored["_id"]
    assert api(emulator, "GET", GROUPS)["totalCount"] == 1


# -- update ------------------------------------------------------------------------------------


def test_update_sends_one_json_patch_and_a_standard_group_names_metrics_by_key(
    host: ProviderHost, emulator: Emulator, metrics: None
) -> None:
    id_, outputs, inputs = created(host)
    emulator.clear_requests()
    standard = funnel(
        kind="standard",
        description="What people do",
        tags=["growth"],
        metrics=[{"key": "paid"}, {"key": "visit", "nameInGroup": "Visited"}],
    )
    news, failures = host.check("g", inputs, standard)
    assert failures == []
    new_outputs = normalize_numbers(host.update(id_, "g", olds=outputs, news=news))
    assert api_calls(emulator) == [("PATCH", FUNNEL)]
    assert all_beta(emulator)
    assert emulator.requests()[0]["body"] == [
        {"op": "replace", "path": "/kind", "value": "standard"},
        {
            "op": "replace",
            "path": "/metrics",
            "value": [
                {"key": "paid", "nameInGroup": "paid"},
                {"key": "visit", "nameInGroup": "Visited"},
            ],
        },
        {"op": "add", "path": "/description", "value": "What people do"},
        {"op": "add", "path": "/tags", "value": ["growth"]},
    ]
    assert new_outputs["version"] == 2
    assert new_outputs["metrics"] == [{"key": "paid"}, {"key": "visit", "nameInGroup": "Visited"}]
    again, _ = host.check("g", news, standard)
    assert host.diff(id_, "g", olds=new_outputs, news=again).changes == "none"
    _, _, read_inputs = host.read(id_, "g", outputs=new_outputs, inputs=news)
    assert read_inputs is not None and declared(read_inputs) == declared(news)


def test_an_update_whose_answer_is_lost_is_read_back_not_sent_twice(
    host: ProviderHost, emulator: Emulator, metrics: None
) -> None:
    id_, outputs, inputs = created(host)
    emulator.faults.drop_next(1, method="PATCH", after_processing=True)
    emulator.clear_requests()
    news, _ = host.check("g", inputs, funnel(name="Signups"))
    new_outputs = host.update(id_, "g", olds=outputs, news=news)
    assert api_calls(emulator) == [("PATCH", FUNNEL), ("GET", FUNNEL)]
    stored = live(emulator)
    assert stored is not None and stored["_version"] == 2
    assert new_outputs["name"] == "Signups"


# -- read: drift and import ----------------------------------------------------------------------


def test_refresh_records_drift(host: ProviderHost, emulator: Emulator, metrics: None) -> None:
    id_, outputs, inputs = created(host)
    api(
        emulator,
        "PATCH",
        FUNNEL,
        [
            {"op": "remove", "path": "/metrics/2"},
            {"op": "replace", "path": "/metrics/0/nameInGroup", "value": "Came"},
            {"op": "replace", "path": "/maintainerId", "value": CI_MAINTAINER},
        ],
    )
    emulator.clear_requests()
    _, refreshed, read_inputs = host.read(id_, "g", outputs=outputs, inputs=inputs)
    assert api_calls(emulator) == [("GET", FUNNEL)] and all_beta(emulator)
    assert read_inputs is not None
    assert declared(read_inputs) == {
        **declared(inputs),
        "maintainerId": CI_MAINTAINER,
        "metrics": [
            {"key": "visit", "nameInGroup": "Came"},
            {"key": "cart", "nameInGroup": "Filled a cart"},
        ],
    }
    assert normalize_numbers(refreshed)["version"] == 2
    news, _ = host.check("g", read_inputs, funnel())
    outcome = host.diff(id_, "g", olds=refreshed, news=news)
    assert outcome.changes == "some"
    if host.type_token == NATIVE:
        assert outcome.detailed == {
            "maintainerId": "UPDATE",
            "metrics[0].nameInGroup": "UPDATE",
            "metrics[2]": "ADD",
        }


@one_profile  # reads only
def test_import_by_id_rebuilds_the_declaration(host: ProviderHost, emulator: Emulator) -> None:
    if host.type_token != NATIVE:
        pytest.skip("the engine reads a dynamic resource with its provider: no import")
    emulator.clear_requests()
    read_id, outputs, inputs = host.read("shop/engagement", "g", outputs=None, inputs=None)
    assert read_id == "shop/engagement"
    assert api_calls(emulator) == [("GET", "/api/v2/projects/shop/metric-groups/engagement")]
    assert inputs == {
        "projectKey": "shop",
        "key": "engagement",
        "name": "Engagement",
        "kind": "standard",
        "metrics": [
            {"key": "page-views", "nameInGroup": "Page views"},
            {"key": "add-to-cart", "nameInGroup": "Add to cart"},
        ],
    }
    assert outputs["metricGroupId"] == fixture_ids.PROJECT["metricGroups"]["engagement"]["_id"]
    checked, failures = host.check("g", {}, inputs)
    assert failures == []
    assert host.diff(read_id, "g", olds=outputs, news=checked).changes == "none"


# -- delete ------------------------------------------------------------------------------------


def test_delete_sends_one_delete_and_a_gone_group_is_done(
    host: ProviderHost, emulator: Emulator, metrics: None
) -> None:
    id_, outputs, inputs = created(host)
    emulator.clear_requests()
    host.delete(id_, "g", outputs=outputs, old_inputs=inputs)
    assert api_calls(emulator) == [("DELETE", FUNNEL)] and all_beta(emulator)
    assert live(emulator) is None
    read_id, _, _ = host.read(id_, "g", outputs=outputs, inputs=inputs)
    assert read_id == ""
    host.delete(id_, "g", outputs=outputs, old_inputs=inputs)  # already gone: done


def test_deleting_a_group_an_experiment_measures_names_the_experiment(
    host: ProviderHost, emulator: Emulator
) -> None:
    inputs, _ = host.check(
        "g",
        {},
        funnel(
            projectKey="shop",
            metrics=[
                {"key": "page-views", "nameInGroup": "Viewed"},
                {"key": "checkout-completed", "nameInGroup": "Bought"},
            ],
        ),
    )
    id_, outputs = host.create("g", inputs)
    experiment = {
        "key": "funnel-test",
        "name": "Funnel test",
        "iteration": {
            "hypothesis": "More people finish",
            "metrics": [{"key": "signup-funnel", "isGroup": True}],
            "primaryFunnelKey": "signup-funnel",
            "treatments": [
                {
                    "name": "Top",
                    "baseline": True,
                    "allocationPercent": "50",
                    "parameters": [{"flagKey": "checkout-button", "variationId": fixture_ids.TOP}],
                },
                {
                    "name": "Bottom",
                    "baseline": False,
                    "allocationPercent": "50",
                    "parameters": [
                        {"flagKey": "checkout-button", "variationId": fixture_ids.BOTTOM}
                    ],
                },
            ],
            "flags": {"checkout-button": {"ruleId": "fallthrough", "flagConfigVersion": 3}},
        },
    }
    api(emulator, "POST", "/api/v2/projects/shop/environments/dev/experiments", experiment)
    emulator.clear_requests()
    if "in-use-refused" not in emulator.profile:
        host.delete(id_, "g", outputs=outputs, old_inputs=inputs)
        assert live(emulator) is None
        return
    with pytest.raises(ProviderCallError) as raised:
        host.delete(id_, "g", outputs=outputs, old_inputs=inputs)
    (line,) = [x for x in raised.value.details.splitlines() if "delete metric group" in x]
    assert "delete metric group shop/signup-funnel: LaunchDarkly answered 400" in line
    assert "in use by experiment 'funnel-test' (dev)" in line
    assert api_calls(emulator) == [("DELETE", "/api/v2/projects/shop/metric-groups/signup-funnel")]


# -- references ----------------------------------------------------------------------------------


def test_references_name_missing_metrics_unless_this_program_declares_them(
    emulator: Emulator, adapter: str, metrics: None
) -> None:
    checked = {**settings(emulator), "validateReferences": "always"}
    with provider_host(adapter, checked, MetricGroup) as host:
        declaration = funnel(
            metrics=[
                {"key": "visit", "nameInGroup": "Visited"},
                {"key": "signup", "nameInGroup": "Signed up"},
                {"key": "nowhere", "nameInGroup": "Lost"},
            ]
        )
        _, failures = host.check("g", {}, declaration)
        assert [(f.property, f.reason) for f in failures] == [
            (
                "metrics[1].key",
                "metric 'signup' not found in project 'lab'; declare it in this program (a "
                "Metric resource) or create it first",
            ),
            (
                "metrics[2].key",
                "metric 'nowhere' not found in project 'lab'; declare it in this program (a "
                "Metric resource) or create it first",
            ),
        ]
        # The program declares metric signup (checked by the same provider host first, as the
        # engine does for a resource whose key the group names).
        metric = {
            "key": "signup",
            "name": "Signed up",
            "kind": "custom",
            "isNumeric": False,
            "eventKey": "signed-up",
        }
        _, metric_failures = check_as(host, Metric, "m", metric)
        assert metric_failures == []
        _, failures = host.check("g", {}, declaration)
        assert [f.property for f in failures] == ["metrics[2].key"]
        _, failures = host.check("g", {}, funnel(maintainerId="nobody"))
        assert [(f.property, f.reason) for f in failures] == [
            (
                "maintainerId",
                "no member with id 'nobody' in this LaunchDarkly account (or the token cannot "
                "see it)",
            )
        ]
        _, failures = host.check("g", {}, funnel(projectKey="nowhere"))
        assert [f.property for f in failures] == ["projectKey"]


def check_as(
    host: ProviderHost, kind: type[Any], name: str, news: dict[str, Any]
) -> tuple[dict[str, Any], list[Any]]:
    """Check a resource of another kind through the same provider host, as the engine does in
    one program (the dynamic host serves every dynamic provider in one process)."""
    token, provider = host.type_token, host.serialized_provider
    if provider:
        host.type_token = f"pulumi-python:dynamic/launchdarkly:{kind.name}"
        host.serialized_provider = ProviderHost(MetricProvider()).serialized_provider
    else:
        host.type_token = resource_token(kind.name)
    try:
        return host.check(name, {}, news)
    finally:
        host.type_token, host.serialized_provider = token, provider
