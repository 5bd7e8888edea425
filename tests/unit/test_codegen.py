"""What is generated from the resource kinds is fresh, and follows the kinds' models."""

from __future__ import annotations

from dataclasses import fields

from pydantic.alias_generators import to_snake

from launchdarkly_experiments.codegen.__main__ import ROOT, outputs
from launchdarkly_experiments.core.kind import field_names
from launchdarkly_experiments.core.kinds import KINDS
from launchdarkly_experiments.core.models import InputModel, nested_models
from launchdarkly_experiments.dynamic import resources


def test_every_generated_file_is_what_the_kinds_make() -> None:
    stale = []
    for path, make in outputs().items():
        current = path.read_text(encoding="utf-8")
        if make(current) != current:
            stale.append(str(path.relative_to(ROOT)))
    assert stale == [], f"regenerate with `python -m launchdarkly_experiments.codegen`: {stale}"


def test_each_args_class_has_the_fields_of_its_model_and_each_resource_its_properties() -> None:
    for kind in KINDS:
        for model in (*nested_models(kind.inputs), kind.inputs):
            assert issubclass(model, InputModel)
            args = getattr(resources, model.args_name)
            assert {f.name for f in fields(args)} == set(model.model_fields), model.args_name
        resource = getattr(resources, kind.name)
        expected = {to_snake(n) for n in (*field_names(kind.inputs), *kind.output_names())}
        assert set(resource.__annotations__) == expected, kind.name
        assert resource.provider_class.kind is kind


def test_the_arguments_keep_their_positions() -> None:
    """Positional arguments of the classes written by hand before they were generated."""
    assert [f.name for f in fields(resources.ExperimentArgs)][:5] == [
        "key",
        "name",
        "iteration",
        "project_key",
        "environment_key",
    ]
    assert [f.name for f in fields(resources.TreatmentParameterArgs)][:2] == [
        "flag_key",
        "variation_id",
    ]
    assert [f.name for f in fields(resources.TreatmentArgs)] == [
        "name",
        "allocation_percent",
        "parameters",
        "baseline",
    ]


def test_property_names_translate_both_ways_and_leave_user_data_alone() -> None:
    experiment = resources.Experiment.__new__(resources.Experiment)
    for name in (
        "treatmentIds",
        "winningTreatmentId",
        "primarySingleMetricKey",
        "experimentId",
        "variationName",
    ):
        snake = experiment.translate_output_property(name)
        assert experiment.translate_input_property(snake) == name
    # A flag key or treatment name inside a map is user data, not a property.
    assert experiment.translate_output_property("checkout-button") == "checkout-button"
    assert experiment.translate_output_property("myFlag") == "myFlag"
