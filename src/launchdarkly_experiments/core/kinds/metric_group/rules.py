"""The MetricGroup's rules across fields: a funnel's steps, and each metric once."""

from __future__ import annotations

from collections.abc import Iterator

from ....errors import Problem
from ...rules import RuleSet
from .models import MetricGroupKind, MetricGroupMetric, MetricGroupSpec

RULES = RuleSet(MetricGroupSpec)


@RULES.rule("kind", "metrics")
def a_funnel_has_named_steps(
    kind: MetricGroupKind, metrics: list[MetricGroupMetric]
) -> Iterator[Problem]:
    if kind != MetricGroupKind.FUNNEL:
        return
    if len(metrics) < 2:
        yield Problem(
            "metrics",
            f"a funnel needs at least two metrics (its steps, in order); it has {len(metrics)}",
        )
    for index, metric in enumerate(metrics):
        if metric.name_in_group is None:
            yield Problem(
                f"metrics[{index}].nameInGroup",
                "required in a funnel (the step's name); it is not set",
            )


@RULES.rule("metrics")
def each_metric_once(metrics: list[MetricGroupMetric]) -> Iterator[Problem]:
    first: dict[str, int] = {}
    for index, metric in enumerate(metrics):
        if metric.key in first:
            yield Problem(
                f"metrics[{index}].key",
                f"metric {metric.key!r} is already metrics[{first[metric.key]}]; a group lists "
                "each metric once",
            )
        else:
            first[metric.key] = index
