"""Every resource kind, each one declaration (``ResourceKind``); the schema, the SDKs, the docs
and both adapters are made from ``KINDS``."""

from __future__ import annotations

from ..kind import ResourceKind
from .experiment import Experiment
from .experimentation_settings import ExperimentationSettings
from .holdout import Holdout
from .layer import Layer
from .metric import Metric
from .metric_group import MetricGroup

KINDS: tuple[type[ResourceKind], ...] = (  # type: ignore[type-arg]
    Experiment,
    Metric,
    MetricGroup,
    Holdout,
    Layer,
    ExperimentationSettings,
)

__all__ = [
    "KINDS",
    "Experiment",
    "ExperimentationSettings",
    "Holdout",
    "Layer",
    "Metric",
    "MetricGroup",
]
