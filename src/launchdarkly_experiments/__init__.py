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
    from .dynamic.resources import (
        AnalysisConfigArgs,
        AnalysisType,
        CorrectionMethod,
        CorrectionScope,
        DataSource,
        Experiment,
        ExperimentArgs,
        ExperimentationSettings,
        ExperimentationSettingsArgs,
        ExperimentType,
        FilterType,
        FlagArgs,
        Holdout,
        HoldoutArgs,
        IterationArgs,
        Layer,
        LayerArgs,
        LayerReservationArgs,
        Methodology,
        Metric,
        MetricArgs,
        MetricDataSourceArgs,
        MetricEventDefaultArgs,
        MetricFilterArgs,
        MetricGroup,
        MetricGroupArgs,
        MetricGroupKind,
        MetricGroupMetricArgs,
        MetricKind,
        MetricResourceArgs,
        MetricUrlArgs,
        RandomizationUnitArgs,
        RunningChangePolicy,
        RunState,
        StoppedPolicy,
        SuccessCriteria,
        TreatmentArgs,
        TreatmentParameterArgs,
        UnitAggregationType,
        UrlKind,
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
    needs none of them. The generated module in turn loads an enum's kind (its models, pydantic)
    only when the enum is used: a program declaring resources needs neither.
    """
    if name in __all__:
        from .dynamic import resources

        return getattr(resources, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
