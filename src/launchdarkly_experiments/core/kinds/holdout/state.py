"""The Holdout's state: the body it is created with, the declared form of a live holdout, its
outputs, and the instructions that make a live holdout match a declaration.

Outputs are the live holdout in declared form (camelCase, defaults dropped) plus
``HoldoutOutputs``. The server defaults a declaration may leave out (``rules.SERVER_DEFAULTS``)
are in it only where the declaration has them, so a refresh of an unchanged holdout changes
nothing; an import (no declaration yet) rebuilds them all, and leaving one out of the program
then is no change either (``ResourceKind.server_defaults``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...models import input_field
from .models import HoldoutRep, HoldoutSpec
from .rules import MUTABLE_FIELDS, SERVER_DEFAULTS, STEERING


def _amount(live: str) -> str:
    """A live amount in declared form ("5.0" -> "5")."""
    return str(input_field(HoldoutSpec, "holdoutAmount").adapter.validate_python(live))


def post_body(spec: HoldoutSpec, default_maintainer: str | None) -> dict[str, Any]:
    """The ``HoldoutPostRequest``: LaunchDarkly's lower-case keys."""
    body: dict[str, Any] = {
        "key": spec.key,
        "name": spec.name,
        "holdoutamount": spec.holdout_amount,
    }
    optional = {
        "description": spec.description,
        "randomizationunit": spec.randomization_unit,
        "primarymetrickey": spec.primary_metric_key,
        "prerequisiteflagkey": spec.prerequisite_flag_key,
        "attributes": list(spec.attributes) if spec.attributes is not None else None,
        # The provider setting is a default for the create, not a declaration.
        "maintainerId": spec.maintainer_id or default_maintainer,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    if spec.metrics is not None:
        body["metrics"] = [{"key": m.key, "isGroup": m.is_group} for m in spec.metrics]
    return body


def declared_from_live(rep: HoldoutRep, project: str, environment: str) -> dict[str, Any]:
    """The live holdout in declared form, its server defaults included."""
    base = rep.base_experiment
    data: dict[str, Any] = {
        "projectKey": project,
        "environmentKey": environment,
        "key": base.key,
        "name": base.name,
        "holdoutAmount": _amount(rep.holdout_amount),
    }
    description = rep.description or base.description
    if description:
        data["description"] = description
    iteration = base.current_iteration
    if iteration is not None:
        if iteration.randomization_unit:
            data["randomizationUnit"] = iteration.randomization_unit
        data["metrics"] = [
            {"key": m.key, "isGroup": True} if m.is_group else {"key": m.key}
            for m in iteration.metrics or []
        ]
        primary = iteration.primary_single_metric or iteration.primary_funnel
        primary = primary or iteration.primary_metric
        if primary is not None:
            data["primaryMetricKey"] = primary.key
        if iteration.flags:
            data["prerequisiteFlagKey"] = next(iter(iteration.flags))
        if iteration.attributes:
            data["attributes"] = list(iteration.attributes)
    if base.maintainer_id:
        data["maintainerId"] = base.maintainer_id
    return data


def outputs(
    rep: HoldoutRep, project: str, environment: str, hint: Mapping[str, Any]
) -> dict[str, Any]:
    """The resource's outputs: the live declared form as the declaration ``hint`` has it
    (``declared_inputs``), its steering inputs (never a change) and the computed outputs."""
    data = declared_inputs(declared_from_live(rep, project, environment), hint)
    data.update({k: v for k, v in hint.items() if k in STEERING})
    data.update({"holdoutId": rep.id, "status": rep.status})
    if rep.created_at is not None:
        data["createdAt"] = rep.created_at
    return data


def declared_inputs(live: Mapping[str, Any], hint: Mapping[str, Any]) -> dict[str, Any]:
    """``live`` (declared form) without the server defaults the declaration ``hint`` leaves
    out; all of it at an import (no hint)."""
    if not hint:
        return dict(live)
    return {k: v for k, v in live.items() if k not in SERVER_DEFAULTS or k in hint}


def matches_sent(live: Mapping[str, Any], desired: Mapping[str, Any]) -> bool:
    """Is a live holdout (declared form) the one a create of ``desired`` sent?"""
    return all(live.get(k) == v for k, v in desired.items() if k != "adopt")


def instructions(live: Mapping[str, Any], desired: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The semantic-patch instructions that give ``live`` the desired name and description."""
    found = []
    for name in MUTABLE_FIELDS:
        if live.get(name) != desired.get(name):
            kind = "updateName" if name == "name" else "updateDescription"
            found.append({"kind": kind, "value": desired.get(name) or ""})
    return found
