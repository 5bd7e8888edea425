"""COMPATIBILITY CONTRACT: ``launchdarkly_experiments.provider.ExperimentProvider`` is pickled by
reference into every resource's state (``__provider``). Never move or rename this module or the
class (nor any provider class a later kind adds here); the behaviour lives in
``dynamic.adapter``, each class only names its kind.

A pickle of it holds the module path, the class name and an empty state: ``__getstate__``
returns ``{}``, and no client, lock, setting or token is ever pickled. Tests:
tests/unit/test_config_and_pickling.py, and tests/protocol/test_state_compat.py, which replays
state written by release 0.1.0.
"""

from __future__ import annotations

from .dynamic.adapter import DynamicAdapter, KindAt

__all__ = [
    "ExperimentProvider",
    "ExperimentationSettingsProvider",
    "HoldoutProvider",
    "LayerProvider",
    "MetricGroupProvider",
    "MetricProvider",
]


class ExperimentProvider(DynamicAdapter):
    """The dynamic provider of ``Experiment`` resources, at its stable pickled address."""

    kind = KindAt("Experiment")


class MetricProvider(DynamicAdapter):
    """The dynamic provider of ``Metric`` resources, at its stable pickled address."""

    kind = KindAt("Metric")


class MetricGroupProvider(DynamicAdapter):
    """The dynamic provider of ``MetricGroup`` resources, at its stable pickled address."""

    kind = KindAt("MetricGroup")


class HoldoutProvider(DynamicAdapter):
    """The dynamic provider of ``Holdout`` resources, at its stable pickled address."""

    kind = KindAt("Holdout")


class LayerProvider(DynamicAdapter):
    """The dynamic provider of ``Layer`` resources, at its stable pickled address."""

    kind = KindAt("Layer")


class ExperimentationSettingsProvider(DynamicAdapter):
    """The dynamic provider of ``ExperimentationSettings`` resources, at its stable pickled
    address."""

    kind = KindAt("ExperimentationSettings")
