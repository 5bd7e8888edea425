"""The Experiment's models: what a user declares, what LaunchDarkly answers, what is computed.

The input models (``ExperimentSpec`` and its nested models) carry each field's description and
per-field rules; the response models (``ExperimentRep`` ...) parse LaunchDarkly's answers; the
output models (``ExperimentOutputs``) describe the computed outputs.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field

from ...models import (
    Accepts,
    Description,
    InputModel,
    Key,
    Link,
    NonEmpty,
    OutputModel,
    ResponseModel,
    TagSet,
    adopt_field,
    environment_key_field,
    project_key_field,
)


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


Percent = Annotated[str, BeforeValidator(_percent), Accepts(float, int, str)]


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


Threshold = Annotated[str, BeforeValidator(_threshold), Accepts(float, int, str)]


class TreatmentParameter(InputModel):
    """Which flag variation a treatment serves: ``variation`` (its name or value) or its id."""

    schema_name: ClassVar[str] = "TreatmentParameter"
    args_name: ClassVar[str] = "TreatmentParameterArgs"

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
    """One arm of the experiment. ``allocation_percent`` is 0-100; all arms total at most 100."""

    schema_name: ClassVar[str] = "Treatment"
    args_name: ClassVar[str] = "TreatmentArgs"

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
    """The flag rule the experiment runs on, for one flag.

    ``rule_id`` is a rule's ``_id`` or description, or "fallthrough"; ``flag_config_version``
    left out is the flag's current version in the environment when the iteration is designed.
    """

    schema_name: ClassVar[str] = "FlagConfig"
    args_name: ClassVar[str] = "FlagArgs"

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
    """A metric, or a metric group when ``is_group`` is true."""

    # "MetricReference" in the schema: the Metric resource has the name "Metric".
    schema_name: ClassVar[str] = "MetricReference"
    args_name: ClassVar[str] = "MetricArgs"

    key: Key = Field(description="Metric key, or metric group key when isGroup is true.")
    is_group: bool = Field(default=False, description="True when key names a metric group.")


class AnalysisConfig(InputModel):
    """How results are analysed."""

    schema_name: ClassVar[str] = "AnalysisConfig"
    args_name: ClassVar[str] = "AnalysisConfigArgs"

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

    schema_name: ClassVar[str] = "Iteration"
    args_name: ClassVar[str] = "IterationArgs"

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

    schema_name: ClassVar[str] = "Experiment"
    args_name: ClassVar[str] = "ExperimentArgs"

    project_key: Key = project_key_field("the experiment")
    environment_key: Key = environment_key_field("the experiment")
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
    adopt: bool = adopt_field("experiment")

    def body(self) -> ExperimentBody:
        """The ``ExperimentPost`` body for this declaration."""
        return ExperimentBody.model_validate(
            {k: v for k, v in self.model_dump().items() if k in ExperimentBody.model_fields}
        )


# -- responses (tolerant: unknown fields ignored) -----------------------------------------------


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


# -- computed outputs -----------------------------------------------------------------------------


class IterationSummary(OutputModel):
    """An iteration as LaunchDarkly reports it."""

    schema_name: ClassVar[str] = "IterationSummary"

    id: str | None = Field(description="Iteration id.")
    status: str = Field(description="not_started, running or stopped.")
    created_at: int = Field(description="Unix milliseconds.")
    started_at: int | None = Field(default=None, description="Unix milliseconds, once started.")
    ended_at: int | None = Field(default=None, description="Unix milliseconds, once stopped.")
    treatment_ids: dict[str, str] = Field(description="Treatment ids by treatment name.")
    winning_treatment_id: str | None = Field(
        default=None, description="Id of the winning treatment."
    )
    winning_treatment: str | None = Field(
        default=None, description="Name of the winning treatment."
    )
    winning_reason: str | None = Field(default=None, description="Why the winner won.")


class ShippedVariation(OutputModel):
    """What stopping an iteration with a winner made a flag serve."""

    schema_name: ClassVar[str] = "ShippedVariation"

    variation_id: str = Field(description="The `_id` of the variation now served.")
    variation_name: str | None = Field(default=None, description="Its name.")
    value: str | bool | int | float | dict[str, Any] | list[Any] | None = Field(
        default=None, description="Its value."
    )
    rule_id: str = Field(description='The rule that serves it: its `_id`, or "fallthrough".')
    rule_description: str | None = Field(default=None, description="The rule's description.")


class ExperimentOutputs(OutputModel):
    """What LaunchDarkly computes for an experiment: the outputs beside every input."""

    experiment_id: str | None = Field(description="LaunchDarkly's `_id` of the experiment.")
    creation_date: int = Field(description="Unix milliseconds.")
    archived_date: int | None = Field(default=None, description="Unix milliseconds, when archived.")
    effective_maintainer_id: str = Field(description="The maintainer LaunchDarkly recorded.")
    current_iteration: IterationSummary | None = Field(
        default=None, description="The current iteration as LaunchDarkly reports it."
    )
    previous_iterations: list[IterationSummary] | None = Field(
        default=None, description="Earlier iterations, oldest first (none before a restart)."
    )
    resolved_references: dict[str, Any] | None = Field(
        default=None,
        description="What each name resolved to at create/update, by property path (a "
        "variation's `_id`, the flag version used, a rule's `_id`).",
    )
    shipped: dict[str, ShippedVariation] | None = Field(
        default=None,
        description="Once the current iteration is stopped with a winner, by flag key what the "
        "flag now serves on the experiment's rule (LaunchDarkly ships the winner).",
    )
