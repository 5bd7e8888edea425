"""The Metric kind through both adapters over gRPC, against the emulator under both profiles:
check, diff, create (existing keys, adopt, unknown outcomes), read (drift, import), update by
JSON Patch, delete (and a metric in use). Each operation's HTTP requests are counted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from launchdarkly_experiments.core.kinds import Metric
from ld_emulator import Emulator
from tests.support.engine import ProviderCallError, ProviderHost, normalize_numbers
from tests.support.fixture_ids import MEMBER, MEMBER_CI, MEMBER_READER, PROJECT
from tests.support.profiles import one_profile

from .behind_the_back import api, declared, found, overridden
from .conftest import TOKEN, api_calls, provider_host

METRICS = "/api/v2/metrics/lab"
SIGNUP = f"{METRICS}/signup"
NATIVE = "launchdarkly-experiments:index:Metric"


@pytest.fixture(scope="module", params=["dynamic", "native"])
def host(emulator: Emulator, request: pytest.FixtureRequest) -> Iterator[ProviderHost]:
    settings = {
        "accessToken": TOKEN,
        "apiHost": emulator.url,
        "projectKey": "lab",
        "validateReferences": "never",
    }
    with provider_host(request.param, settings, Metric) as running:
        yield running


def signup(**overrides: Any) -> dict[str, Any]:
    """A custom conversion metric of project lab (the provider's project)."""
    base = {
        "key": "signup",
        "name": "Signed up",
        "kind": "custom",
        "isNumeric": False,
        "eventKey": "signed-up",
        "tags": ["growth", "web"],
    }
    return overridden(base, overrides)


def created(
    host: ProviderHost, name: str = "signup", **overrides: Any
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    inputs, failures = host.check(name, {}, signup(**overrides))
    assert failures == []
    id_, outputs = host.create(name, inputs)
    return id_, normalize_numbers(outputs), inputs


def live(emulator: Emulator, key: str = "signup") -> dict[str, Any] | None:
    return found(emulator, f"{METRICS}/{key}")


# -- check and diff: no HTTP ---------------------------------------------------------------------


@one_profile  # no request at all
def test_check_reports_every_problem_at_once_without_http(
    host: ProviderHost, emulator: Emulator
) -> None:
    _, failures = host.check(
        "m",
        {},
        {
            "key": "clicks",
            "name": "Clicks",
            "kind": "click",
            "urls": [{"kind": "regex", "substring": "/shop"}],
            "eventKey": "clicked",
            "analysisType": "mean",
            "percentileValue": 95,
            "successCriteria": "Higher",
        },
    )
    assert sorted((f.property, f.reason) for f in failures) == [
        ("eventKey", "only custom metrics take it; this metric's kind is 'click'"),
        ("percentileValue", "only with analysisType \"percentile\" (analysisType is 'mean')"),
        (
            "selector",
            "required for click metrics (the CSS selectors of the elements clicked); it is not set",
        ),
        (
            "successCriteria",
            "must be one of 'HigherThanBaseline', 'LowerThanBaseline'; got 'Higher'",
        ),
        ("urls[0].pattern", "required for a URL of kind 'regex'; it is not set"),
        ("urls[0].substring", "a URL of kind 'regex' is matched by 'pattern', not 'substring'"),
    ]
    _, failures = host.check("m", {}, signup(isNumeric=True, eventKey=None))
    assert sorted(f.property for f in failures) == ["eventKey", "successCriteria"]
    inputs, failures = host.check("m", {}, signup(tags=["web", "growth", "web"]))
    assert failures == []
    assert declared(inputs) == {**signup(), "projectKey": "lab"}
    assert api_calls(emulator) == []


@one_profile  # no request at all
def test_diff_marks_key_kind_and_project_as_replacements(
    host: ProviderHost, emulator: Emulator
) -> None:
    inputs, _ = host.check("m", {}, signup())
    outputs = {**inputs, "metricId": "m1", "versionId": "v1", "version": 1}
    same, _ = host.check("m", inputs, signup(tags=["web", "growth"], adopt=True))
    assert host.diff("lab/signup", "m", olds=outputs, news=same).changes == "none"
    renamed, _ = host.check("m", inputs, signup(name="Signups"))
    outcome = host.diff("lab/signup", "m", olds=outputs, news=renamed)
    assert (outcome.changes, outcome.replaces) == ("some", [])
    numeric, _ = host.check(
        "m",
        inputs,
        signup(
            kind="pageview", isNumeric=None, eventKey=None, urls=[{"kind": "exact", "url": "/"}]
        ),
    )
    outcome = host.diff("lab/signup", "m", olds=outputs, news=numeric)
    assert outcome.replaces == ["kind"]
    if host.type_token == NATIVE:
        assert outcome.detailed["kind"] == "UPDATE_REPLACE"
        assert outcome.detailed["urls"] == "ADD"
    moved, _ = host.check("m", inputs, {**signup(key="signups"), "projectKey": "shop"})
    outcome = host.diff("lab/signup", "m", olds=outputs, news=moved)
    assert sorted(outcome.replaces) == ["key", "projectKey"]
    assert api_calls(emulator) == []


# -- create ------------------------------------------------------------------------------------


def test_create_makes_one_post_and_records_what_launchdarkly_computed(
    host: ProviderHost, emulator: Emulator
) -> None:
    id_, outputs, inputs = created(host, description="People who finished signing up")
    assert id_ == "lab/signup"
    assert api_calls(emulator) == [("POST", METRICS)]
    sent = emulator.requests()[0]["body"]
    assert "projectKey" not in sent and "adopt" not in sent
    assert sent["tags"] == ["growth", "web"]
    stored = live(emulator)
    assert stored is not None
    assert outputs["metricId"] == stored["_id"] and outputs["versionId"] == stored["_versionId"]
    assert outputs["version"] == 1 and outputs["creationDate"] == stored["_creationDate"]
    assert outputs["effectiveRandomizationUnits"] == ["user"]  # the project's default unit
    assert outputs["effectiveMaintainerId"] == stored["maintainerId"]  # the token's member
    assert declared({k: v for k, v in outputs.items() if k in inputs}) == declared(inputs)
    assert "maintainerId" not in outputs and "randomizationUnits" not in outputs


def test_every_kind_and_option_round_trips_with_a_quiet_refresh(
    host: ProviderHost, emulator: Emulator
) -> None:
    declarations = {
        "views": {
            "key": "views",
            "name": "Views",
            "kind": "pageview",
            "urls": [{"kind": "substring", "substring": "/pricing"}, {"kind": "exact", "url": "/"}],
            "randomizationUnits": ["user"],
        },
        "clicks": {
            "key": "clicks",
            "name": "Clicks",
            "kind": "click",
            "selector": "#buy",
            "urls": [{"kind": "regex", "pattern": "^/shop/.*"}],
            "tags": ["web"],
        },
        "revenue": {
            "key": "revenue",
            "name": "Revenue",
            "kind": "custom",
            "isNumeric": True,
            "eventKey": "purchase",
            "unit": "EUR",
            "successCriteria": "HigherThanBaseline",
            "unitAggregationType": "sum",
            "analysisType": "percentile",
            "percentileValue": 90,
            "eventDefault": {"disabled": False, "value": 0},
            "dataSource": {"key": "launchdarkly"},
            "filters": {
                "type": "contextAttribute",
                "attribute": "country",
                "contextKind": "user",
                "op": "in",
                "values": ["JP", "FR"],
                "negate": False,
            },
            "maintainerId": MEMBER_CI,
        },
    }
    for name, declaration in declarations.items():
        inputs, failures = host.check(name, {}, declaration)
        assert failures == [], name
        emulator.clear_requests()
        id_, outputs = host.create(name, inputs)
        assert [m for m, _ in api_calls(emulator)] == ["POST"], name
        emulator.clear_requests()
        read_id, refreshed, read_inputs = host.read(id_, name, outputs=outputs, inputs=inputs)
        assert api_calls(emulator) == [("GET", f"{METRICS}/{name}")]
        assert read_id == id_
        assert read_inputs is not None
        assert normalize_numbers(declared(read_inputs)) == normalize_numbers(declared(inputs))
        news, _ = host.check(name, read_inputs, declaration)
        assert host.diff(id_, name, olds=refreshed, news=news).changes == "none", name
    # The default data source is never a change: it is what LaunchDarkly holds anyway.
    assert "dataSource" not in declared(host.check("revenue", {}, declarations["revenue"])[0])


def test_an_existing_key_is_an_error_naming_it_and_suggesting_adopt(
    host: ProviderHost, emulator: Emulator
) -> None:
    api(emulator, "POST", METRICS, {**signup(name="Made in the UI"), "key": "signup"})
    emulator.clear_requests()
    inputs, _ = host.check("m", {}, signup())
    with pytest.raises(ProviderCallError) as raised:
        host.create("m", inputs)
    message = raised.value.details
    assert "create metric lab/signup: LaunchDarkly answered 409 conflict" in message
    assert "already exists in project 'lab'" in message and "adopt=True" in message
    assert api_calls(emulator) == [("POST", METRICS), ("GET", SIGNUP)]
    stored = live(emulator)
    assert stored is not None and stored["name"] == "Made in the UI", "left as it was"


def test_adopt_takes_the_existing_metric_over_with_one_patch(
    host: ProviderHost, emulator: Emulator
) -> None:
    api(emulator, "POST", METRICS, signup(name="Made in the UI", description="Old", tags=["a"]))
    emulator.clear_requests()
    id_, outputs, inputs = created(host, adopt=True)
    assert id_ == "lab/signup"
    assert api_calls(emulator) == [("POST", METRICS), ("GET", SIGNUP), ("PATCH", SIGNUP)]
    patch = emulator.requests()[2]["body"]
    assert sorted((op["op"], op["path"]) for op in patch) == [
        ("remove", "/description"),
        ("replace", "/name"),
        ("replace", "/tags"),
    ]
    stored = live(emulator)
    assert stored is not None
    assert (stored["name"], stored.get("description"), stored["tags"]) == (
        "Signed up",
        None,
        ["growth", "web"],
    )
    assert outputs["adopt"] is True and outputs["version"] == stored["_version"]
    # adopt is never a change: dropping it afterwards plans nothing.
    news, _ = host.check("m", inputs, signup())
    assert host.diff(id_, "m", olds=outputs, news=news).changes == "none"


def test_adopting_a_metric_that_already_matches_sends_no_patch(
    host: ProviderHost, emulator: Emulator
) -> None:
    api(emulator, "POST", METRICS, signup())
    emulator.clear_requests()
    _, outputs, _ = created(host, adopt=True)
    assert api_calls(emulator) == [("POST", METRICS), ("GET", SIGNUP)]
    assert outputs["version"] == 1


def test_adopting_a_metric_of_another_kind_is_refused_naming_it(
    host: ProviderHost, emulator: Emulator
) -> None:
    page = {"key": "signup", "name": "Signup page", "kind": "pageview"}
    api(emulator, "POST", METRICS, {**page, "urls": [{"kind": "exact", "url": "/signup"}]})
    emulator.clear_requests()
    inputs, _ = host.check("m", {}, signup(adopt=True))
    with pytest.raises(ProviderCallError) as raised:
        host.create("m", inputs)
    (line,) = [x for x in raised.value.details.splitlines() if "create metric" in x]
    assert (
        "create metric lab/signup: kind: the existing metric has kind 'pageview', which "
        "LaunchDarkly cannot change to 'custom': declare kind 'pageview' to adopt it, or choose "
        "another key"
    ) in line
    assert api_calls(emulator) == [("POST", METRICS), ("GET", SIGNUP)]


def test_a_create_whose_answer_is_lost_continues_with_the_metric_it_made(
    host: ProviderHost, emulator: Emulator
) -> None:
    emulator.faults.drop_next(1, method="POST", path=f"{METRICS}$", after_processing=True)
    id_, outputs, _ = created(host)
    assert id_ == "lab/signup"
    assert api_calls(emulator) == [("POST", METRICS), ("GET", SIGNUP)]
    stored = live(emulator)
    assert stored is not None and outputs["metricId"] == stored["_id"]


def test_a_create_that_did_not_land_is_sent_again_after_a_read(
    host: ProviderHost, emulator: Emulator
) -> None:
    emulator.faults.drop_next(1, method="POST", path=f"{METRICS}$")
    created(host)
    assert api_calls(emulator) == [("POST", METRICS), ("GET", SIGNUP), ("POST", METRICS)]
    listing = api(emulator, "GET", METRICS)
    assert [m["key"] for m in listing["items"]] == ["signup"]


# -- update ------------------------------------------------------------------------------------


def test_update_sends_one_json_patch_of_what_changed(
    host: ProviderHost, emulator: Emulator
) -> None:
    id_, outputs, inputs = created(host, description="Old")
    emulator.clear_requests()
    news, failures = host.check(
        "m",
        inputs,
        signup(name="Signups", description=None, tags=["web"], analysisType="mean"),
    )
    assert failures == []
    new_outputs = normalize_numbers(host.update(id_, "m", olds=outputs, news=news))
    assert api_calls(emulator) == [("PATCH", SIGNUP)]
    request = emulator.requests()[0]
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["body"] == [
        {"op": "replace", "path": "/name", "value": "Signups"},
        {"op": "remove", "path": "/description"},
        {"op": "replace", "path": "/tags", "value": ["web"]},
        {"op": "add", "path": "/analysisType", "value": "mean"},
    ]
    stored = live(emulator)
    assert stored is not None and stored["_version"] == 2
    assert new_outputs["version"] == 2 and new_outputs["versionId"] == stored["_versionId"]
    assert new_outputs["name"] == "Signups" and "description" not in new_outputs
    again, _ = host.check("m", news, signup(name="Signups", tags=["web"], analysisType="mean"))
    assert host.diff(id_, "m", olds=new_outputs, news=again).changes == "none"


def test_removing_every_tag_sets_them_back_to_none(host: ProviderHost, emulator: Emulator) -> None:
    id_, outputs, inputs = created(host)
    emulator.clear_requests()
    news, _ = host.check("m", inputs, signup(tags=None))
    host.update(id_, "m", olds=outputs, news=news)
    assert emulator.requests()[0]["body"] == [{"op": "replace", "path": "/tags", "value": []}]


def test_a_left_out_maintainer_or_unit_is_kept_as_it_is(
    host: ProviderHost, emulator: Emulator
) -> None:
    analyst = MEMBER_READER
    id_, outputs, inputs = created(host, maintainerId=analyst, randomizationUnits=["user"])
    emulator.clear_requests()
    news, _ = host.check("m", inputs, signup(name="Renamed"))
    outputs = host.update(id_, "m", olds=outputs, news=news)
    assert emulator.requests()[0]["body"] == [
        {"op": "replace", "path": "/name", "value": "Renamed"}
    ]
    stored = live(emulator)
    assert stored is not None and stored["maintainerId"] == analyst
    assert stored["randomizationUnits"] == ["user"]
    _, _, read_inputs = host.read(id_, "m", outputs=outputs, inputs=news)
    assert read_inputs is not None and "maintainerId" not in read_inputs


def test_an_update_whose_answer_is_lost_is_read_back_not_sent_twice(
    host: ProviderHost, emulator: Emulator
) -> None:
    id_, outputs, inputs = created(host)
    emulator.faults.drop_next(1, method="PATCH", path="signup$", after_processing=True)
    emulator.clear_requests()
    news, _ = host.check("m", inputs, signup(name="Signups"))
    new_outputs = normalize_numbers(host.update(id_, "m", olds=outputs, news=news))
    assert api_calls(emulator) == [("PATCH", SIGNUP), ("GET", SIGNUP)]
    stored = live(emulator)
    assert stored is not None and stored["_version"] == 2, "applied once"
    assert new_outputs["version"] == 2 and new_outputs["name"] == "Signups"


def test_an_update_planned_from_stale_state_is_planned_again_from_what_is_live(
    host: ProviderHost, emulator: Emulator
) -> None:
    id_, outputs, inputs = created(host, description="Old")
    # The description is removed in the UI; state still records it.
    api(emulator, "PATCH", SIGNUP, [{"op": "remove", "path": "/description"}])
    emulator.clear_requests()
    news, _ = host.check("m", inputs, signup(description=None, name="Signups"))
    new_outputs = host.update(id_, "m", olds=outputs, news=news)
    assert api_calls(emulator) == [("PATCH", SIGNUP), ("GET", SIGNUP), ("PATCH", SIGNUP)]
    assert [r["status"] for r in emulator.requests()] == [400, 200, 200]
    assert emulator.requests()[2]["body"] == [
        {"op": "replace", "path": "/name", "value": "Signups"}
    ]
    assert new_outputs["name"] == "Signups"


# -- read: drift and import ----------------------------------------------------------------------


def test_refresh_records_drift_and_only_declared_fields(
    host: ProviderHost, emulator: Emulator
) -> None:
    id_, outputs, inputs = created(host)
    api(
        emulator,
        "PATCH",
        SIGNUP,
        [
            {"op": "replace", "path": "/name", "value": "Edited in the UI"},
            {"op": "add", "path": "/description", "value": "Added in the UI"},
            {"op": "replace", "path": "/maintainerId", "value": MEMBER_CI},
        ],
    )
    emulator.clear_requests()
    read_id, refreshed, read_inputs = host.read(id_, "m", outputs=outputs, inputs=inputs)
    assert read_id == id_ and api_calls(emulator) == [("GET", SIGNUP)]
    assert read_inputs is not None
    assert declared(read_inputs) == {
        **declared(inputs),
        "name": "Edited in the UI",
        "description": "Added in the UI",
    }, "the maintainer was never declared: not recorded as drift"
    assert refreshed["version"] == 2
    assert refreshed["effectiveMaintainerId"] == MEMBER_CI
    # The program still declares the old form: the next preview shows exactly that.
    news, _ = host.check("m", read_inputs, signup())
    outcome = host.diff(id_, "m", olds=refreshed, news=news)
    assert (outcome.changes, outcome.replaces) == ("some", [])
    if host.type_token == NATIVE:
        assert outcome.detailed == {"description": "DELETE", "name": "UPDATE"}


def test_a_metric_deleted_behind_the_back_reads_as_gone(
    host: ProviderHost, emulator: Emulator
) -> None:
    id_, outputs, inputs = created(host)
    api(emulator, "DELETE", SIGNUP)
    read_id, _, _ = host.read(id_, "m", outputs=outputs, inputs=inputs)
    assert read_id == ""


def test_import_by_id_rebuilds_the_declaration(host: ProviderHost, emulator: Emulator) -> None:
    if host.type_token != NATIVE:
        pytest.skip("the engine reads a dynamic resource with its provider: no import")
    emulator.clear_requests()
    read_id, outputs, inputs = host.read("shop/revenue-per-user", "m", outputs=None, inputs=None)
    assert read_id == "shop/revenue-per-user"
    assert api_calls(emulator) == [("GET", "/api/v2/metrics/shop/revenue-per-user")]
    assert inputs == {
        "projectKey": "shop",
        "key": "revenue-per-user",
        "name": "Revenue per user",
        "kind": "custom",
        "isNumeric": True,
        "eventKey": "purchase",
        "unitAggregationType": "sum",
        "successCriteria": "HigherThanBaseline",
    }
    assert outputs["metricId"] == PROJECT["metrics"]["revenue-per-user"]["_id"]
    checked, failures = host.check("m", {}, inputs)
    assert failures == []
    assert host.diff(read_id, "m", olds=outputs, news=checked).changes == "none"


# -- delete ------------------------------------------------------------------------------------


def test_delete_sends_one_delete_and_a_gone_metric_is_done(
    host: ProviderHost, emulator: Emulator
) -> None:
    id_, outputs, inputs = created(host)
    emulator.clear_requests()
    host.delete(id_, "m", outputs=outputs, old_inputs=inputs)
    assert api_calls(emulator) == [("DELETE", SIGNUP)]
    assert live(emulator) is None
    host.delete(id_, "m", outputs=outputs, old_inputs=inputs)  # already gone: done


def test_a_delete_whose_answer_is_lost_is_confirmed_by_a_read(
    host: ProviderHost, emulator: Emulator
) -> None:
    id_, outputs, inputs = created(host)
    emulator.faults.drop_next(1, method="DELETE", after_processing=True)
    emulator.clear_requests()
    host.delete(id_, "m", outputs=outputs, old_inputs=inputs)
    assert api_calls(emulator) == [("DELETE", SIGNUP), ("GET", SIGNUP)]


def test_deleting_a_metric_a_group_lists_names_the_group(
    host: ProviderHost, emulator: Emulator
) -> None:
    id_, outputs, inputs = created(host)
    api(emulator, "POST", METRICS, signup(key="visit", name="Visit"))
    group = {
        "key": "signups",
        "name": "Signups",
        "kind": "standard",
        "maintainerId": MEMBER,
        "tags": [],
        "metrics": [{"key": "signup", "nameInGroup": "Signed up"}],
    }
    api(emulator, "POST", "/api/v2/projects/lab/metric-groups", group)
    emulator.clear_requests()
    if "in-use-refused" not in emulator.profile:
        host.delete(id_, "m", outputs=outputs, old_inputs=inputs)
        assert live(emulator) is None
        return
    with pytest.raises(ProviderCallError) as raised:
        host.delete(id_, "m", outputs=outputs, old_inputs=inputs)
    (line,) = [x for x in raised.value.details.splitlines() if "delete metric" in x]
    assert "delete metric lab/signup: LaunchDarkly answered 400" in line
    assert "in use by metric group 'signups'" in line
    assert api_calls(emulator) == [("DELETE", SIGNUP)]
    assert live(emulator) is not None


# -- references ----------------------------------------------------------------------------------


@pytest.fixture(params=["dynamic", "native"])
def adapter(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@one_profile  # reads only
def test_references_name_a_missing_project_or_maintainer(emulator: Emulator, adapter: str) -> None:
    checked = {"accessToken": TOKEN, "apiHost": emulator.url, "projectKey": "lab"}
    with provider_host(adapter, {**checked, "validateReferences": "always"}, Metric) as host:
        _, failures = host.check("m", {}, signup())
        assert failures == []
        _, failures = host.check("m", {}, {**signup(), "projectKey": "nowhere"})
        assert [(f.property, f.reason) for f in failures] == [
            ("projectKey", "project 'nowhere' not found (or the token cannot see it)")
        ]
        _, failures = host.check("m", {}, signup(maintainerId="nobody"))
        assert [(f.property, f.reason) for f in failures] == [
            (
                "maintainerId",
                "no member with id 'nobody' in this LaunchDarkly account (or the token cannot "
                "see it)",
            )
        ]
    assert all(method == "GET" for method, _ in api_calls(emulator))
