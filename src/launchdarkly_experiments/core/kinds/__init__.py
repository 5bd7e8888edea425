"""Every resource kind, each one declaration (``ResourceKind``); the schema, the SDKs, the docs
and both adapters are made from ``KINDS``."""

from __future__ import annotations

from ..kind import ResourceKind
from .experiment import Experiment
from .experimentation_settings import ExperimentationSettings
from .holdout import Holdout
from .layer import Layer

KINDS: tuple[type[ResourceKind], ...] = (Experiment, Holdout, Layer, ExperimentationSettings)  # type: ignore[type-arg]

__all__ = ["KINDS", "Experiment", "ExperimentationSettings", "Holdout", "Layer"]
