"""Pulumi resources for LaunchDarkly experiments.

Public surface: the resources (one per resource kind) and their argument classes, the enums
users may pass, and the error tree (``errors``). Everything else is internal and may change.
"""

from typing import TYPE_CHECKING, Any

from .errors import (
    APIError,
    ChangeRefused,
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    LaunchDarklyError,
    NotFoundError,
    OutcomeUnknown,
    RateLimitedError,
    RetryBudgetExceeded,
    ServerError,
    TransportError,
    UnauthorizedError,
)

if TYPE_CHECKING:
    from .core.kinds.experiment.models import (
        CorrectionMethod,
        CorrectionScope,
        DataSource,
        ExperimentType,
        Methodology,
        RunningChangePolicy,
        RunState,
        StoppedPolicy,
    )
    from .core.kinds.metric.models import (
        AnalysisType,
        FilterType,
        MetricKind,
        SuccessCriteria,
        UnitAggregationType,
        UrlKind,
    )
    from .core.kinds.metric_group.models import MetricGroupKind
    from .dynamic.resources import (
        AnalysisConfigArgs,
        Experiment,
        ExperimentArgs,
        ExperimentationSettings,
        ExperimentationSettingsArgs,
        FlagArgs,
        Holdout,
        HoldoutArgs,
        IterationArgs,
        Layer,
        LayerArgs,
        LayerReservationArgs,
        Metric,
        MetricArgs,
        MetricDataSourceArgs,
        MetricEventDefaultArgs,
        MetricFilterArgs,
        MetricGroup,
        MetricGroupArgs,
        MetricGroupMetricArgs,
        MetricResourceArgs,
        MetricUrlArgs,
        RandomizationUnitArgs,
        TreatmentArgs,
        TreatmentParameterArgs,
    )

__all__ = [
    "APIError",
    "AnalysisConfigArgs",
    "AnalysisType",
    "ChangeRefused",
    "ConfigurationError",
    "ConflictError",
    "CorrectionMethod",
    "CorrectionScope",
    "DataSource",
    "Experiment",
    "ExperimentArgs",
    "ExperimentType",
    "ExperimentationSettings",
    "ExperimentationSettingsArgs",
    "FilterType",
    "FlagArgs",
    "ForbiddenError",
    "Holdout",
    "HoldoutArgs",
    "InvalidRequestError",
    "IterationArgs",
    "LaunchDarklyError",
    "Layer",
    "LayerArgs",
    "LayerReservationArgs",
    "Methodology",
    "Metric",
    "MetricArgs",
    "MetricDataSourceArgs",
    "MetricEventDefaultArgs",
    "MetricFilterArgs",
    "MetricGroup",
    "MetricGroupArgs",
    "MetricGroupKind",
    "MetricGroupMetricArgs",
    "MetricKind",
    "MetricResourceArgs",
    "MetricUrlArgs",
    "NotFoundError",
    "OutcomeUnknown",
    "RandomizationUnitArgs",
    "RateLimitedError",
    "RetryBudgetExceeded",
    "RunState",
    "RunningChangePolicy",
    "ServerError",
    "StoppedPolicy",
    "SuccessCriteria",
    "TransportError",
    "TreatmentArgs",
    "TreatmentParameterArgs",
    "UnauthorizedError",
    "UnitAggregationType",
    "UrlKind",
]


def __getattr__(name: str) -> Any:
    """The resources, their *Args and the enums, from the generated module on first use (PEP 562).

    A provider host unpickling ``launchdarkly_experiments.provider`` imports this package and
    needs none of them: importing them there would cost every host start the models of every
    kind. The generated module imports every enum it types with.
    """
    if name in __all__:
        from .dynamic import resources

        return getattr(resources, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
