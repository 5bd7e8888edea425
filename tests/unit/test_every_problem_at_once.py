"""Every problem at once: field problems and every rule whose inputs are valid, in one check."""

from __future__ import annotations

from typing import Any

import pytest

from launchdarkly_experiments.core.kinds.experiment.models import ExperimentSpec
from launchdarkly_experiments.core.kinds.experiment.rules import RULES
from launchdarkly_experiments.core.models import input_field
from launchdarkly_experiments.core.rules import Declaration, validation_problems
from tests.support import fixture_ids as ids
from tests.support.declarations import declaration


def found(props: dict[str, Any]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for problem in validation_problems(RULES, props):
        path, message = problem.property, problem.message
        result.setdefault(path, []).append(message)
    return result


def test_an_enum_error_no_longer_hides_the_rules_across_fields() -> None:
    """The issue's example: bad methodology + two baselines + 140% -> all three reported."""
    props = declaration(methodology="bayes")
    treatments = props["iteration"]["treatments"]
    treatments[1]["baseline"] = True
    treatments[0]["allocationPercent"] = "90"
    treatments[1]["allocationPercent"] = 50
    problems = found(props)
    assert problems["methodology"] == [
        "must be one of 'bayesian', 'frequentist', 'export_only'; got 'bayes'"
    ]
    assert sorted(problems["iteration.treatments"]) == [
        "allocation percentages total 140; they must total no more than 100",
        "exactly one treatment must have baseline=True, found 2 (Top, Bottom)",
    ]


def test_a_rule_whose_input_is_broken_is_held_back() -> None:
    """An unreadable allocation: the rules reading the treatments wait, the others run.

    Rules read whole inputs (core/rules.py: ``iteration.treatments``), so a field problem inside
    a treatment holds back every rule on the treatments; rules on other inputs still run.
    """
    props = declaration(methodology="bayes")
    treatments = props["iteration"]["treatments"]
    treatments[0]["allocationPercent"] = "lots"
    treatments[1]["baseline"] = True
    props["iteration"]["metrics"].append(dict(props["iteration"]["metrics"][0]))
    problems = found(props)
    assert "lots" in problems["iteration.treatments[0].allocationPercent"][0]
    assert "iteration.treatments" not in problems
    assert "got 'bayes'" in problems["methodology"][0]
    assert any("listed twice" in m for m in problems["iteration.metrics[2].key"])


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"methodology": "bayes"}, "methodology", "got 'bayes'"),
        ({"name": 7}, "name", "must be a string; got 7"),
        ({"name": ""}, "name", "must not be empty; got ''"),
        ({"adopt": "maybe"}, "adopt", "must be true or false; got 'maybe'"),
        ({"tags": "web"}, "tags", "must be a list; got 'web'"),
        ({"key": "has space"}, "key", "got 'has space'"),
        ({"analysisConfig": []}, "analysisConfig", "must be a mapping of properties; got"),
        ({"colour": "red"}, "colour", "unknown property 'colour'; allowed here: key, name"),
        ({"nmae": "x"}, "nmae", "did you mean 'name'?"),
        ({"state": "paused"}, "state", "must be one of 'draft', 'running', 'stopped'; got"),
    ],
)
def test_field_messages_say_what_was_given_and_what_is_allowed(
    change: dict[str, Any], path: str, message: str
) -> None:
    problems = found(declaration(**change))
    assert any(message in m for m in problems[path]), problems


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        pytest.param(
            lambda it: it["metrics"].append({"key": "checkout-completed"}),
            "iteration.metrics[2].key",
            "'checkout-completed' is listed twice (also iteration.metrics[0])",
            id="duplicate-metric",
        ),
        pytest.param(
            lambda it: it.update(hypothesis="   "),
            "iteration.hypothesis",
            "must not be blank; got '   '",
            id="blank-hypothesis",
        ),
        pytest.param(
            lambda it: it["treatments"][1].update(name=" "),
            "iteration.treatments[1].name",
            "must not be blank",
            id="blank-treatment-name",
        ),
        pytest.param(
            lambda it: it["treatments"][0]["parameters"].append(
                {"flagKey": "checkout-button", "variationId": "other"}
            ),
            "iteration.treatments[0].parameters[1].flagKey",
            "two parameters for flag 'checkout-button'",
            id="two-parameters-one-flag",
        ),
        pytest.param(
            lambda it: it["treatments"][1]["parameters"][0].update(variationId=ids.TOP),
            "iteration.treatments[1].parameters[0].variationId",
            "'Top' and 'Bottom' both serve variation",
            id="same-variation-two-arms",
        ),
    ],
)
def test_offline_rules(mutate: Any, path: str, fragment: str) -> None:
    props = declaration()
    mutate(props["iteration"])
    problems = found(props)
    assert any(fragment in m for m in problems.get(path, [])), problems


def test_blank_experiment_name() -> None:
    assert found(declaration(name="  "))["name"] == ["must not be blank; got '  '"]


def test_snake_case_inputs_are_salvaged_too() -> None:
    props = declaration(methodology="bayes")
    props["iteration"]["primary_single_metric_key"] = props["iteration"].pop(
        "primarySingleMetricKey"
    )
    props["iteration"]["treatments"][1]["baseline"] = True
    assert "iteration.treatments" in found(props)


def test_every_rule_declares_inputs_that_exist_in_the_model() -> None:
    names = {rule.name for rule in RULES}
    assert len(names) == len(RULES)
    for rule in RULES:
        assert rule.reads, rule.name
        for read in rule.reads:
            top = read.split(".")[0].split("[")[0].removesuffix("#keys")
            assert top in {f.alias or n for n, f in ExperimentSpec.model_fields.items()}, read


def test_a_valid_declaration_has_no_problem_and_rules_run_on_it_directly() -> None:
    """Each rule gets its inputs validated path by path (``Declaration.value``): for a valid
    declaration they are the values the whole model holds there, typed, not raw dicts."""
    props = declaration(type="mab")
    props["iteration"]["reallocationFrequencyMillis"] = 3_600_000.0  # a whole number as float
    props["iteration"]["treatments"][0]["allocationPercent"] = 50.0  # canonical "50"
    # snake_case is accepted too; the rule still reads it under its camelCase path.
    props["iteration"]["primary_single_metric_key"] = props["iteration"].pop(
        "primarySingleMetricKey"
    )
    assert validation_problems(RULES, props) == []
    read = Declaration(RULES, props)
    assert read.spec is not None and read.field_problems == [] and not read.has_unknown
    paths = sorted({path for rule in RULES for path in rule.reads})
    assert "winningTreatment" in paths and "iteration.treatments" in paths
    for path in paths:
        held: Any = read.spec
        for name in input_field(ExperimentSpec, path).python_names:
            held = getattr(held, name)
        assert read.value(path) == held, path
    treatments = read.value("iteration.treatments")
    assert [type(t).__name__ for t in treatments] == ["Treatment", "Treatment"]
    assert [t.allocation_percent for t in treatments] == ["50", "50"]
    assert read.value("iteration.reallocationFrequencyMillis") == 3_600_000
    assert read.value("iteration.primarySingleMetricKey") == "checkout-completed"
    assert read.value("winningTreatment") is None  # absent: the field's default


def test_a_whole_missing_iteration_reports_only_that() -> None:
    props = declaration()
    del props["iteration"]
    assert found(props) == {"iteration": ["required: this property must be set"]}
