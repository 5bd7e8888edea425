"""The Holdout's rules across fields, and what may change once it exists.

A holdout takes a new name and description in place (``updateName``, ``updateDescription``);
nothing else of it can change (LaunchDarkly has no instruction for it), and it cannot be replaced
under the same key either: an ended holdout keeps its key for good. ``change_problems`` refuses
such a change at preview and says to give a new key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ....errors import Problem
from ...models import input_field
from ...rules import Declaration, RuleSet
from ..experiment.models import MetricRef
from .models import HoldoutSpec

RULES = RuleSet(HoldoutSpec)

#: The holdout's address: in its URL, so a change is a new holdout (a replacement).
ADDRESS_FIELDS = ("projectKey", "environmentKey", "key")
#: What steers a change and is never one.
STEERING = ("adopt",)
#: What changes in place.
MUTABLE_FIELDS = ("name", "description")
#: What LaunchDarkly fills in when left out: the live value is kept in the outputs.
SERVER_DEFAULTS = ("randomizationUnit", "metrics", "maintainerId")
#: What cannot change once the holdout exists.
FIXED_FIELDS = (
    "holdoutAmount",
    "randomizationUnit",
    "metrics",
    "primaryMetricKey",
    "prerequisiteFlagKey",
    "attributes",
    "maintainerId",
)


@RULES.rule("metrics")
def metrics_listed_once(metrics: list[MetricRef] | None) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, metric in enumerate(metrics or []):
        if metric.key in seen:
            yield Problem(f"metrics[{index}].key", f"metric {metric.key!r} is listed twice")
        seen.add(metric.key)


@RULES.rule("primaryMetricKey", "metrics")
def primary_metric_is_listed(
    primary: str | None, metrics: list[MetricRef] | None
) -> Iterator[Problem]:
    if primary is None or metrics is None:
        return
    keys = [m.key for m in metrics]
    if primary not in keys:
        listed = ", ".join(repr(k) for k in keys) or "none"
        yield Problem(
            "primaryMetricKey",
            f"{primary!r} is not one of metrics ({listed}); add it to metrics, or leave metrics "
            "out to measure the primary metric alone",
        )


def fixed_change_message(name: str) -> str:
    return (
        f"a holdout's {name} cannot change once it exists (LaunchDarkly has no instruction for "
        "it, and an ended holdout keeps its key, so it cannot be replaced under the same key); "
        "give the holdout a new key to create a new one with this value (the old one is then "
        "ended)"
    )


def change_problems(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Problem]:
    """What a change from ``old`` to ``new`` (declared forms, the known fields of ``new``)
    cannot do; none for a replacement (a new address). A server default left out of either
    side is no change (its live value is not known here)."""
    if any(old.get(k) != new.get(k) for k in ADDRESS_FIELDS):
        return []
    problems = []
    for name in FIXED_FIELDS:
        if name not in new and name not in old:
            continue
        if name in SERVER_DEFAULTS and (name not in new or name not in old):
            continue
        if old.get(name) != new.get(name):
            problems.append(Problem(name, fixed_change_message(name)))
    return problems


def known_fields(declaration: Declaration, names: tuple[str, ...]) -> dict[str, Any] | None:
    """The declared form of ``names`` in a declaration, or None when one of them is unknown or
    invalid (at preview: the change rules wait for known values)."""
    if any(declaration.unknown(n) or declaration.invalid(n) for n in names):
        return None
    form: dict[str, Any] = {}
    for name in names:
        value = declaration.value(name)
        field = input_field(HoldoutSpec, name)
        if value is None or value == field.default:
            continue
        form[name] = field.adapter.dump_python(
            value, mode="json", by_alias=True, exclude_none=True, exclude_defaults=True
        )
    return form
