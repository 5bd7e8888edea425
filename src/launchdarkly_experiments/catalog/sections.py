"""The sections of the file: one list per resource kind it declares, in the order of creation.

``metrics:`` and ``metric_groups:`` are declared before ``experiments:``, which may name them; a
metric group may name the file's metrics. ``references`` says where an entry (in wire form) names
an entry of another section by key: the places the Pulumi side fills in from that resource's
output ``key``, so that the engine orders creation (and deletion, in reverse).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic.alias_generators import to_snake

from ..core.kind import ResourceKind
from ..core.kinds.experiment import Experiment
from ..core.kinds.metric import Metric
from ..core.kinds.metric_group import MetricGroup
from ..core.models import InputModel
from ..core.rules import RuleSet

Path = tuple[str | int, ...]
#: (where in the entry's wire form, the section the key names, the key)
Site = tuple[Path, str, Any]


@dataclass(frozen=True)
class Section:
    """One top-level list of the file and the resource kind of its entries."""

    name: str
    noun: str
    kind: type[ResourceKind[Any]] = field(repr=False)
    sites: Callable[[Mapping[str, Any]], Iterator[Site]] = field(repr=False)

    @property
    def model(self) -> type[InputModel]:
        return self.kind.inputs

    @property
    def rules(self) -> RuleSet:
        return self.kind.rules

    @property
    def address(self) -> tuple[str, ...]:
        """The wire names a stack setting fills in when an entry leaves them out."""
        return tuple(self.kind.settings_defaults)

    @property
    def address_fields(self) -> tuple[str, ...]:
        """The same, as the file writes them."""
        return tuple(to_snake(name) for name in self.address)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _experiment_sites(wire: Mapping[str, Any]) -> Iterator[Site]:
    iteration = _mapping(wire.get("iteration"))
    for index, metric in enumerate(_list(iteration.get("metrics"))):
        metric = _mapping(metric)
        section = "metric_groups" if metric.get("isGroup") is True else "metrics"
        yield ("iteration", "metrics", index, "key"), section, metric.get("key")
    yield (
        ("iteration", "primarySingleMetricKey"),
        "metrics",
        iteration.get("primarySingleMetricKey"),
    )
    yield ("iteration", "primaryFunnelKey"), "metric_groups", iteration.get("primaryFunnelKey")


def _group_sites(wire: Mapping[str, Any]) -> Iterator[Site]:
    for index, metric in enumerate(_list(wire.get("metrics"))):
        yield ("metrics", index, "key"), "metrics", _mapping(metric).get("key")


def _no_sites(wire: Mapping[str, Any]) -> Iterator[Site]:
    return iter(())


METRICS = Section("metrics", "metric", Metric, _no_sites)
METRIC_GROUPS = Section("metric_groups", "metric group", MetricGroup, _group_sites)
EXPERIMENTS = Section("experiments", "experiment", Experiment, _experiment_sites)
#: In the order of creation: what a section names comes before it.
SECTIONS = (METRICS, METRIC_GROUPS, EXPERIMENTS)
BY_NAME = {section.name: section for section in SECTIONS}
