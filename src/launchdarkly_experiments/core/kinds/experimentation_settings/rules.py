"""The ExperimentationSettings' rules across fields: at most one default, each unit once."""

from __future__ import annotations

from collections.abc import Iterator

from ....errors import Problem
from ...rules import RuleSet
from .models import RandomizationUnit, SettingsSpec

RULES = RuleSet(SettingsSpec)


@RULES.rule("randomizationUnits")
def at_most_one_default(units: list[RandomizationUnit]) -> Iterator[Problem]:
    defaults = [u.randomization_unit for u in units if u.default]
    if len(defaults) > 1:
        yield Problem(
            "randomizationUnits",
            f"a project has one default randomization unit; {', '.join(map(repr, defaults))} "
            "all say default",
        )


@RULES.rule("randomizationUnits")
def each_unit_once(units: list[RandomizationUnit]) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, unit in enumerate(units):
        if unit.randomization_unit in seen:
            yield Problem(
                f"randomizationUnits[{index}].randomizationUnit",
                f"{unit.randomization_unit!r} is listed twice",
            )
        seen.add(unit.randomization_unit)
