"""What running experiments do to the flags they run on.

Verified against LaunchDarkly (docs/emulator.md, *Live-verified facts*):

* while an iteration runs, the rule it names (``ruleId``, or the fallthrough) serves the
  experiment's rollout: a ``rollout`` whose ``experimentAllocation.type`` is ``"experiment"``,
  each treatment's variation weighted by its ``allocationPercent`` (in thousandths of a
  percent), the traffic left out of the experiment on the not-in-experiment variation with
  ``_untracked: true``;
* one rule (or fallthrough) runs one experiment at a time: starting another iteration on it is
  a 409 ``optimistic_locking_error``;
* stopping with a winner ships it: the rule serves the winning treatment's variation, and the
  environment's ``_version`` increments.

Where LaunchDarkly's behaviour is not known (silent points, see :mod:`.profiles`): an
iteration that ends without a winner (``saveAndStartNewIteration``, a ``startIteration`` that
replaces a running iteration, archiving a running experiment under ``lenient``) gives the rule
back the serving it had before the iteration started; a start and such an end increment
``_version`` only under the strict point ``experiment-serving-bumps-version``.

The experiment lifecycle records :class:`Effect` s as it goes; :func:`apply_effects` replays them
on the flag documents, in order, and says which flags changed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import conflict
from .profiles import Profile
from .targeting import FALLTHROUGH, bump, env_config, rule_label, serving, set_serving
from .targeting import variation_index as index_of

__all__ = ["Effect", "FlagDocuments", "apply_effects", "experiment_rollout"]

JSON = dict[str, Any]

#: Rollout weights are in thousandths of a percent: 100000 is everyone.
WEIGHT_SCALE = 1000
ALL_WEIGHT = 100 * WEIGHT_SCALE


@dataclass(frozen=True)
class Effect:
    """An iteration started (``winner`` unused) or ended (``winner``: a treatment ``_id`` or
    None). ``iteration`` is a copy taken when it happened."""

    kind: str  # "start" | "stop"
    iteration: JSON
    winner: str | None = None


class FlagDocuments(Protocol):
    """The flags a request may change (read once each)."""

    def get(self, key: str) -> JSON | None: ...


def experiment_rollout(flag: JSON, iteration: JSON, flag_key: str) -> JSON:
    """``{"rollout": ...}``: what a rule serves while ``iteration`` runs on it."""
    treatments: list[JSON] = iteration["treatments"]
    baseline = next((t for t in treatments if t.get("baseline")), treatments[0])
    flag_input: JSON = iteration["flags"][flag_key]

    def variation_of(treatment: JSON) -> int | None:
        for parameter in treatment["parameters"]:
            if parameter["flagKey"] == flag_key:
                return index_of(flag, parameter["variationId"])
        return None

    default_id = flag_input.get("notInExperimentVariationId")
    default = index_of(flag, default_id) if default_id else variation_of(baseline)
    if default is None:
        default = 0
    weights: dict[int, int] = {}
    for treatment in treatments:
        index = variation_of(treatment)
        index = default if index is None else index
        weight = round(float(treatment["allocationPercent"]) * WEIGHT_SCALE)
        weights[index] = weights.get(index, 0) + weight
    variations: list[JSON] = [
        {"variation": index, "weight": weight} for index, weight in sorted(weights.items())
    ]
    left = ALL_WEIGHT - sum(weights.values())
    if left > 0:
        variations.append({"variation": default, "weight": left, "_untracked": True})
    rollout: JSON = {
        "variations": variations,
        "experimentAllocation": {
            "type": "experiment",
            "defaultVariation": default,
            "canReshuffle": bool(iteration.get("canReshuffleTraffic", True)),
        },
    }
    if iteration.get("randomizationUnit"):
        rollout["contextKind"] = str(iteration["randomizationUnit"])
    return {"rollout": rollout}


def apply_effects(
    flags: FlagDocuments,
    environment: str,
    experiment_key: str,
    effects: list[Effect],
    profile: Profile,
    clock: Callable[[], int],
) -> dict[str, JSON]:
    """Replay ``effects`` on the flags; return the changed flag documents by key.

    Each changed environment's ``_version`` increments once per request, however many
    effects touched it.
    """
    changed: dict[str, JSON] = {}
    to_bump: set[str] = set()
    counts_all = "experiment-serving-bumps-version" in profile

    def flag_doc(key: str) -> JSON | None:
        if key not in changed:
            found = flags.get(key)
            if found is None:
                return None
            changed[key] = copy.deepcopy(found)
        return changed[key]

    touched: set[str] = set()
    for effect in effects:
        iteration = effect.iteration
        for flag_key, flag_input in iteration["flags"].items():
            flag = flag_doc(flag_key)
            if flag is None:
                continue
            config = env_config(flag, environment)
            ref = str(flag_input["ruleId"])
            if ref != FALLTHROUGH and not serving(config, ref):
                continue  # a rule the flag no longer has
            holds: JSON = config.setdefault("holds", {})
            hold = holds.get(ref)
            if effect.kind == "start":
                if hold is not None and hold["experimentKey"] != experiment_key:
                    raise conflict(
                        f"Cannot start: {rule_label(config, ref)} of flag '{flag_key}' in "
                        f"environment '{environment}' is already in running experiment "
                        f"'{hold['experimentKey']}'; a rule runs one experiment at a time "
                        "(stop that one first)"
                    )
                previous = hold["previous"] if hold is not None else serving(config, ref)
                holds[ref] = {
                    "experimentKey": experiment_key,
                    "iterationId": iteration["_id"],
                    "previous": previous,
                }
                new = experiment_rollout(flag, iteration, flag_key)
                touched.add(flag_key)
                if set_serving(config, ref, new) and counts_all:
                    to_bump.add(flag_key)
                continue
            if hold is None or hold["iterationId"] != iteration["_id"]:
                continue  # handed over to the experiment's next iteration
            del holds[ref]
            touched.add(flag_key)
            shipped = _winning_variation(flag, iteration, flag_key, effect.winner)
            if shipped is not None:
                set_serving(config, ref, {"variation": shipped})
                to_bump.add(flag_key)
            elif set_serving(config, ref, hold["previous"]) and counts_all:
                to_bump.add(flag_key)
    now = clock()
    for flag_key in to_bump:
        bump(changed[flag_key], environment, now)
    return {k: v for k, v in changed.items() if k in touched}


def _winning_variation(
    flag: JSON, iteration: JSON, flag_key: str, winner: str | None
) -> int | None:
    if winner is None:
        return None
    for treatment in iteration["treatments"]:
        if treatment["_id"] != winner:
            continue
        for parameter in treatment["parameters"]:
            if parameter["flagKey"] == flag_key:
                return index_of(flag, parameter["variationId"])
    return None
