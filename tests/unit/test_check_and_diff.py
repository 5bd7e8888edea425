"""check and diff: validation messages, canonical inputs, replace rules; never any I/O."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi.output import Unknown

from launchdarkly_experiments.core.kinds.experiment import state
from launchdarkly_experiments.provider import ExperimentProvider


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> ExperimentProvider:
    # No token anywhere: check and diff must still work (CI previews have no credentials).
    for name in ("LAUNCHDARKLY_ACCESS_TOKEN", "LAUNCHDARKLY_PROJECT_KEY", "LAUNCHDARKLY_API_HOST"):
        monkeypatch.delenv(name, raising=False)
    return ExperimentProvider()


def failures(provider: ExperimentProvider, props: dict[str, Any]) -> dict[str, str]:
    result = provider.check({}, {**props, "__provider": "blob"})
    return {f.property: f.reason for f in result.failures}


def test_valid_declaration_passes_and_is_canonical(
    provider: ExperimentProvider, valid: dict[str, Any]
) -> None:
    valid["tags"] = ["web", "checkout", "web"]
    valid["methodology"] = "bayesian"  # the API default: not a difference
    valid["iteration"]["treatments"][0]["allocationPercent"] = 50.0
    valid["iteration"]["flags"]["checkout-button"]["flagConfigVersion"] = 3.0
    result = provider.check({}, {**valid, "__provider": "blob"})
    assert result.failures == []
    inputs = result.inputs
    assert inputs["tags"] == ["checkout", "web"]
    assert "methodology" not in inputs
    assert inputs["iteration"]["treatments"][0]["allocationPercent"] == "50"
    assert inputs["iteration"]["flags"]["checkout-button"]["flagConfigVersion"] == 3
    assert provider._service._client is None, "check must not build an HTTP client"


@pytest.mark.parametrize(
    ("mutate", "prop", "fragment"),
    [
        (lambda p: p.update(methodology="bayes"), "methodology", "'frequentist'"),
        (lambda p: p.update(dataSource="bigquery"), "dataSource", "'snowflake'"),
        (lambda p: p.update(type="ab"), "type", "'mab'"),
        (lambda p: p.update(key="has space"), "key", "letters, digits"),
        (lambda p: p.update(colour="red"), "colour", "unknown property"),
        (lambda p: p.pop("name"), "name", "required"),
        (
            lambda p: p["iteration"]["treatments"][1].update(allocationPercent="150"),
            "iteration.treatments[1].allocationPercent",
            "0 to 100",
        ),
        (
            lambda p: p["iteration"]["treatments"][1].update(allocationPercent="lots"),
            "iteration.treatments[1].allocationPercent",
            "number",
        ),
        (
            lambda p: p["iteration"]["treatments"][1].update(allocationPercent="60"),
            "iteration.treatments",
            "total 110",
        ),
        (
            lambda p: p["iteration"]["treatments"][1].update(baseline=True),
            "iteration.treatments",
            "exactly one treatment must have baseline",
        ),
        (
            lambda p: p["iteration"]["treatments"][0].update(baseline=False),
            "iteration.treatments",
            "found 0",
        ),
        (
            lambda p: p["iteration"].update(primaryFunnelKey="checkout-funnel"),
            "iteration.primarySingleMetricKey",
            "exactly one of",
        ),
        (
            lambda p: p["iteration"].pop("primarySingleMetricKey"),
            "iteration.primarySingleMetricKey",
            "exactly one of",
        ),
        (
            lambda p: p["iteration"].update(primarySingleMetricKey="page-views"),
            "iteration.primarySingleMetricKey",
            "must also be listed in iteration.metrics",
        ),
        (
            lambda p: p["iteration"].update(reallocationFrequencyMillis=60000),
            "iteration.reallocationFrequencyMillis",
            "only allowed when type is 'mab'",
        ),
        (
            lambda p: p.update(type="mab"),
            "iteration.reallocationFrequencyMillis",
            "required when type is 'mab'",
        ),
        (
            lambda p: p["iteration"]["treatments"][0]["parameters"][0].update(flagKey="other"),
            "iteration.treatments[0].parameters[0].flagKey",
            "not in iteration.flags",
        ),
        (lambda p: p.update(state="stopped"), "winningTreatment", "required when state"),
        (lambda p: p.update(state="paused"), "state", "'running'"),
        (lambda p: p.update(winningTreatment="Left"), "winningTreatment", "not a treatment"),
        (
            lambda p: p["iteration"]["flags"]["checkout-button"].update(flagConfigVersion=-1),
            "iteration.flags.checkout-button.flagConfigVersion",
            "must be at least 0; got -1",
        ),
    ],
)
def test_each_rule_names_the_property_and_what_is_allowed(
    provider: ExperimentProvider, valid: dict[str, Any], mutate: Any, prop: str, fragment: str
) -> None:
    mutate(valid)
    found = failures(provider, valid)
    assert prop in found, found
    assert fragment in found[prop]


def test_project_and_environment_come_from_stack_config_defaults(
    provider: ExperimentProvider, valid: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    del valid["projectKey"], valid["environmentKey"]
    monkeypatch.setenv("LAUNCHDARKLY_PROJECT_KEY", "shop")
    monkeypatch.setenv("LAUNCHDARKLY_ENVIRONMENT_KEY", "staging")
    result = ExperimentProvider().check({}, {**valid, "__provider": "blob"})
    assert result.failures == []
    assert (result.inputs["projectKey"], result.inputs["environmentKey"]) == ("shop", "staging")


def test_unknown_values_at_preview_are_tolerated(
    provider: ExperimentProvider, valid: dict[str, Any]
) -> None:
    valid["name"] = Unknown()
    valid["iteration"]["treatments"][0]["parameters"][0]["variationId"] = Unknown()
    result = provider.check({}, {**valid, "__provider": "blob"})
    assert result.failures == []
    assert isinstance(result.inputs["name"], Unknown)
    # A definite mistake elsewhere is still reported.
    valid["methodology"] = "bayes"
    assert "methodology" in failures(provider, valid)


def checked(provider: ExperimentProvider, props: dict[str, Any], olds: Any = None) -> Any:
    result = provider.check(olds or {}, {**props, "__provider": "blob"})
    assert result.failures == [], result.failures
    return result.inputs


def test_diff_identical_reordered_and_defaulted_inputs_is_no_change(
    provider: ExperimentProvider, valid: dict[str, Any]
) -> None:
    old = checked(provider, {**valid, "tags": ["a", "b"]})
    new = checked(provider, {**valid, "tags": ["b", "a", "a"], "dataSource": "launchdarkly"})
    outputs = {**old, "experimentId": "x", "currentIteration": {"status": "not_started"}}
    outcome = provider.diff(
        "id", {**outputs, "__provider": "old-blob"}, {**new, "__provider": "new"}
    )
    assert outcome.changes is False
    assert outcome.replaces == []


def test_diff_in_place_change_and_replacements(
    provider: ExperimentProvider, valid: dict[str, Any]
) -> None:
    old = checked(provider, valid)
    renamed = checked(provider, {**valid, "name": "New name"})
    outcome = provider.diff("id", old, renamed)
    assert outcome.changes is True and outcome.replaces == []

    for field, value in (("key", "other"), ("projectKey", "p2"), ("environmentKey", "prod")):
        moved = checked(provider, {**valid, field: value})
        outcome = provider.diff("id", old, moved)
        assert outcome.changes is True
        assert outcome.replaces == [field]
        assert outcome.delete_before_replace is False


def test_steering_inputs_alone_are_not_a_change(
    provider: ExperimentProvider, valid: dict[str, Any]
) -> None:
    old = checked(provider, valid)
    new = checked(provider, {**valid, "adopt": True, "changeJustification": "because"})
    assert provider.diff("id", old, new).changes is False


def test_type_change_is_refused_at_check(
    provider: ExperimentProvider, valid: dict[str, Any]
) -> None:
    old = checked(provider, valid)
    result = provider.check(old, {**valid, "type": "holdout", "__provider": "b"})
    assert [f.property for f in result.failures] == ["type"]
    assert "new key" in result.failures[0].reason


def test_redesigning_a_running_iteration_needs_opt_in(
    provider: ExperimentProvider, valid: dict[str, Any]
) -> None:
    running = checked(provider, {**valid, "state": "running"})
    redesigned = copy.deepcopy(valid)
    redesigned["state"] = "running"
    redesigned["iteration"]["hypothesis"] = "A new idea"
    result = provider.check(running, {**redesigned, "__provider": "b"})
    assert [f.property for f in result.failures] == ["iteration"]
    assert "on_running_change='new_iteration'" in result.failures[0].reason
    assert "hypothesis" in result.failures[0].reason

    opted = checked(provider, {**redesigned, "onRunningChange": "new_iteration"}, olds=running)
    assert opted[state.ITERATION_CHANGE] == state.NEW_ITERATION_NOTICE
    assert provider.diff("id", running, opted).changes is True

    # Adding a metric is allowed in place while running: no new iteration.
    added = copy.deepcopy(valid)
    added["state"] = "running"
    added["iteration"]["metrics"].append({"key": "add-to-cart"})
    inputs = checked(provider, added, olds=running)
    assert state.ITERATION_CHANGE not in inputs


def test_lifecycle_rules_do_not_apply_to_a_replacement(
    provider: ExperimentProvider, valid: dict[str, Any]
) -> None:
    running = checked(provider, {**valid, "state": "running"})
    moved = copy.deepcopy(valid)
    moved.update(key="checkout-button-v2", type="holdout")
    moved["iteration"]["hypothesis"] = "A different idea"
    inputs = checked(provider, moved, olds=running)  # no lifecycle or type refusal
    assert state.ITERATION_CHANGE not in inputs
    assert provider.diff("id", running, inputs).replaces == ["key"]
