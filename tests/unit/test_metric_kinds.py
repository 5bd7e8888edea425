"""The Metric and MetricGroup kinds without HTTP: their rules, declared forms, live forms,
request bodies and plans."""

from __future__ import annotations

from typing import Any

import pytest

from launchdarkly_experiments.config import Settings
from launchdarkly_experiments.core.kinds import Metric, MetricGroup
from launchdarkly_experiments.core.kinds.metric.rules import RULES as METRIC_RULES
from launchdarkly_experiments.core.kinds.metric_group.rules import RULES as GROUP_RULES
from launchdarkly_experiments.core.rules import validation_problems
from launchdarkly_experiments.errors import ConfigurationError, NotFoundError


def problems(rules: Any, props: dict[str, Any]) -> dict[str, str]:
    return {p.property: p.message for p in validation_problems(rules, props)}


def metric(**more: Any) -> dict[str, Any]:
    return {"projectKey": "shop", "key": "m", "name": "M", **more}


# -- rules ---------------------------------------------------------------------------------------


def test_each_kind_of_metric_requires_what_the_spec_says() -> None:
    assert problems(METRIC_RULES, metric(kind="click")) == {
        "selector": "required for click metrics (the CSS selectors of the elements clicked); it "
        "is not set",
        "urls": "required for click metrics (the pages watched, one or more); it is not set",
    }
    assert problems(METRIC_RULES, metric(kind="pageview")) == {
        "urls": "required for pageview metrics (the pages watched, one or more); it is not set"
    }
    assert problems(METRIC_RULES, metric(kind="custom")) == {
        "isNumeric": "required for custom metrics (true to measure a value, false to count "
        "conversions); it is not set",
        "eventKey": "required for custom metrics (the event key your code sends); it is not set",
    }
    assert problems(METRIC_RULES, metric(kind="custom", isNumeric=True, eventKey="e")) == {
        "successCriteria": "required for numeric custom metrics (HigherThanBaseline or "
        "LowerThanBaseline); it is not set"
    }
    valid = metric(
        kind="custom", isNumeric=True, eventKey="e", successCriteria="LowerThanBaseline", unit="s"
    )
    assert problems(METRIC_RULES, valid) == {}


def test_what_only_some_kinds_take_is_refused_on_the_others() -> None:
    pageview = metric(
        kind="pageview",
        urls=[{"kind": "canonical", "url": "https://example.com"}],
        selector="#a",
        isNumeric=True,
        eventKey="e",
        successCriteria="HigherThanBaseline",
        unit="s",
        filters={"type": "group", "op": "and", "values": [], "negate": False},
    )
    assert problems(METRIC_RULES, pageview) == {
        "selector": "only click metrics take it; this metric's kind is 'pageview'",
        "isNumeric": "only custom metrics take it; this metric's kind is 'pageview'",
        "eventKey": "only custom metrics take it; this metric's kind is 'pageview'",
        "successCriteria": "only custom metrics take it; this metric's kind is 'pageview'",
        "unit": "only numeric custom metrics take it; this metric is a pageview metric",
        "filters": "only custom metrics take it; this metric's kind is 'pageview'",
    }
    conversion = metric(
        kind="custom", isNumeric=False, eventKey="e", unit="s", urls=[{"kind": "regex"}]
    )
    assert problems(METRIC_RULES, conversion) == {
        "unit": "only numeric custom metrics take it; this metric is a custom metric that "
        "counts conversions (isNumeric false)",
        "urls": "only click and pageview metrics take it; this metric's kind is 'custom'",
        "urls[0].pattern": "required for a URL of kind 'regex'; it is not set",
    }


def test_percentiles_filters_and_event_defaults() -> None:
    custom = metric(kind="custom", isNumeric=False, eventKey="e")
    assert problems(METRIC_RULES, {**custom, "analysisType": "percentile"}) == {
        "percentileValue": 'required with analysisType "percentile"; it is not set'
    }
    assert problems(METRIC_RULES, {**custom, "percentileValue": 50}) == {
        "percentileValue": 'only with analysisType "percentile" (analysisType is not set)'
    }
    assert problems(METRIC_RULES, {**custom, "percentileValue": 101})["percentileValue"] == (
        "must be at most 100; got 101"
    )
    filters = {"type": "eventProperty", "op": "in", "values": ["a"], "negate": False}
    assert problems(METRIC_RULES, {**custom, "filters": filters}) == {
        "filters.attribute": "required for a 'eventProperty' filter; it is not set"
    }
    assert problems(METRIC_RULES, {**custom, "eventDefault": {"value": 1}}) == {
        "eventDefault.value": "LaunchDarkly supports only 0; got 1"
    }
    assert problems(METRIC_RULES, {**custom, "analysisType": "median"}) == {
        "analysisType": "must be one of 'mean', 'percentile'; got 'median'"
    }


def test_a_funnel_has_two_named_steps_and_no_group_lists_a_metric_twice() -> None:
    group = {"projectKey": "shop", "key": "g", "name": "G", "kind": "funnel"}
    assert problems(GROUP_RULES, {**group, "metrics": [{"key": "a"}]}) == {
        "metrics": "a funnel needs at least two metrics (its steps, in order); it has 1",
        "metrics[0].nameInGroup": "required in a funnel (the step's name); it is not set",
    }
    twice = [{"key": "a", "nameInGroup": "A"}, {"key": "a", "nameInGroup": "B"}]
    assert problems(GROUP_RULES, {**group, "metrics": twice}) == {
        "metrics[1].key": "metric 'a' is already metrics[0]; a group lists each metric once"
    }
    standard = {**group, "kind": "standard", "metrics": [{"key": "a"}]}
    assert problems(GROUP_RULES, standard) == {}
    assert problems(GROUP_RULES, {**standard, "metrics": []}) == {
        "metrics": "must have at least 1 item(s); got none"
    }


# -- declared and live forms ---------------------------------------------------------------------


class Context:
    """A context without network: the settings only (and lookups that must not be used)."""

    def __init__(self, settings: Settings | None = None, member: str | None = "me-id") -> None:
        self.settings = settings or Settings()
        self.member = member

    def client(self) -> Any:
        raise AssertionError("no HTTP in these tests")

    def lookups(self) -> Any:
        context = self

        class Lookups:
            def get_member(self, member_id: str) -> Any:
                if context.member is None:
                    raise NotFoundError(404, "not_found", "no", method="GET", path="/me")
                return {"_id": context.member}

        return Lookups()

    def declared_here(self, kind: str, id_: str) -> bool:
        return False


def test_the_metric_declared_form_drops_what_launchdarkly_holds_anyway() -> None:
    kind = Metric(Context())
    spec = kind.spec(
        metric(
            kind="pageview",
            urls=[{"kind": "exact", "url": "/"}],
            isNumeric=False,
            tags=[],
            dataSource={"key": "launchdarkly"},
            eventDefault={"value": 0.0},
        )
    )
    assert kind.declared(spec) == {
        **metric(kind="pageview", urls=[{"kind": "exact", "url": "/"}]),
        "eventDefault": {"value": 0.0},
    }
    custom = kind.spec(metric(kind="custom", isNumeric=False, eventKey="e"))
    assert kind.declared(custom)["isNumeric"] is False, "a custom metric says what it counts"


def test_the_metric_live_form_keeps_declared_fields_only() -> None:
    kind = Metric(Context())
    rep = {
        "_id": "m1",
        "_versionId": "v1",
        "_version": 3,
        "key": "m",
        "name": "M",
        "kind": "click",
        "selector": "#buy",
        "urls": [{"kind": "exact", "url": "/", "_id": "u1"}],
        "isNumeric": False,
        "tags": ["b", "a"],
        "maintainerId": "someone",
        "randomizationUnits": ["user"],
        "dataSource": {"key": "launchdarkly", "_name": "LaunchDarkly"},
        "lastModified": {"date": "2024-01-01T00:00:00Z"},
        "_creationDate": 1,
    }
    address = {"projectKey": "shop", "key": "m"}
    expected = {
        **metric(kind="click", selector="#buy", urls=[{"kind": "exact", "url": "/"}]),
        "tags": ["a", "b"],
    }
    assert kind.live_form(rep, address, {}) == expected
    hint = {"maintainerId": "me", "randomizationUnits": ["user"]}
    assert kind.live_form(rep, address, hint) == {
        **expected,
        "maintainerId": "someone",
        "randomizationUnits": ["user"],
    }
    assert kind.computed(rep) == {
        "metricId": "m1",
        "versionId": "v1",
        "version": 3,
        "creationDate": 1,
        "lastModified": "2024-01-01T00:00:00Z",
        "effectiveMaintainerId": "someone",
        "effectiveRandomizationUnits": ["user"],
    }
    # A live value the input model refuses is kept as it is: the next diff shows it.
    odd = kind.live_form({**rep, "analysisType": "median"}, address, {})
    assert odd["analysisType"] == "median"


def test_a_standard_group_names_a_metric_by_its_key_unless_told_otherwise() -> None:
    kind = MetricGroup(Context())
    props = {
        "projectKey": "shop",
        "key": "g",
        "name": "G",
        "kind": "standard",
        "tags": [],
        "metrics": [{"key": "a", "nameInGroup": "a"}, {"key": "b", "nameInGroup": "Bee"}],
    }
    spec = kind.spec(props)
    desired = kind.declared(spec)
    assert desired["metrics"] == [{"key": "a"}, {"key": "b", "nameInGroup": "Bee"}]
    assert "tags" not in desired
    assert kind.create_body(spec, desired) == {
        "key": "g",
        "name": "G",
        "kind": "standard",
        "tags": [],
        "maintainerId": "me-id",
        "metrics": [{"key": "a", "nameInGroup": "a"}, {"key": "b", "nameInGroup": "Bee"}],
    }
    funnel = kind.declared(kind.spec({**props, "kind": "funnel"}))
    assert funnel["metrics"] == props["metrics"], "a funnel's steps keep their names"


def test_a_group_maintainer_defaults_to_the_setting_then_the_token_member() -> None:
    props = {"projectKey": "p", "key": "g", "name": "G", "kind": "standard"}
    props["metrics"] = [{"key": "a"}]
    with_setting = MetricGroup(Context(Settings(maintainer_id="set")))
    spec = with_setting.spec(props)
    assert with_setting.create_body(spec, with_setting.declared(spec))["maintainerId"] == "set"
    declared = MetricGroup(Context(member="x"))
    spec = declared.spec({**props, "maintainerId": "mine"})
    assert declared.create_body(spec, declared.declared(spec))["maintainerId"] == "mine"
    service_token = MetricGroup(Context(member=None))
    spec = service_token.spec(props)
    with pytest.raises(ConfigurationError) as raised:
        service_token.create_body(spec, service_token.declared(spec))
    assert raised.value.problems[0].property == "maintainerId"
    assert "launchdarkly:maintainerId / LAUNCHDARKLY_MAINTAINER_ID" in str(raised.value)


def test_a_group_live_form_reads_the_maintainer_from_its_member() -> None:
    kind = MetricGroup(Context())
    rep = {
        "_id": "g1",
        "key": "g",
        "name": "G",
        "kind": "funnel",
        "tags": [],
        "maintainer": {"member": {"_id": "someone"}},
        "metrics": [
            {"key": "a", "nameInGroup": "A", "kind": "custom", "_links": {}},
            {"key": "b", "nameInGroup": "B", "kind": "custom", "_links": {}},
        ],
        "_version": 2,
        "_creationDate": 1,
        "_lastModified": 2,
    }
    address = {"projectKey": "p", "key": "g"}
    form = kind.live_form(rep, address, {"maintainerId": "declared"})
    assert form == {
        "projectKey": "p",
        "key": "g",
        "name": "G",
        "kind": "funnel",
        "maintainerId": "someone",
        "metrics": [{"key": "a", "nameInGroup": "A"}, {"key": "b", "nameInGroup": "B"}],
    }
    no_member = kind.live_form({**rep, "maintainer": {}}, address, {"maintainerId": "declared"})
    assert no_member["maintainerId"] == "declared"
    assert "maintainerId" not in kind.live_form(rep, address, {})
    assert kind.computed(rep) == {
        "metricGroupId": "g1",
        "version": 2,
        "creationDate": 1,
        "lastModified": 2,
        "effectiveMaintainerId": "someone",
    }


# -- the patch -----------------------------------------------------------------------------------


def test_a_metric_update_patches_only_its_writable_fields() -> None:
    kind = Metric(Context())
    assert kind.writable() == (
        "name",
        "description",
        "selector",
        "urls",
        "isNumeric",
        "unit",
        "eventKey",
        "successCriteria",
        "tags",
        "randomizationUnits",
        "maintainerId",
        "unitAggregationType",
        "analysisType",
        "percentileValue",
        "eventDefault",
        "dataSource",
        "filters",
    )
    old = metric(kind="custom", isNumeric=False, eventKey="e", maintainerId="x")
    new = {**metric(kind="custom", isNumeric=False, eventKey="f"), "adopt": True}
    assert kind.plan(old, new) == [{"op": "replace", "path": "/eventKey", "value": "f"}]
