"""The package's public names and its one exception tree."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import launchdarkly_experiments
from launchdarkly_experiments.errors import LaunchDarklyError

# Changing this list changes what users may import: do it on purpose, with a release note.
PUBLIC_NAMES = [
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


def test_exported_names_are_exactly_the_public_surface() -> None:
    assert launchdarkly_experiments.__all__ == PUBLIC_NAMES
    for name in PUBLIC_NAMES:
        assert getattr(launchdarkly_experiments, name) is not None


def package_modules() -> list[str]:
    package = launchdarkly_experiments
    found = [package.__name__]
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        found.append(info.name)
    return found


def test_every_exception_class_is_in_the_one_tree_in_errors() -> None:
    defined: list[type[BaseException]] = []
    for name in package_modules():
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == name and issubclass(cls, BaseException):
                defined.append(cls)
                assert issubclass(cls, LaunchDarklyError), f"{name}.{cls.__name__}"
                assert name == "launchdarkly_experiments.errors", f"{name}.{cls.__name__}"
    assert len(defined) >= 14, "the walk found the error tree"
