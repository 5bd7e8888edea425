"""Semantic patch of a flag (``PATCH /api/v2/flags/{projectKey}/{featureFlagKey}``): the
instructions that change a flag's targeting in one environment, as the UI does.

Body: ``{"environmentKey", "instructions": [...], "comment"?}`` with
``Content-Type: application/json; domain-model=launchdarkly.semanticpatch``. Instruction kinds
and their parameters are the spec's:

* ``turnFlagOn``, ``turnFlagOff``;
* ``updateFallthroughVariationOrRollout`` and ``updateRuleVariationOrRollout`` (``ruleId``):
  ``variationId``, or ``rolloutWeights`` (variation ``_id`` -> weight in thousandths of a
  percent, adding up to 100000) with optional ``rolloutBucketBy`` and ``rolloutContextKind``;
* ``updateOffVariation`` (``variationId``), ``updateRuleDescription`` (``ruleId``,
  ``description``).

Instructions apply atomically; one already satisfied is a no-op. A PATCH that changes the
environment's targeting increments its ``_version`` (and the flag's) once. Changing what a rule
serves while an experiment iteration runs on it is a 409 (verified live for the fallthrough).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .errors import ApiError, conflict, invalid, shorten
from .semantic_patch import check_kinds, located
from .targeting import (
    FALLTHROUGH,
    bump,
    env_config,
    find_rule,
    rule_label,
    set_serving,
    variation_index,
)

__all__ = ["INSTRUCTION_PARAMS", "apply_flag_patch"]

JSON = dict[str, Any]

_ROLLOUT = frozenset({"variationId", "rolloutWeights", "rolloutBucketBy", "rolloutContextKind"})
#: The instruction kinds emulated and the parameters each takes (any other is refused).
INSTRUCTION_PARAMS: dict[str, frozenset[str]] = {
    "turnFlagOn": frozenset(),
    "turnFlagOff": frozenset(),
    "updateFallthroughVariationOrRollout": _ROLLOUT,
    "updateRuleVariationOrRollout": _ROLLOUT | {"ruleId"},
    "updateOffVariation": frozenset({"variationId"}),
    "updateRuleDescription": frozenset({"ruleId", "description"}),
}
_BODY_FIELDS = frozenset({"environmentKey", "instructions", "comment"})
ALL_WEIGHT = 100_000


def apply_flag_patch(
    flag: JSON, body: Any, environments: list[str], clock: Callable[[], int]
) -> tuple[JSON, bool]:
    """Validate a flag semantic patch and apply it to a copy of ``flag``: ``(new, changed)``."""
    if not isinstance(body, dict):
        raise invalid("request body: expected an object with 'environmentKey' and 'instructions'")
    extra = sorted(set(body) - _BODY_FIELDS)
    if extra:
        raise invalid(f"unknown field '{shorten(extra[0], 80)}' is not allowed here")
    if "comment" in body and not isinstance(body["comment"], str):
        raise invalid("field 'comment' must be a string")
    instructions = body.get("instructions")
    if not isinstance(instructions, list) or not instructions:
        raise invalid("field 'instructions' must be a non-empty array of instructions")
    check_kinds(
        instructions,
        INSTRUCTION_PARAMS,
        unknown="unknown or not emulated instruction kind",
        known="emulated",
    )
    environment = body.get("environmentKey")
    if not isinstance(environment, str) or not environment:
        raise invalid(
            "field 'environmentKey' is required: these instructions change the targeting of "
            "one environment"
        )
    if environment not in environments:
        raise invalid(
            f"field 'environmentKey': '{shorten(environment, 80)}' is not an environment of "
            f"this project (one of: {', '.join(environments)})"
        )
    new = copy.deepcopy(flag)
    config = env_config(new, environment)
    changed = False
    for index, instr in enumerate(instructions):
        try:
            changed = _apply_one(new, config, environment, instr) or changed
        except ApiError as exc:
            raise located(exc, index, instr["kind"]) from None
    if changed:
        bump(new, environment, clock())
    return new, changed


def _variation(flag: JSON, value: Any, name: str = "variationId") -> int:
    index = variation_index(flag, value) if isinstance(value, str) else None
    if index is None:
        ids = ", ".join(str(v.get("_id")) for v in flag["variations"])
        raise invalid(f"{name}: '{shorten(str(value), 80)}' is not a variation of the flag ({ids})")
    return index


def _rule_ref(config: JSON, instr: JSON) -> str:
    rule_id = instr.get("ruleId")
    if not isinstance(rule_id, str) or find_rule(config, rule_id) is None:
        known = ", ".join(str(r.get("_id")) for r in config["rules"]) or "none"
        raise invalid(
            f"ruleId: '{shorten(str(rule_id), 80)}' is not a rule of the flag here ({known})"
        )
    return rule_id


def _new_serving(flag: JSON, instr: JSON) -> JSON:
    has_variation = "variationId" in instr
    has_weights = "rolloutWeights" in instr
    if has_variation == has_weights:
        raise invalid("give either 'variationId' or 'rolloutWeights'")
    if has_variation:
        if "rolloutBucketBy" in instr or "rolloutContextKind" in instr:
            raise invalid("'rolloutBucketBy' and 'rolloutContextKind' go with 'rolloutWeights'")
        return {"variation": _variation(flag, instr["variationId"])}
    weights = instr["rolloutWeights"]
    if not isinstance(weights, dict) or not weights:
        raise invalid("rolloutWeights must be an object of variation _id -> weight")
    by_index: dict[int, int] = {}
    for variation_id, weight in weights.items():
        index = _variation(flag, variation_id, "rolloutWeights")
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= ALL_WEIGHT:
            raise invalid(
                f"rolloutWeights.{shorten(variation_id, 80)}: a weight is an integer from 0 to "
                f"{ALL_WEIGHT} (thousandths of a percent)"
            )
        by_index[index] = weight
    total = sum(by_index.values())
    if total != ALL_WEIGHT:
        raise invalid(f"rolloutWeights add up to {total}; they must add up to {ALL_WEIGHT}")
    rollout: JSON = {
        "variations": [{"variation": i, "weight": w} for i, w in sorted(by_index.items())],
    }
    for name, field in (("rolloutContextKind", "contextKind"), ("rolloutBucketBy", "bucketBy")):
        if name in instr:
            if not isinstance(instr[name], str) or not instr[name]:
                raise invalid(f"{name} must be a non-empty string")
            rollout[field] = instr[name]
    rollout.setdefault("contextKind", "user")
    return {"rollout": rollout}


def _apply_one(flag: JSON, config: JSON, environment: str, instr: JSON) -> bool:
    kind = instr["kind"]
    if kind in ("turnFlagOn", "turnFlagOff"):
        on = kind == "turnFlagOn"
        if config["on"] == on:
            return False
        config["on"] = on
        return True
    if kind == "updateOffVariation":
        index = _variation(flag, instr.get("variationId"))
        if config["offVariation"] == index:
            return False
        config["offVariation"] = index
        return True
    if kind == "updateRuleDescription":
        rule = find_rule(config, _rule_ref(config, instr))
        description = instr.get("description")
        if not isinstance(description, str):
            raise invalid("description must be a string")
        assert rule is not None
        if rule.get("description") == description:
            return False
        rule["description"] = description
        return True
    ref = FALLTHROUGH if kind == "updateFallthroughVariationOrRollout" else _rule_ref(config, instr)
    value = _new_serving(flag, instr)
    hold = config.get("holds", {}).get(ref)
    if hold is not None:
        raise conflict(
            f"Cannot change what {rule_label(config, ref)} of flag '{flag['key']}' serves in "
            f"environment '{environment}': experiment '{hold['experimentKey']}' is running on "
            "it (stop the iteration first)"
        )
    return set_serving(config, ref, value)
