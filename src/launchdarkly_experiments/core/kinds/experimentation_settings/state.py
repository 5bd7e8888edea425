"""The ExperimentationSettings' state: the canonical form of a list of units, the PUT body, and
the outputs of a live settings answer.

Which unit is the default has two spellings (``default`` on the first unit, or on none: the
first is then the default), so units are kept in one canonical form: ``default`` is written only
on a default unit that is not the first. ``standardRandomizationUnit`` (deprecated) is sent as
declared and never read back: a read keeps the declared one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .models import SettingsRep

Unit = dict[str, Any]


def _default_index(units: Sequence[Mapping[str, Any]]) -> int:
    return next((i for i, unit in enumerate(units) if unit.get("default")), 0)


def canonical(units: Sequence[Mapping[str, Any]]) -> list[Unit]:
    """Units in canonical form (see the module's docstring)."""
    default = _default_index(units)
    found: list[Unit] = []
    for index, unit in enumerate(units):
        item: Unit = {"randomizationUnit": unit["randomizationUnit"]}
        if index == default and index != 0:
            item["default"] = True
        if unit.get("standardRandomizationUnit"):
            item["standardRandomizationUnit"] = unit["standardRandomizationUnit"]
        found.append(item)
    return found


def default_unit(units: Sequence[Mapping[str, Any]]) -> str:
    return str(units[_default_index(units)]["randomizationUnit"]) if units else ""


def put_body(units: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The ``RandomizationSettingsPut``: every unit, the default one said explicitly."""
    default = _default_index(units)
    body = []
    for index, unit in enumerate(units):
        item: Unit = {"randomizationUnit": unit["randomizationUnit"], "default": index == default}
        if unit.get("standardRandomizationUnit"):
            item["standardRandomizationUnit"] = unit["standardRandomizationUnit"]
        body.append(item)
    return {"randomizationUnits": body}


def live_units(rep: SettingsRep, hint: Sequence[Mapping[str, Any]]) -> list[Unit]:
    """The live units in canonical form, each with the deprecated field ``hint`` declares."""
    standard = {
        unit["randomizationUnit"]: unit["standardRandomizationUnit"]
        for unit in hint
        if unit.get("standardRandomizationUnit")
    }
    units: list[Unit] = []
    for unit in rep.randomization_units:
        item: Unit = {"randomizationUnit": unit.randomization_unit, "default": bool(unit.default)}
        if unit.randomization_unit in standard:
            item["standardRandomizationUnit"] = standard[unit.randomization_unit]
        units.append(item)
    return canonical(units)


def outputs(
    rep: SettingsRep, project: str, hint: Sequence[Mapping[str, Any]], previous: list[Unit]
) -> dict[str, Any]:
    units = live_units(rep, hint)
    return {
        "projectKey": project,
        "randomizationUnits": units,
        "previousRandomizationUnits": previous,
        "defaultRandomizationUnit": default_unit(units),
    }


def same_units(live: Sequence[Mapping[str, Any]], wanted: Sequence[Mapping[str, Any]]) -> bool:
    """Do two lists name the same units, in order, with the same default? (The deprecated
    field is never read back, so it is not compared.)"""

    def shape(units: Sequence[Mapping[str, Any]]) -> list[tuple[Any, bool]]:
        return [(u["randomizationUnit"], bool(u.get("default"))) for u in canonical(units)]

    return shape(live) == shape(wanted)
