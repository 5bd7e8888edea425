"""Typed domain layer: what a user declares, and what LaunchDarkly answers.

Python attributes are snake_case; the wire (API bodies and Pulumi state) is camelCase. Input models
forbid unknown fields; response models ignore them (LaunchDarkly adds fields over time).

Per-field rules live here and only here, as pydantic constraints and annotated types (so a field
validates the same alone as inside its model: ``input_field``). Rules across fields are in
``rules``.
"""

from __future__ import annotations

import functools
import re
import types
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
)
from pydantic.alias_generators import to_camel

KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_KEY_RE = re.compile(KEY_PATTERN)


class Methodology(StrEnum):
    BAYESIAN = "bayesian"
    FREQUENTIST = "frequentist"
    EXPORT_ONLY = "export_only"


class DataSource(StrEnum):
    LAUNCHDARKLY = "launchdarkly"
    SNOWFLAKE = "snowflake"


class ExperimentType(StrEnum):
    EXPERIMENT = "experiment"
    MAB = "mab"
    HOLDOUT = "holdout"


class CorrectionMethod(StrEnum):
    BONFERRONI = "bonferroni"
    BENJAMINI_HOCHBERG = "benjamini-hochberg"


class CorrectionScope(StrEnum):
    VARIATIONS = "variations"
    VARIATIONS_AND_METRICS = "variations-and-metrics"
    METRICS = "metrics"


class IterationStatus(StrEnum):
    NOT_STARTED = "not_started"
    RUNNING = "running"
    STOPPED = "stopped"


class RunState(StrEnum):
    """The declared run state of an experiment's current iteration."""

    DRAFT = "draft"
    RUNNING = "running"
    STOPPED = "stopped"


RUN_STATE_OF_STATUS = {
    IterationStatus.NOT_STARTED: RunState.DRAFT,
    IterationStatus.RUNNING: RunState.RUNNING,
    IterationStatus.STOPPED: RunState.STOPPED,
}


class StoppedPolicy(StrEnum):
    """What to do when a stopped iteration is declared running again."""

    REFUSE = "refuse"
    RESTART = "restart"


class RunningChangePolicy(StrEnum):
    """What to do when the iteration design changes while an iteration is running."""

    REFUSE = "refuse"
    NEW_ITERATION = "new_iteration"


# Defaults LaunchDarkly applies when a field is left out. A declared value equal to the default is
# dropped before diffing, so writing the default explicitly is never a change.
API_DEFAULTS: dict[str, Any] = {
    "methodology": Methodology.BAYESIAN.value,
    "dataSource": DataSource.LAUNCHDARKLY.value,
    "type": ExperimentType.EXPERIMENT.value,
    "tags": [],
    "canReshuffleTraffic": True,
    "randomizationUnit": "user",
    "attributes": [],
}


def _check_key(value: str) -> str:
    if not _KEY_RE.match(value):
        raise ValueError(
            "must start with a letter or digit and contain only letters, digits, '.', '_' or '-'"
        )
    return value


Key = Annotated[str, Field(min_length=1, max_length=256), AfterValidator(_check_key)]
NonEmpty = Annotated[str, Field(min_length=1)]


def _sorted_set(tags: list[str] | None) -> list[str] | None:
    # LaunchDarkly treats tags as a set: order and repeats carry no meaning.
    return sorted(set(tags)) if tags is not None else None


def _empty_is_none(description: str | None) -> str | None:
    # LaunchDarkly does not distinguish an empty description from none.
    return description or None


TagSet = Annotated[list[NonEmpty] | None, AfterValidator(_sorted_set)]
Description = Annotated[str | None, AfterValidator(_empty_is_none)]


def _percent(value: Any) -> str:
    """Allocation percentages are strings on the wire ("50"); accept numbers too."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError('must be a number from 0 to 100 (for example 50 or "33.5")')
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"must be a number from 0 to 100, got {value!r}") from None
    if not number.is_finite() or number < 0 or number > 100:
        raise ValueError(f"must be a number from 0 to 100, got {value!r}")
    text = format(number.normalize(), "f")
    return text


Percent = Annotated[str, BeforeValidator(_percent)]


def _threshold(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError('must be a number given as a string, for example "5"')
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"must be a number, got {value!r}") from None
    if not number.is_finite() or number < 0 or number > 100:
        raise ValueError(f"must be a number from 0 to 100, got {value!r}")
    return format(number.normalize(), "f")


Threshold = Annotated[str, BeforeValidator(_threshold)]


def field_type(annotation: Any) -> Any:
    """A field's type with ``Annotated`` metadata and an optional ``None`` stripped off.

    A union of several types other than ``None`` is returned as it is.
    """
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


class InputModel(BaseModel):
    """Base of every user-input and request model."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        use_enum_values=True,
    )

    def wire(self) -> dict[str, Any]:
        """The camelCase JSON body, without unset (None) fields."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class TreatmentParameter(InputModel):
    flag_key: Key = Field(description="Key of the flag this treatment sets.")
    # One of the two: the variation's _id, or its name or value (resolved by core/references.py).
    variation_id: NonEmpty | None = Field(
        default=None, description="The `_id` of the flag variation served (or give variation)."
    )
    variation: str | bool | int | float | None = Field(
        default=None,
        description="The flag variation served, by its name or value (instead of variationId).",
    )


class Treatment(InputModel):
    name: NonEmpty = Field(description="Treatment name, unique in the iteration.")
    baseline: bool = Field(default=False, description="True for the one baseline treatment.")
    allocation_percent: Percent = Field(
        description='Share of traffic, 0 to 100, as a numeric string such as "50" or "33.5"; '
        "all treatments total at most 100."
    )
    parameters: list[TreatmentParameter] = Field(
        min_length=1, description="The flag variations this treatment serves."
    )


class FlagConfig(InputModel):
    rule_id: NonEmpty = Field(
        description='A targeting rule `_id` or description, or "fallthrough".'
    )
    # Left out: the flag's current version in the environment (resolved by core/references.py).
    flag_config_version: int | None = Field(
        default=None,
        ge=0,
        description="The flag configuration version the experiment runs on (default: the "
        "flag's current version in the environment).",
    )
    not_in_experiment_variation_id: NonEmpty | None = Field(
        default=None,
        description="Variation served to contexts outside the experiment (LaunchDarkly chooses "
        "one when unset).",
    )


class MetricRef(InputModel):
    key: Key = Field(description="Metric key, or metric group key when isGroup is true.")
    is_group: bool = Field(default=False, description="True when key names a metric group.")


class AnalysisConfig(InputModel):
    bayesian_threshold: Threshold | None = Field(
        default=None, description="Bayesian threshold, a numeric string from 0 to 100."
    )
    significance_threshold: Threshold | None = Field(
        default=None, description="Frequentist significance threshold, 0 to 100."
    )
    test_direction: NonEmpty | None = Field(default=None, description="Test direction.")
    multiple_comparison_correction_method: CorrectionMethod | None = Field(
        default=None, description="Correction for multiple comparisons."
    )
    multiple_comparison_correction_scope: CorrectionScope | None = Field(
        default=None, description="What the multiple-comparison correction covers."
    )
    sequential_testing_enabled: bool | None = Field(
        default=None, description="Whether sequential testing is on."
    )


class IterationSpec(InputModel):
    """The design of an iteration (``IterationInput`` in the spec)."""

    hypothesis: NonEmpty = Field(description="What the experiment sets out to show.")
    metrics: list[MetricRef] = Field(min_length=1, description="Metrics measured, at least one.")
    treatments: list[Treatment] = Field(
        min_length=1, description="The arms: exactly one baseline, unique names."
    )
    flags: dict[Key, FlagConfig] = Field(
        min_length=1,
        description="By flag key: the flag rule each treatment parameter's flag runs on.",
    )
    primary_single_metric_key: Key | None = Field(
        default=None,
        description="Primary metric: a metric in metrics (set this or primaryFunnelKey).",
    )
    primary_funnel_key: Key | None = Field(
        default=None, description="Primary metric: a funnel group in metrics with isGroup true."
    )
    randomization_unit: Key | None = Field(
        default=None, description='Context kind traffic is split by (default "user").'
    )
    can_reshuffle_traffic: bool | None = Field(
        default=None, description="Whether traffic may be reshuffled (default true)."
    )
    reallocation_frequency_millis: int | None = Field(
        default=None,
        gt=0,
        description='How often a multi-armed bandit reallocates traffic; only with type "mab".',
    )
    covariate_id: NonEmpty | None = Field(default=None, description="Covariate id.")
    attributes: list[NonEmpty] | None = Field(
        default=None, description="Context attributes results can be sliced by."
    )


class ExperimentBody(InputModel):
    """The create-experiment request (``ExperimentPost``)."""

    key: Key = Field(
        description="Experiment key: letters, digits, '.', '_', '-', starting with a letter or "
        "digit. Changing it replaces the experiment."
    )
    name: NonEmpty = Field(description="Display name.")
    iteration: IterationSpec = Field(description="The design of the current iteration.")
    description: Description = Field(default=None, description="Free-text description.")
    maintainer_id: NonEmpty | None = Field(
        default=None, description="Member id of the maintainer (default: the token's member)."
    )
    holdout_id: NonEmpty | None = Field(
        default=None, description="Holdout the experiment belongs to."
    )
    tags: TagSet = Field(default=None, description="Tags (a set: order is ignored).")
    methodology: Methodology | None = Field(
        default=None, description='Analysis methodology (default "bayesian").'
    )
    analysis_config: AnalysisConfig | None = Field(default=None, description="Analysis settings.")
    data_source: DataSource | None = Field(
        default=None, description='Where results come from (default "launchdarkly").'
    )
    type: ExperimentType | None = Field(
        default=None,
        description='Experiment type (default "experiment"); it cannot change after creation.',
    )


# The experiment's address: part of its URL, so a change is a new experiment.
ADDRESS_FIELDS = ("projectKey", "environmentKey", "key")
# Inputs that steer how a change is made; never a change by themselves.
STEERING_FIELDS = ("adopt", "changeJustification", "onRunningChange", "onStopped")


class ExperimentSpec(ExperimentBody):
    """Everything a user declares for one ``Experiment`` resource."""

    project_key: Key = Field(
        description="LaunchDarkly project key (default: the provider's projectKey). Changing it "
        "replaces the experiment."
    )
    environment_key: Key = Field(
        description="Environment key (default: the provider's environmentKey). Changing it "
        "replaces the experiment."
    )
    state: RunState = Field(
        default=RunState.DRAFT, description='Declared run state of the iteration (default "draft").'
    )
    winning_treatment: NonEmpty | None = Field(
        default=None, description='Name of the winning treatment; required with state "stopped".'
    )
    winning_reason: NonEmpty | None = Field(
        default=None, description="Why the winner won, recorded when stopping."
    )
    change_justification: NonEmpty | None = Field(
        default=None, description="Sent with starts and new iterations; never a change itself."
    )
    on_running_change: RunningChangePolicy = Field(
        default=RunningChangePolicy.REFUSE,
        description='"new_iteration" allows design changes that restart a running iteration.',
    )
    on_stopped: StoppedPolicy = Field(
        default=StoppedPolicy.REFUSE,
        description='"restart" allows starting a new iteration after a stopped one.',
    )
    adopt: bool = Field(
        default=False,
        description="On create, take over an existing experiment with this key; never a change.",
    )

    def body(self) -> ExperimentBody:
        """The ``ExperimentPost`` body for this declaration."""
        return ExperimentBody.model_validate(
            {k: v for k, v in self.model_dump().items() if k in ExperimentBody.model_fields}
        )


# ---------------------------------------------------------------------------------------------
# One input field at a time (for declarations that are only partly known at preview)


@dataclass(frozen=True)
class InputField:
    """One field of ``ExperimentSpec`` at a camelCase path such as ``iteration.treatments``."""

    path: str
    python_names: tuple[str, ...]  # the same path in attribute names (inputs may use them)
    adapter: TypeAdapter[Any]
    default: Any


@functools.cache
def input_field(path: str) -> InputField:
    """The field at ``path``: validates (and dumps) a value exactly as its model would."""
    model: type[BaseModel] = ExperimentSpec
    python_path: list[str] = []
    names = path.split(".")
    for depth, alias in enumerate(names):
        by_alias = {info.alias or name: name for name, info in model.model_fields.items()}
        if alias not in by_alias:
            raise KeyError(f"no input field {path!r}")
        name = by_alias[alias]
        python_path.append(name)
        info = model.model_fields[name]
        if depth == len(names) - 1:
            annotated: Any = (
                Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
            )
            default = None if info.is_required() else info.get_default(call_default_factory=True)
            return InputField(path, tuple(python_path), TypeAdapter(annotated), default)
        nested = _model_in(info.annotation)
        if nested is None:
            raise KeyError(f"no input field {path!r}: {alias!r} holds no fields")
        model = nested
    raise KeyError(f"no input field {path!r}")


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation holds directly or as ``Model | None``."""
    candidates = getattr(annotation, "__args__", None) or (annotation,)
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


# ---------------------------------------------------------------------------------------------
# Responses (tolerant: unknown fields ignored)


class ResponseModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class Link(ResponseModel):
    href: str | None = None
    type: str | None = None


class ParameterRep(ResponseModel):
    flag_key: str | None = None
    variation_id: str | None = None


class TreatmentRep(ResponseModel):
    id: str | None = Field(default=None, alias="_id")
    name: str
    allocation_percent: str
    baseline: bool | None = None
    parameters: list[ParameterRep] | None = None


class FlagRep(ResponseModel):
    targeting_rule: str | None = None
    targeting_rule_description: str | None = None
    flag_config_version: int | None = None
    not_in_experiment_variation_id: str | None = None


class MetricRep(ResponseModel):
    key: str
    is_group: bool | None = None


class IterationRep(ResponseModel):
    id: str | None = Field(default=None, alias="_id")
    hypothesis: str
    status: IterationStatus
    created_at: int
    started_at: int | None = None
    ended_at: int | None = None
    winning_treatment_id: str | None = None
    winning_reason: str | None = None
    can_reshuffle_traffic: bool | None = None
    flags: dict[str, FlagRep] | None = None
    reallocation_frequency_millis: int | None = None
    version: int | None = None
    primary_single_metric: MetricRep | None = None
    primary_funnel: MetricRep | None = None
    randomization_unit: str | None = None
    attributes: list[str] | None = None
    treatments: list[TreatmentRep] | None = None
    metrics: list[MetricRep] | None = None
    covariate_info: dict[str, Any] | None = None


class AnalysisConfigRep(ResponseModel):
    bayesian_threshold: str | None = None
    significance_threshold: str | None = None
    test_direction: str | None = None
    multiple_comparison_correction_method: str | None = None
    multiple_comparison_correction_scope: str | None = None
    sequential_testing_enabled: bool | None = None


class ExperimentRep(ResponseModel):
    """An ``Experiment`` as LaunchDarkly returns it."""

    id: str | None = Field(default=None, alias="_id")
    key: str
    name: str
    description: str | None = None
    maintainer_id: str = Field(alias="_maintainerId")
    creation_date: int = Field(alias="_creationDate")
    environment_key: str
    methodology: str | None = None
    data_source: str | None = None
    archived_date: int | None = None
    tags: list[str] | None = None
    links: dict[str, Link] = Field(default_factory=dict, alias="_links")
    holdout_id: str | None = None
    type: str | None = None
    current_iteration: IterationRep | None = None
    draft_iteration: IterationRep | None = None
    previous_iterations: list[IterationRep] | None = None
    analysis_config: AnalysisConfigRep | None = None
    mutable_fields_by_status: dict[str, dict[str, list[str]]] | None = None

    @property
    def archived(self) -> bool:
        return self.archived_date is not None
