"""Declare the resources of an experiments file (the Pulumi side of ``catalog``).

::

    from launchdarkly_experiments.catalog_resources import declare, declare_experiments

    experiments = declare_experiments("experiments.yaml")  # {key: Experiment}
    declared = declare("experiments.yaml")  # .metrics, .metric_groups, .experiments, by key

The whole file is checked first (``catalog.load``): when it has problems, ``CatalogError`` lists
every one of them with ``file:line:column`` and nothing is declared.

Each entry becomes one resource named after its key (``Metric``, ``MetricGroup`` or
``Experiment``; Pulumi's URN holds the type, so a metric and an experiment may share a key).
Where an entry names a metric or metric group the file declares in the same project (an
experiment's ``iteration.metrics[].key``, ``primary_single_metric_key`` or
``primary_funnel_key``, a group's ``metrics[].key``), the key is taken from that resource's output
``key``: the engine creates metrics, then groups, then experiments, and deletes in reverse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from .catalog import Catalog, load
from .catalog.sections import SECTIONS
from .dynamic import resources
from .dynamic.resource import DynamicResource
from .dynamic.resources import Experiment, Metric, MetricGroup

__all__ = ["Declared", "declare", "declare_experiments"]


@dataclass(frozen=True)
class Declared:
    """The resources declared from one file, each section by key."""

    metrics: dict[str, Metric] = field(default_factory=dict)
    metric_groups: dict[str, MetricGroup] = field(default_factory=dict)
    experiments: dict[str, Experiment] = field(default_factory=dict)


def declare(
    source: Catalog | str | Path,
    *,
    defaults: Mapping[str, Any] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> Declared:
    """One resource per entry of every section, named after its key, each reference to another
    entry taken by output (see the module's docstring).

    ``source`` is a loaded ``Catalog`` or the path of a file to load (with ``defaults``, see
    ``catalog.load``); ``opts`` apply to every resource.
    """
    catalog = source if isinstance(source, Catalog) else load(source, defaults=defaults)
    made: dict[str, dict[str, Any]] = {}
    for section in SECTIONS:  # what a section names comes before it
        # Each generated resource takes (name, opts=..., **inputs); the base class does not.
        resource_class: Callable[..., DynamicResource] = getattr(resources, section.kind.name)
        made[section.name] = {}
        for entry in catalog.section(section):
            outputs = {
                ref.path: made[ref.target.section.name][ref.target.key].key
                for ref in catalog.references(entry)
            }
            made[section.name][entry.key] = resource_class(
                entry.key, opts=opts, **entry.resource_args(outputs)
            )
    return Declared(**made)


def declare_experiments(
    source: Catalog | str | Path,
    *,
    defaults: Mapping[str, Any] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> dict[str, Experiment]:
    """``declare``, returning only the experiments by key (the file's metrics and metric groups
    are declared too)."""
    return declare(source, defaults=defaults, opts=opts).experiments
