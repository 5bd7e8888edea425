"""Every resource kind, each one declaration (``ResourceKind``); the schema, the SDKs, the docs
and both adapters are made from ``KINDS``.

The kinds are imported on first use of a name here (PEP 562), not with the package: a dynamic
provider host imports ``kinds.<its kind>`` alone, and each kind's models cost start-up time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..kind import ResourceKind
    from .experiment import Experiment
    from .metric import Metric
    from .metric_group import MetricGroup

    KINDS: tuple[type[ResourceKind[Any]], ...]

__all__ = ["KINDS", "Experiment", "Metric", "MetricGroup"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .experiment import Experiment
    from .metric import Metric
    from .metric_group import MetricGroup

    kinds = {"Experiment": Experiment, "Metric": Metric, "MetricGroup": MetricGroup}
    return tuple(kinds.values()) if name == "KINDS" else kinds[name]
