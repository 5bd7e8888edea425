"""Validation of a declaration: one object per rule, each naming the inputs it reads.

Field rules are the models' own constraints (``models``); each problem they find is reported at
its property. Rules across fields are ``Rule`` objects below, in ``RULES``: a rule declares the
input paths it reads and gets exactly those values, validated to their field types, and yields
one precise ``Problem`` per thing it finds wrong.

At preview some inputs may not be known yet (outputs of resources not created yet). The caller
says which values those are with ``is_unknown`` (the core knows nothing of Pulumi's markers):

* a field problem is dropped when it lies at or under an unknown value, or is about a value that
  holds one;
* a rule is skipped when one of the inputs it reads holds an unknown value, or a field problem.

So a preview reports every problem that stays a problem whatever the unknown values turn out to
be, and none that might vanish. Rules across fields run only once no field has a problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from pydantic import ValidationError

from .models import (
    ExperimentSpec,
    ExperimentType,
    FlagConfig,
    MetricRef,
    RunState,
    Treatment,
    input_field,
)

IsUnknown = Callable[[Any], bool]


def nothing_is_unknown(value: Any) -> bool:
    """The predicate for a declaration whose values are all known."""
    return False


class Problem(NamedTuple):
    """One broken rule: the property path (as Pulumi shows it) and what is wrong."""

    property: str
    message: str


# -- reading a declaration --------------------------------------------------------------------

_ABSENT: Any = object()


class Declaration:
    """A declaration's raw inputs (camelCase dict), read path by path.

    ``spec`` is the validated ``ExperimentSpec`` when every value is known and valid, else None.
    """

    def __init__(self, props: Mapping[str, Any], is_unknown: IsUnknown = nothing_is_unknown):
        self.props = dict(props)
        self.is_unknown = is_unknown
        self.has_unknown = holds_unknown(self.props, is_unknown)
        self.spec: ExperimentSpec | None = None
        self.field_problems: list[Problem] = []
        self._values: dict[str, Any] = {}
        try:
            spec = ExperimentSpec.model_validate(self.props)
        except ValidationError as exc:
            self.field_problems = [_describe(error) for error in exc.errors()]
        else:
            # An unknown value can pass validation (the SDK's marker is a string): not a spec.
            self.spec = None if self.has_unknown else spec

    def unknown(self, path: str) -> bool:
        """True when the value at ``path`` is, holds or lies under an unknown value."""
        if not self.has_unknown:
            return False
        node: Any = self.props
        for part in _parts(path):
            if self.is_unknown(node):
                return True
            if isinstance(node, dict):
                node = node.get(part, _ABSENT)
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                break
        return holds_unknown(node, self.is_unknown)

    def invalid(self, path: str) -> bool:
        """True when a field problem lies at, under or above ``path``."""
        return any(_overlaps(problem.property, path) for problem in self.field_problems)

    def value(self, path: str) -> Any:
        """The value at ``path`` validated to its field's type; the field default when absent.

        Only for a known and valid value (see ``unknown`` and ``invalid``).
        """
        if path not in self._values:
            self._values[path] = self._validated(path)
        return self._values[path]

    def _validated(self, path: str) -> Any:
        field = input_field(path)
        node: Any = self.props
        for alias, name in zip(path.split("."), field.python_names, strict=True):
            node = node.get(alias, node.get(name, _ABSENT)) if isinstance(node, dict) else _ABSENT
            if node is _ABSENT:
                return field.default
        return field.adapter.validate_python(node)

    def problems(self) -> list[Problem]:
        """Every problem that stays whatever the unknown values become; empty when valid."""
        # A field problem at, under or about a collection holding an unknown value may vanish.
        definite = [p for p in self.field_problems if not self.unknown(p.property)]
        if definite:
            return definite
        found: list[Problem] = []
        for rule in RULES:
            if any(self.unknown(path) or self.invalid(path) for path in rule.reads):
                continue
            found.extend(rule.find(*(self.value(path) for path in rule.reads)))
        return found


def holds_unknown(value: Any, is_unknown: IsUnknown) -> bool:
    """True when ``value`` is unknown or holds an unknown value at any depth."""
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(holds_unknown(v, is_unknown) for v in value.values())
    if isinstance(value, list):
        return any(holds_unknown(v, is_unknown) for v in value)
    return False


def validation_problems(
    props: Mapping[str, Any], is_unknown: IsUnknown = nothing_is_unknown
) -> list[Problem]:
    """Every problem with a declaration as (property path, message); empty when valid."""
    return Declaration(props, is_unknown).problems()


def _parts(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in path.replace("]", "").split("."):
        name, *indexes = piece.split("[")
        if name:
            parts.append(name)
        parts.extend(int(i) for i in indexes if i.isdigit())
    return parts


def _overlaps(a: str, b: str) -> bool:
    """True when one property path lies within the other (or they are equal)."""
    pa, pb = _parts(a), _parts(b)
    shorter = min(len(pa), len(pb))
    return pa[:shorter] == pb[:shorter]


def _describe(error: Any) -> Problem:
    loc = error.get("loc", ())
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    kind = error.get("type", "")
    message = str(error.get("msg", "invalid"))
    if kind == "extra_forbidden":
        name = loc[-1] if loc else "?"
        message = f"unknown property {name!r}; check the spelling against the resource reference"
    elif kind == "missing":
        message = "required"
    elif message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return Problem(path or "(resource)", message)


# -- rules across fields ----------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A rule across fields: the input paths it reads, and what it finds wrong in them.

    ``find`` takes the values of ``reads``, in order, validated to their field types.
    """

    name: str
    reads: tuple[str, ...]
    find: Callable[..., Iterable[Problem]]


RULES: list[Rule] = []


def rule(*reads: str) -> Callable[[Callable[..., Iterable[Problem]]], Rule]:
    """Register the decorated function as a ``Rule`` reading ``reads`` (in ``RULES`` order)."""

    def register(find: Callable[..., Iterable[Problem]]) -> Rule:
        for path in reads:
            input_field(path)  # a typo in a path fails at import, not at preview
        registered = Rule(find.__name__, reads, find)
        RULES.append(registered)
        return registered

    return register


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
        yield Problem(
            "iteration.primarySingleMetricKey",
            "set exactly one of primarySingleMetricKey (a metric) or primaryFunnelKey "
            "(a funnel metric group)",
        )
    elif single is not None and is_group.get(single) is not False:
        yield Problem(
            "iteration.primarySingleMetricKey",
            f"{single!r} must also be listed in iteration.metrics as a metric (isGroup false)",
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
            "only allowed when type is 'mab' (multi-armed bandit)",
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
            "state 'running' needs at least one treatment with a non-zero allocationPercent",
        )
