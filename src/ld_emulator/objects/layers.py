"""Layers: experiments in one layer get mutually exclusive traffic, each the share it reserves.

Document (project-level, key = the layer key)::

    {"key", "name", "description", "createdAt",
     "environments": {<env>: [{"experimentKey", "reservationPercent"}]}}

``PATCH …/layers/{key}`` is a semantic patch (the spec's instructions): ``updateName``
(``name``), ``updateDescription`` (``description``), ``updateExperimentReservation``
(``experimentKey``, ``reservationPercent``) and ``removeExperiment`` (``experimentKey``); the
last two act in the body's ``environmentKey``. What the spec says: ``reservationPercent`` "Must
be an integer. Zero is allowed until iteration start." What the emulator reads into its
silence (docs/emulator.md): the reservations of one environment add up to at most 100; the
experiment must exist in that environment (a reservation renders the experiment's flag, which
``LayerReservationRep`` requires); an experiment is reserved in one layer at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import spec
from ..catalog import link
from ..errors import invalid, shorten
from ..semantic_patch import string_param
from .keys import check_key

__all__ = [
    "INSTRUCTION_PARAMS",
    "PER_ENVIRONMENT",
    "apply_instruction",
    "layer_links",
    "new_layer",
    "render_layer",
]

JSON = dict[str, Any]

INSTRUCTION_PARAMS: dict[str, frozenset[str]] = {
    "updateName": frozenset({"name"}),
    "updateDescription": frozenset({"description"}),
    "updateExperimentReservation": frozenset({"experimentKey", "reservationPercent"}),
    "removeExperiment": frozenset({"experimentKey"}),
}
#: The instructions that act in one environment (the body's ``environmentKey``).
PER_ENVIRONMENT = frozenset({"updateExperimentReservation", "removeExperiment"})

#: ``(experiment document or None)`` of an experiment key in the PATCH's environment.
ExperimentLookup = Callable[[str], "JSON | None"]
#: The key of the other layer that reserves an experiment in the environment, or None.
OtherLayer = Callable[[str], "str | None"]


def new_layer(body: Any, now: int) -> JSON:
    """Validate a ``LayerPost`` and build the layer it creates (no reservations yet)."""
    problem = spec.validation_problem("LayerPost", body)
    if problem is not None:
        raise invalid(problem.message)
    check_key(body["key"])
    if not body["name"].strip():
        raise invalid("field 'name' must not be empty")
    return {
        "key": body["key"],
        "name": body["name"],
        "description": body["description"],
        "createdAt": now,
        "environments": {},
    }


def _flag_key(experiment: JSON) -> str:
    """The flag a reservation names: the first flag of the experiment's current iteration."""
    return str(next(iter(experiment["current"]["flags"]), ""))


def apply_instruction(
    doc: JSON,
    instr: JSON,
    environment: str | None,
    experiment: ExperimentLookup,
    other_layer: OtherLayer,
) -> None:
    """Apply one instruction to ``doc`` in place."""
    kind = instr["kind"]
    if kind == "updateName":
        doc["name"] = string_param(instr, "name", non_empty=True)
        return
    if kind == "updateDescription":
        doc["description"] = string_param(instr, "description")
        return
    if environment is None:
        raise invalid(f"field 'environmentKey' is required: {kind} acts in one environment")
    key = string_param(instr, "experimentKey", non_empty=True)
    reservations: list[JSON] = doc["environments"].setdefault(environment, [])
    if kind == "removeExperiment":
        reservations[:] = [r for r in reservations if r["experimentKey"] != key]
        return
    percent = instr.get("reservationPercent")
    if isinstance(percent, bool) or not isinstance(percent, int):
        raise invalid("parameter 'reservationPercent' is required and must be an integer")
    if not 0 <= percent <= 100:
        raise invalid(f"parameter 'reservationPercent': {percent} is not from 0 to 100")
    found = experiment(key)
    if found is None:
        raise invalid(
            f"parameter 'experimentKey': experiment '{shorten(key, 80)}' not found in "
            f"environment '{environment}' (a reservation names an existing experiment)"
        )
    if percent == 0 and found["current"]["status"] != "not_started":
        raise invalid(
            f"parameter 'reservationPercent': 0 is only allowed until the iteration starts "
            f"(experiment '{key}' is {found['current']['status']})"
        )
    elsewhere = other_layer(key)
    if elsewhere is not None:
        raise invalid(
            f"parameter 'experimentKey': experiment '{key}' is already reserved in layer "
            f"'{elsewhere}' in environment '{environment}' (an experiment is in one layer)"
        )
    others = [r for r in reservations if r["experimentKey"] != key]
    total = sum(int(r["reservationPercent"]) for r in others) + percent
    if total > 100:
        raise invalid(
            f"parameter 'reservationPercent': the reservations in environment '{environment}' "
            f"would add up to {total}% (> 100)"
        )
    mine = [r for r in reservations if r["experimentKey"] == key]
    if mine:
        mine[0]["reservationPercent"] = percent
    else:
        reservations.append({"experimentKey": key, "reservationPercent": percent})


def render_layer(
    project: str, doc: JSON, environments: list[str], experiment: Callable[[str, str], JSON | None]
) -> JSON:
    """The spec's ``LayerRep``: every environment of the project with its reservations
    (``experiment(environment, key)`` finds a reserved experiment, for its flag)."""
    shown: JSON = {}
    for env in environments:
        items = []
        for reservation in doc["environments"].get(env, []):
            found = experiment(env, reservation["experimentKey"])
            items.append(
                {
                    "experimentKey": reservation["experimentKey"],
                    "flagKey": "" if found is None else _flag_key(found),
                    "reservationPercent": int(reservation["reservationPercent"]),
                }
            )
        shown[env] = {"reservations": items}
    return {
        "key": doc["key"],
        "name": doc["name"],
        "description": doc["description"],
        "createdAt": int(doc["createdAt"]),
        "environments": shown,
    }


def layer_links(project: str) -> JSON:
    return {"self": link(f"/api/v2/projects/{project}/layers")}
