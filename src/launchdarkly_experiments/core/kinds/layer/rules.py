"""The Layer's rules across fields: what LaunchDarkly's reservations allow."""

from __future__ import annotations

from collections.abc import Iterator

from ....errors import Problem
from ...rules import RuleSet
from .models import LayerReservation, LayerSpec

RULES = RuleSet(LayerSpec)


@RULES.rule("reservations")
def one_reservation_per_experiment(
    reservations: list[LayerReservation] | None,
) -> Iterator[Problem]:
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(reservations or []):
        where = (item.environment_key, item.experiment_key)
        if where in seen:
            yield Problem(
                f"reservations[{index}].experimentKey",
                f"experiment {item.experiment_key!r} is reserved twice in environment "
                f"{item.environment_key!r}; give it one reservation",
            )
        seen.add(where)


@RULES.rule("reservations")
def at_most_100_percent_per_environment(
    reservations: list[LayerReservation] | None,
) -> Iterator[Problem]:
    totals: dict[str, list[LayerReservation]] = {}
    for item in reservations or []:
        totals.setdefault(item.environment_key, []).append(item)
    for environment, items in totals.items():
        total = sum(i.reservation_percent for i in items)
        if total > 100:
            shares = ", ".join(f"{i.experiment_key} {i.reservation_percent}" for i in items)
            yield Problem(
                "reservations",
                f"the reservations in environment {environment!r} add up to {total}% ({shares}); "
                "an environment's reservations total at most 100",
            )
