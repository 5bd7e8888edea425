"""The Pulumi-facing side: typed argument classes and the ``Experiment`` resource.

Inputs are written in Python as snake_case and sent to the provider (and kept in state) as
camelCase, the names of LaunchDarkly's API. Outputs come back as snake_case attributes. Which
names are translated comes from the state's shape (``core.state.PROPERTY_NAMES``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from typing import Any

import pulumi
from pulumi import CustomResource
from pulumi.dynamic import Resource
from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider
from pydantic.alias_generators import to_camel, to_snake

from ..core.state import OUTPUT_ONLY_FIELDS, PROPERTY_NAMES
from ..provider import ExperimentProvider

# One provider instance for every resource: it pickles to the same small blob each time.
_PROVIDER = ExperimentProvider()


@functools.cache
def _serialized_provider() -> str:
    blob: str = serialize_provider(_PROVIDER)
    return blob


class _Args:
    """Base of the argument classes: turns itself into the camelCase dict the provider reads."""

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {}
        for item in fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            if value is not None:
                wire[to_camel(item.name)] = _to_wire(value)
        return wire


def _to_wire(value: Any) -> Any:
    if isinstance(value, _Args):
        return value.to_wire()
    if isinstance(value, pulumi.Output):
        return value.apply(_to_wire)
    if isinstance(value, dict):
        return {k: _to_wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_wire(v) for v in value]
    return value


@dataclass
class TreatmentParameterArgs(_Args):
    """Which flag variation a treatment serves: ``variation`` (its name or value) or its id."""

    flag_key: pulumi.Input[str]
    variation_id: pulumi.Input[str] | None = None
    variation: pulumi.Input[str | bool | int | float] | None = None


@dataclass
class TreatmentArgs(_Args):
    """One arm of the experiment. ``allocation_percent`` is 0-100; all arms total at most 100."""

    name: pulumi.Input[str]
    allocation_percent: pulumi.Input[float | int | str]
    parameters: pulumi.Input[list[TreatmentParameterArgs]]
    baseline: pulumi.Input[bool] | None = None


@dataclass
class FlagArgs(_Args):
    """The flag rule the experiment runs on.

    ``rule_id`` is a rule's ``_id`` or description, or "fallthrough"; ``flag_config_version``
    left out is the flag's current version in the environment when the experiment is created.
    """

    rule_id: pulumi.Input[str]
    flag_config_version: pulumi.Input[int] | None = None
    not_in_experiment_variation_id: pulumi.Input[str] | None = None


@dataclass
class MetricArgs(_Args):
    """A metric, or a metric group when ``is_group`` is True."""

    key: pulumi.Input[str]
    is_group: pulumi.Input[bool] | None = None


@dataclass
class AnalysisConfigArgs(_Args):
    bayesian_threshold: pulumi.Input[str] | None = None
    significance_threshold: pulumi.Input[str] | None = None
    test_direction: pulumi.Input[str] | None = None
    multiple_comparison_correction_method: pulumi.Input[str] | None = None
    multiple_comparison_correction_scope: pulumi.Input[str] | None = None
    sequential_testing_enabled: pulumi.Input[bool] | None = None


@dataclass
class IterationArgs(_Args):
    """The design of the experiment's iteration."""

    hypothesis: pulumi.Input[str]
    metrics: pulumi.Input[list[MetricArgs]]
    treatments: pulumi.Input[list[TreatmentArgs]]
    flags: pulumi.Input[dict[str, FlagArgs]]
    primary_single_metric_key: pulumi.Input[str] | None = None
    primary_funnel_key: pulumi.Input[str] | None = None
    randomization_unit: pulumi.Input[str] | None = None
    can_reshuffle_traffic: pulumi.Input[bool] | None = None
    reallocation_frequency_millis: pulumi.Input[int] | None = None
    covariate_id: pulumi.Input[str] | None = None
    attributes: pulumi.Input[list[str]] | None = None


@dataclass
class ExperimentArgs(_Args):
    """Everything an ``Experiment`` takes. See the README's resource reference."""

    key: pulumi.Input[str]
    name: pulumi.Input[str]
    iteration: pulumi.Input[IterationArgs]
    project_key: pulumi.Input[str] | None = None
    environment_key: pulumi.Input[str] | None = None
    description: pulumi.Input[str] | None = None
    maintainer_id: pulumi.Input[str] | None = None
    holdout_id: pulumi.Input[str] | None = None
    tags: pulumi.Input[list[str]] | None = None
    methodology: pulumi.Input[str] | None = None
    analysis_config: pulumi.Input[AnalysisConfigArgs] | None = None
    data_source: pulumi.Input[str] | None = None
    type: pulumi.Input[str] | None = None
    state: pulumi.Input[str] | None = None
    winning_treatment: pulumi.Input[str] | None = None
    winning_reason: pulumi.Input[str] | None = None
    change_justification: pulumi.Input[str] | None = None
    on_running_change: pulumi.Input[str] | None = None
    on_stopped: pulumi.Input[str] | None = None
    adopt: pulumi.Input[bool] | None = None


_INPUT_NAMES = tuple(to_camel(f.name) for f in fields(ExperimentArgs))


class Experiment(Resource, module="launchdarkly", name="Experiment"):
    """A LaunchDarkly experiment in one project and environment.

    Type token: ``pulumi-python:dynamic/launchdarkly:Experiment`` (the engine requires the
    ``pulumi-python:dynamic`` prefix to route a resource to its dynamic provider).
    ``pulumi destroy`` archives the experiment: LaunchDarkly has no way to delete one.
    """

    project_key: pulumi.Output[str]
    environment_key: pulumi.Output[str]
    key: pulumi.Output[str]
    name: pulumi.Output[str]
    description: pulumi.Output[str | None]
    maintainer_id: pulumi.Output[str | None]
    holdout_id: pulumi.Output[str | None]
    tags: pulumi.Output[list[str] | None]
    methodology: pulumi.Output[str | None]
    analysis_config: pulumi.Output[dict[str, Any] | None]
    data_source: pulumi.Output[str | None]
    type: pulumi.Output[str | None]
    iteration: pulumi.Output[dict[str, Any]]
    state: pulumi.Output[str | None]
    winning_treatment: pulumi.Output[str | None]
    winning_reason: pulumi.Output[str | None]
    change_justification: pulumi.Output[str | None]
    on_running_change: pulumi.Output[str | None]
    on_stopped: pulumi.Output[str | None]
    adopt: pulumi.Output[bool | None]
    # Computed by LaunchDarkly:
    experiment_id: pulumi.Output[str]
    creation_date: pulumi.Output[int]
    archived_date: pulumi.Output[int | None]
    effective_maintainer_id: pulumi.Output[str]
    links: pulumi.Output[dict[str, str]]
    current_iteration: pulumi.Output[dict[str, Any] | None]
    previous_iterations: pulumi.Output[list[dict[str, Any]]]
    # What names resolved to (property path -> id or version), e.g. a variation's _id:
    resolved_references: pulumi.Output[dict[str, Any]]
    # By flag key, what stopping with a winner made the flag serve (variation_id,
    # variation_name, value, rule_id, rule_description):
    shipped: pulumi.Output[dict[str, dict[str, Any]] | None]

    def __init__(
        self,
        resource_name: str,
        args: ExperimentArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        if args is None:
            try:
                args = ExperimentArgs(**kwargs)
            except TypeError as exc:
                raise TypeError(f"Experiment {resource_name!r}: {exc}") from None
        elif kwargs:
            raise TypeError(
                f"Experiment {resource_name!r}: pass either args=ExperimentArgs(...) or keyword "
                f"arguments, not both (got {sorted(kwargs)})"
            )
        # Top-level keys are the Python attribute names (the SDK binds outputs to them);
        # translate_input_property renames them to the camelCase wire names. Computed outputs
        # are seeded with None so that they exist as attributes.
        wire = args.to_wire()
        props: dict[str, Any] = {
            to_snake(name): wire.get(name) for name in (*_INPUT_NAMES, *OUTPUT_ONLY_FIELDS)
        }
        # What dynamic.Resource.__init__ does, with the provider serialized once per process:
        # the SDK's serialize_provider wraps pickle's _batch_setitems again on every call and
        # never unwraps it, so past about 980 dynamic resources in one program every further
        # call fails with RecursionError. Our provider pickles by reference to the same blob
        # each time (it holds no state), so one serialization serves every resource, and the
        # blob stays a secret as the SDK makes it.
        props[PROVIDER_KEY] = pulumi.Output.secret(_serialized_provider())
        CustomResource.__init__(
            self, f"pulumi-python:{self._resource_type_name}", resource_name, props, opts
        )

    # Only our own property names are translated; user data such as flag keys or treatment
    # names inside maps is left alone.
    def translate_output_property(self, prop: str) -> str:
        return to_snake(prop) if prop in PROPERTY_NAMES else prop

    def translate_input_property(self, prop: str) -> str:
        return to_camel(prop) if prop in _SNAKE_PROPERTY_NAMES else prop


_SNAKE_PROPERTY_NAMES = frozenset(to_snake(name) for name in PROPERTY_NAMES)
