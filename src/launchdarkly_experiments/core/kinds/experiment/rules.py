"""The Experiment's rules across fields: one function per rule, each naming the inputs it reads.

Field rules are the models' own constraints (``models``); the machinery that runs these rules,
skips those reading unknown values at preview and reports every problem at once is
``core.rules``.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ....errors import Problem
from ...rules import RuleSet
from .models import ExperimentSpec, ExperimentType, FlagConfig, MetricRef, RunState, Treatment

RULES = RuleSet(ExperimentSpec)
rule = RULES.rule


TREATMENTS = "iteration.treatments"


def _percent(treatment: Treatment) -> Decimal:
    return Decimal(treatment.allocation_percent)


@rule(TREATMENTS)
def one_baseline(treatments: list[Treatment]) -> Iterator[Problem]:
    baselines = [t.name for t in treatments if t.baseline]
    if len(baselines) != 1:
        listed = f" ({', '.join(baselines)})" if baselines else ""
        yield Problem(
            TREATMENTS,
            f"exactly one treatment must have baseline=True, found {len(baselines)}{listed}",
        )


@rule(TREATMENTS)
def allocations_total_at_most_100(treatments: list[Treatment]) -> Iterator[Problem]:
    total = sum((_percent(t) for t in treatments), Decimal(0))
    if total > 100:
        yield Problem(
            TREATMENTS,
            f"allocation percentages total {format(total.normalize(), 'f')}; "
            "they must total no more than 100",
        )


@rule(TREATMENTS)
def unique_treatment_names(treatments: list[Treatment]) -> Iterator[Problem]:
    names = [t.name for t in treatments]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        yield Problem(TREATMENTS, f"treatment names must be unique; repeated: {repeated}")


@rule(TREATMENTS, "iteration.flags")
def parameters_use_declared_flags(
    treatments: list[Treatment], flags: dict[str, FlagConfig]
) -> Iterator[Problem]:
    for i, treatment in enumerate(treatments):
        for j, parameter in enumerate(treatment.parameters):
            if parameter.flag_key not in flags:
                yield Problem(
                    f"iteration.treatments[{i}].parameters[{j}].flagKey",
                    f"flag {parameter.flag_key!r} is not in iteration.flags "
                    f"(declared: {sorted(flags)})",
                )


@rule("iteration.metrics", "iteration.primarySingleMetricKey", "iteration.primaryFunnelKey")
def one_primary_metric_among_metrics(
    metrics: list[MetricRef], single: str | None, funnel: str | None
) -> Iterator[Problem]:
    is_group = {m.key: m.is_group for m in metrics}
    if (single is None) == (funnel is None):
        given = "both are set" if single is not None else "neither is set"
        yield Problem(
            "iteration.primarySingleMetricKey",
            "set exactly one of primarySingleMetricKey (a metric) or primaryFunnelKey "
            f"(a funnel metric group); {given}",
        )
    elif single is not None and is_group.get(single) is not False:
        yield Problem(
            "iteration.primarySingleMetricKey",
            f"{single!r} must also be listed in iteration.metrics as a metric (isGroup false); "
            f"listed: {sorted(is_group)}",
        )
    elif funnel is not None and is_group.get(funnel) is not True:
        yield Problem(
            "iteration.primaryFunnelKey",
            f"{funnel!r} must also be listed in iteration.metrics with isGroup true",
        )


@rule("type", "iteration.reallocationFrequencyMillis")
def reallocation_frequency_for_bandits_only(
    type_: ExperimentType | None, frequency: int | None
) -> Iterator[Problem]:
    is_mab = type_ == ExperimentType.MAB
    if frequency is not None and not is_mab:
        yield Problem(
            "iteration.reallocationFrequencyMillis",
            "only allowed when type is 'mab' (multi-armed bandit); type is "
            f"{type_ or ExperimentType.EXPERIMENT.value!r}",
        )
    if is_mab and frequency is None:
        yield Problem(
            "iteration.reallocationFrequencyMillis",
            "required when type is 'mab': how often, in milliseconds, traffic is reallocated",
        )


@rule("state", "winningTreatment", TREATMENTS)
def winner_when_stopped(
    state: RunState, winner: str | None, treatments: list[Treatment]
) -> Iterator[Problem]:
    if state == RunState.STOPPED and winner is None:
        yield Problem(
            "winningTreatment",
            "required when state is 'stopped': the name of the winning treatment "
            f"(one of {[t.name for t in treatments]})",
        )


@rule("winningTreatment", TREATMENTS)
def winner_is_a_treatment(winner: str | None, treatments: list[Treatment]) -> Iterator[Problem]:
    names = [t.name for t in treatments]
    if winner is not None and winner not in names:
        yield Problem("winningTreatment", f"{winner!r} is not a treatment name; use one of {names}")


@rule("state", TREATMENTS)
def running_needs_traffic(state: RunState, treatments: list[Treatment]) -> Iterator[Problem]:
    if state == RunState.RUNNING and not any(_percent(t) > 0 for t in treatments):
        yield Problem(
            TREATMENTS,
            "state 'running' needs at least one treatment with a non-zero allocationPercent; "
            "all are 0",
        )


def _blank(path: str, value: str) -> Iterator[Problem]:
    if not value.strip():
        yield Problem(path, f"must not be blank; got {value!r}")


@rule("name")
def name_not_blank(name: str) -> Iterator[Problem]:
    yield from _blank("name", name)


@rule("iteration.hypothesis")
def hypothesis_not_blank(hypothesis: str) -> Iterator[Problem]:
    yield from _blank("iteration.hypothesis", hypothesis)


@rule(TREATMENTS)
def treatment_names_not_blank(treatments: list[Treatment]) -> Iterator[Problem]:
    for i, treatment in enumerate(treatments):
        yield from _blank(f"iteration.treatments[{i}].name", treatment.name)


@rule(TREATMENTS)
def one_parameter_per_flag(treatments: list[Treatment]) -> Iterator[Problem]:
    for i, treatment in enumerate(treatments):
        first: dict[str, int] = {}
        for j, parameter in enumerate(treatment.parameters):
            if parameter.flag_key in first:
                yield Problem(
                    f"iteration.treatments[{i}].parameters[{j}].flagKey",
                    f"treatment {treatment.name!r} has two parameters for flag "
                    f"{parameter.flag_key!r} (parameters[{first[parameter.flag_key]}] and "
                    f"parameters[{j}]); a treatment serves one variation per flag",
                )
            else:
                first[parameter.flag_key] = j


@rule(TREATMENTS)
def variation_given(treatments: list[Treatment]) -> Iterator[Problem]:
    for i, treatment in enumerate(treatments):
        for j, parameter in enumerate(treatment.parameters):
            if parameter.variation_id is None and parameter.variation is None:
                yield Problem(
                    f"iteration.treatments[{i}].parameters[{j}]",
                    "set variation (the variation's name or value) or variationId (its _id); "
                    "neither is set",
                )


@rule(TREATMENTS)
def distinct_variations(treatments: list[Treatment]) -> Iterator[Problem]:
    served: dict[tuple[str, str], str] = {}
    for i, treatment in enumerate(treatments):
        for j, parameter in enumerate(treatment.parameters):
            if parameter.variation_id is not None:
                given, prop = repr(parameter.variation_id), "variationId"
            elif parameter.variation is not None:
                given, prop = repr(parameter.variation), "variation"
            else:
                continue
            ident = (parameter.flag_key, f"{prop}:{given}")
            other = served.get(ident)
            if other is not None and other != treatment.name:
                yield Problem(
                    f"iteration.treatments[{i}].parameters[{j}].{prop}",
                    f"treatments {other!r} and {treatment.name!r} both serve variation "
                    f"{given} of flag {parameter.flag_key!r}; each treatment must serve a "
                    "different variation",
                )
            else:
                served.setdefault(ident, treatment.name)


@rule("iteration.metrics")
def unique_metrics(metrics: list[MetricRef]) -> Iterator[Problem]:
    first: dict[str, int] = {}
    for index, metric in enumerate(metrics):
        if metric.key in first:
            yield Problem(
                f"iteration.metrics[{index}].key",
                f"metric {metric.key!r} is listed twice (also iteration.metrics"
                f"[{first[metric.key]}]); list each metric once",
            )
        else:
            first[metric.key] = index
