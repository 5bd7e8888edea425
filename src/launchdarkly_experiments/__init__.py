"""Pulumi resources for LaunchDarkly experiments.

Public surface: ``Experiment`` and its argument classes, the enums users may pass, and the error
tree (``errors``). Everything else is internal and may change.
"""

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
from .dynamic.resources import (
    AnalysisConfigArgs,
    Experiment,
    ExperimentArgs,
    FlagArgs,
    IterationArgs,
    MetricArgs,
    TreatmentArgs,
    TreatmentParameterArgs,
)
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

__all__ = [
    "APIError",
    "AnalysisConfigArgs",
    "ChangeRefused",
    "ConfigurationError",
    "ConflictError",
    "CorrectionMethod",
    "CorrectionScope",
    "DataSource",
    "Experiment",
    "ExperimentArgs",
    "ExperimentType",
    "FlagArgs",
    "ForbiddenError",
    "InvalidRequestError",
    "IterationArgs",
    "LaunchDarklyError",
    "Methodology",
    "MetricArgs",
    "NotFoundError",
    "OutcomeUnknown",
    "RateLimitedError",
    "RetryBudgetExceeded",
    "RunState",
    "RunningChangePolicy",
    "ServerError",
    "StoppedPolicy",
    "TransportError",
    "TreatmentArgs",
    "TreatmentParameterArgs",
    "UnauthorizedError",
]
