"""The Layer's state: its declared form, the declared form of a live layer, and the semantic
patches that move a live layer towards a declaration.

A layer's reservations are a set: the declared form keeps the order a program gives them, and
what is read back follows the order of the declaration it is compared with (``ordered_like``),
so neither a reorder nor a refresh is a change.

LaunchDarkly's ``PATCH .../layers/{key}`` acts in one environment at a time (the body's
``environmentKey``): a plan is one PATCH per environment whose reservations differ, its
instructions in an order every prefix of which is allowed (each environment totals at most
100): removals, then lowered shares, then raised and new ones. A name or description change
rides with the first PATCH.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .models import LayerRep, LayerSpec

Reservation = dict[str, Any]


def post_body(spec: LayerSpec) -> dict[str, Any]:
    """The ``LayerPost``: key, name and description (all three required)."""
    return {"key": spec.key, "name": spec.name, "description": spec.description or ""}


def _where(item: Mapping[str, Any]) -> tuple[str, str]:
    return str(item["environmentKey"]), str(item["experimentKey"])


def ordered_like(items: list[Reservation], reference: list[Reservation]) -> list[Reservation]:
    """``items`` in the order of ``reference`` (matched by environment and experiment), the
    others after them in their own order."""
    rank = {_where(item): index for index, item in enumerate(reference)}
    return sorted(items, key=lambda item: rank.get(_where(item), len(rank)))


def reservations_of(form: Mapping[str, Any]) -> list[Reservation]:
    return list(form.get("reservations") or [])


def declared_from_live(rep: LayerRep, project: str, hint: Mapping[str, Any]) -> dict[str, Any]:
    """The live layer in declared form, its reservations in ``hint``'s order."""
    data: dict[str, Any] = {"projectKey": project, "key": rep.key, "name": rep.name}
    if rep.description:
        data["description"] = rep.description
    live = [
        {
            "environmentKey": environment,
            "experimentKey": item.experiment_key,
            "reservationPercent": item.reservation_percent,
        }
        for environment, config in rep.environments.items()
        for item in config.reservations
    ]
    if live:
        data["reservations"] = ordered_like(live, reservations_of(hint))
    return data


def outputs(rep: LayerRep, project: str, hint: Mapping[str, Any]) -> dict[str, Any]:
    """The resource's outputs: the live declared form, the steering inputs of ``hint`` (never
    a change) and the computed outputs."""
    data = declared_from_live(rep, project, hint)
    if "adopt" in hint:
        data["adopt"] = hint["adopt"]
    if rep.created_at is not None:
        data["createdAt"] = rep.created_at
    return data


def _by_environment(items: list[Reservation]) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for item in items:
        environment, experiment = _where(item)
        found.setdefault(environment, {})[experiment] = int(item["reservationPercent"])
    return found


def reservation_instructions(have: dict[str, int], want: dict[str, int]) -> list[dict[str, Any]]:
    """One environment's instructions: removals, lowered shares, then raised and new ones."""
    removals = [
        {"kind": "removeExperiment", "experimentKey": key} for key in have if key not in want
    ]
    lowered: list[dict[str, Any]] = []
    raised: list[dict[str, Any]] = []
    for key, percent in want.items():
        if have.get(key) == percent:
            continue
        step: dict[str, Any] = {
            "kind": "updateExperimentReservation",
            "experimentKey": key,
            "reservationPercent": percent,
        }
        (lowered if key in have and percent < have[key] else raised).append(step)
    return [*removals, *lowered, *raised]


def next_patch(live: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any] | None:
    """The next PATCH body that moves ``live`` towards ``desired``; None when they match."""
    fields: list[dict[str, Any]] = []
    if live.get("name") != desired.get("name"):
        fields.append({"kind": "updateName", "name": desired["name"]})
    if live.get("description") != desired.get("description"):
        fields.append(
            {"kind": "updateDescription", "description": desired.get("description") or ""}
        )
    have = _by_environment(reservations_of(live))
    want = _by_environment(reservations_of(desired))
    for environment in sorted(set(have) | set(want)):
        steps = reservation_instructions(have.get(environment, {}), want.get(environment, {}))
        if steps:
            return {"environmentKey": environment, "instructions": [*fields, *steps]}
    return {"instructions": fields} if fields else None


def removal_patch(live: Mapping[str, Any], made: list[Reservation]) -> dict[str, Any] | None:
    """The next PATCH that removes, in one environment, the reservations ``made`` that ``live``
    still holds; None when none is left."""
    have = _by_environment(reservations_of(live))
    for environment, experiments in sorted(_by_environment(made).items()):
        left = [key for key in experiments if key in have.get(environment, {})]
        if left:
            return {
                "environmentKey": environment,
                "instructions": [{"kind": "removeExperiment", "experimentKey": k} for k in left],
            }
    return None


def describe(patch: Mapping[str, Any]) -> str:
    kinds = ", ".join(str(i["kind"]) for i in patch["instructions"])
    environment = patch.get("environmentKey")
    return f"{kinds} in {environment}" if environment else kinds
