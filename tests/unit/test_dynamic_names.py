"""The dynamic resource's names come from the core: Args classes and state shape agree."""

from __future__ import annotations

from dataclasses import fields

from pydantic import BaseModel
from pydantic.alias_generators import to_camel, to_snake

from launchdarkly_experiments.core import models, state
from launchdarkly_experiments.dynamic import resource

ARGS_FOR_MODEL: dict[type, type[BaseModel]] = {
    resource.ExperimentArgs: models.ExperimentSpec,
    resource.IterationArgs: models.IterationSpec,
    resource.TreatmentArgs: models.Treatment,
    resource.TreatmentParameterArgs: models.TreatmentParameter,
    resource.FlagArgs: models.FlagConfig,
    resource.MetricArgs: models.MetricRef,
    resource.AnalysisConfigArgs: models.AnalysisConfig,
}


def test_each_args_class_has_the_fields_of_its_core_model() -> None:
    for args, model in ARGS_FOR_MODEL.items():
        assert {f.name for f in fields(args)} == set(model.model_fields), args.__name__
        assert {to_camel(f.name) for f in fields(args)} <= state.PROPERTY_NAMES


def test_experiment_attributes_are_the_inputs_and_the_computed_outputs() -> None:
    attributes = set(resource.Experiment.__annotations__)  # its own, not the base class's
    expected = {f.name for f in fields(resource.ExperimentArgs)} | {
        to_snake(name) for name in state.OUTPUT_ONLY_FIELDS
    }
    assert attributes == expected


def test_property_names_translate_both_ways_and_leave_user_data_alone() -> None:
    experiment = resource.Experiment.__new__(resource.Experiment)
    for name in ("treatmentIds", "winningTreatmentId", "primarySingleMetricKey", "experimentId"):
        snake = experiment.translate_output_property(name)
        assert experiment.translate_input_property(snake) == name
    # A flag key or treatment name inside a map is user data, not a property.
    assert experiment.translate_output_property("checkout-button") == "checkout-button"
    assert experiment.translate_output_property("myFlag") == "myFlag"
