"""Every resource kind, each one declaration (``ResourceKind``); the schema, the SDKs, the docs
and both adapters are made from ``KINDS``.

The kinds are imported on first use of a name here (PEP 562), not with the package: a dynamic
provider host imports ``kinds.<its kind>`` alone, and each kind's models cost start-up time."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..kind import ResourceKind
    from .experiment import Experiment
    from .experimentation_settings import ExperimentationSettings
    from .holdout import Holdout
    from .layer import Layer
    from .metric import Metric
    from .metric_group import MetricGroup

    KINDS: tuple[type[ResourceKind[Any]], ...]

#: Each kind's module, in the order schema, SDKs and docs list the kinds.
_MODULES = {
    "Experiment": "experiment",
    "Metric": "metric",
    "MetricGroup": "metric_group",
    "Holdout": "holdout",
    "Layer": "layer",
    "ExperimentationSettings": "experimentation_settings",
}

#: The kinds' names, in that order, without importing any kind.
KIND_NAMES = tuple(_MODULES)

__all__ = [
    "KINDS",
    "KIND_NAMES",
    "Experiment",
    "ExperimentationSettings",
    "Holdout",
    "Layer",
    "Metric",
    "MetricGroup",
]


def __getattr__(name: str) -> Any:
    if name == "KINDS":
        return tuple(__getattr__(kind) for kind in _MODULES)
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_MODULES[name]}", __name__), name)
