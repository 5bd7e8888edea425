"""core.rules: a rule reads what it declares; unknown values skip just the rules reading them.

These tests use their own marker for "unknown": the core takes any predicate, Pulumi's or not.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from launchdarkly_experiments.core import rules
from launchdarkly_experiments.core.kinds.experiment import plan, state
from launchdarkly_experiments.core.kinds.experiment.models import ExperimentSpec
from launchdarkly_experiments.core.kinds.experiment.rules import RULES
from tests.support.declarations import declaration

UNKNOWN = object()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def problems(props: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p.property, p.message) for p in rules.validation_problems(RULES, props, is_unknown)]


def test_every_rule_reads_declared_input_fields_only() -> None:
    assert len(RULES) == len({r.name for r in RULES}) == 16
    for rule in RULES:
        assert rule.reads, rule.name
        # find takes exactly the declared inputs, so it cannot read anything else.
        assert rule.find.__code__.co_argcount == len(rule.reads), rule.name


def test_a_rule_whose_input_is_unknown_is_skipped_and_others_still_run() -> None:
    props = declaration(type=UNKNOWN, winningTreatment="Left")
    props["iteration"]["reallocationFrequencyMillis"] = 60000
    # The bandit rule reads type: it might be 'mab', so no problem. The winner rule reads only
    # known inputs, so it reports.
    assert problems(props) == [
        ("winningTreatment", "'Left' is not a treatment name; use one of ['Top', 'Bottom']")
    ]


def test_rules_reading_known_parts_of_a_partly_unknown_iteration_still_run() -> None:
    props = declaration(state="stopped", winningTreatment="Top")
    props["iteration"]["hypothesis"] = UNKNOWN
    props["iteration"]["primarySingleMetricKey"] = "page-views"
    assert [p for p, _ in problems(props)] == ["iteration.primarySingleMetricKey"]

    props["iteration"]["treatments"][0]["name"] = UNKNOWN
    # Rules reading the treatments (winner, baseline, allocations) are skipped.
    assert [p for p, _ in problems(props)] == ["iteration.primarySingleMetricKey"]


def test_a_field_problem_next_to_an_unknown_value_is_reported() -> None:
    props = declaration()
    props["iteration"]["treatments"][0]["name"] = UNKNOWN
    props["iteration"]["treatments"][1]["allocationPercent"] = "lots"
    assert problems(props) == [
        (
            "iteration.treatments[1].allocationPercent",
            "must be a number from 0 to 100, got 'lots'",
        )
    ]


@pytest.mark.parametrize(
    "unknown_at",
    [("name",), ("iteration",), ("iteration", "treatments"), ("iteration", "metrics", 0)],
)
def test_field_problems_of_unknown_values_are_dropped(unknown_at: tuple[Any, ...]) -> None:
    props = declaration()
    node: Any = props
    for part in unknown_at[:-1]:
        node = node[part]
    node[unknown_at[-1]] = UNKNOWN
    assert problems(props) == []


def test_without_unknowns_the_declaration_is_validated_once_into_a_spec() -> None:
    checked = rules.Declaration(RULES, declaration())
    assert isinstance(checked.spec, ExperimentSpec)
    assert checked.problems() == []


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"state": "running", "onRunningChange": "new_iteration", "type": "experiment"},
        {"type": "mab", "state": "draft"},
        {"state": "stopped", "winningTreatment": "Top", "winningReason": "Clear"},
        {"state": "running", "winningTreatment": "Top", "methodology": "bayesian"},
        {
            "analysisConfig": {"bayesianThreshold": 90.0},
            "holdoutId": "h",
            "dataSource": "snowflake",
        },
        {"tags": ["b", "a", "b"], "description": "", "adopt": False},
    ],
)
def test_declared_fields_agrees_with_declared(overrides: dict[str, Any]) -> None:
    props = declaration(**overrides)
    props["iteration"]["treatments"][1]["baseline"] = False
    checked = rules.Declaration(RULES, copy.deepcopy(props))
    assert checked.spec is not None
    whole = state.declared(checked.spec)
    fields = ("tags", "description", "adopt", *plan.CHANGE_RULE_FIELDS)
    part = state.declared_fields({name: checked.value(name) for name in fields})
    assert part == {k: v for k, v in whole.items() if k in fields}


def test_an_unknown_marker_that_passes_validation_is_still_unknown() -> None:
    marker = "<not known yet>"  # Pulumi's own marker is a string too

    def is_marker(value: Any) -> bool:
        return value == marker

    props = declaration(name=marker, tags=["web", "checkout"])
    checked = rules.Declaration(RULES, props, is_marker)
    assert checked.field_problems == [] and checked.spec is None
    # The unknown value stays in its place; what is known is in declared form.
    inputs = plan.check({}, props, is_marker).inputs
    assert inputs["name"] == marker
    assert inputs["tags"] == ["checkout", "web"]


def test_a_partly_unknown_declaration_is_in_declared_form_around_its_unknowns() -> None:
    """A preview where an experiment's holdout is being replaced: only holdoutId is unknown,
    and the stored inputs must equal the known declaration's but for it, so the diff shows no
    "50" => 50 or new default beside the one real change."""
    props = declaration(holdoutId=UNKNOWN)
    # As a Python program writes them: a number, and a default spelt out.
    props["iteration"]["treatments"][0]["allocationPercent"] = 50
    props["iteration"]["treatments"][1]["baseline"] = False
    known = plan.check({}, {**props, "holdoutId": "h-1"}).inputs
    partly = plan.check({}, props, is_unknown).inputs
    assert partly["holdoutId"] is UNKNOWN
    assert {**partly, "holdoutId": "h-1"} == known


def test_a_declared_form_deriving_values_from_an_unknown_one_keeps_the_inputs_as_given() -> None:
    """An unknown key a form would rewrite (a name turned into something else) must not leak
    its stand-in: the inputs are then kept as given."""
    props = declaration(tags=[UNKNOWN, "web"])
    checked = rules.Declaration(RULES, props, is_unknown)

    def derived(spec: Any) -> dict[str, Any]:
        return {"tags": [f"tag:{t}" for t in spec.tags]}

    assert checked.form(derived) == props
    # An unknown value where a list is expected cannot stand in: also as given.
    whole = declaration(tags=UNKNOWN)
    assert plan.check({}, whole, is_unknown).inputs == whole
