"""Names resolved to ids: what a declaration names, LaunchDarkly needs as ids.

* a treatment parameter's ``variation`` (a variation's name or value) becomes its
  ``variationId``;
* a left-out ``flagConfigVersion`` becomes the flag's current targeting version in the
  environment;
* a ``ruleId`` given as a rule's description becomes the rule's ``_id``;
* a ``notInExperimentVariationId`` given as a name or value becomes the variation's ``_id``.

A name that matches nothing fails naming the field, the flag and the names that exist. What each
name resolved to is recorded (``resolvedReferences``) so that the outputs keep the user's form
and a later update reuses it (``apply_resolved``, ``restore_declared``, ``reusable``).

Properties use the wire (camelCase) names, as ``core/rules.py`` and Pulumi's CheckFailure do.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ....errors import NotFoundError, Problem, ReferenceProblem, UnresolvedReferences
from ...lookups import CachedLookups

FALLTHROUGH = "fallthrough"
# The output that records what names resolved to: {property path: id or version}.
RESOLVED_OUTPUT = "resolvedReferences"
# LaunchDarkly's rule and variation ids are UUIDs: anything else is a name to look up.
ID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def quoted(values: Iterable[Any]) -> str:
    shown = [repr(v) for v in values]
    return ", ".join(shown) if shown else "none"


def _variation_label(variation: Mapping[str, Any]) -> str:
    name = variation.get("name")
    value = json.dumps(variation.get("value"))
    return f"{name!r} (value {value})" if name else f"value {value}"


def _same_value(given: Any, value: Any) -> bool:
    if isinstance(given, bool) or isinstance(value, bool):
        return given is value or (isinstance(given, str) and given == json.dumps(value))
    if given == value:
        return True
    return isinstance(given, str) and not isinstance(value, str) and given == json.dumps(value)


def resolve_variation_id(flag: Mapping[str, Any], given: Any, *, prop: str) -> str:
    """The ``_id`` of the flag's variation named ``given`` (by name, else by value, else id)."""
    variations = [v for v in flag.get("variations") or [] if isinstance(v, Mapping)]
    key = flag.get("key", "?")
    for matches in (
        [v for v in variations if isinstance(given, str) and v.get("name") == given],
        [v for v in variations if _same_value(given, v.get("value"))],
        [v for v in variations if v.get("_id") == given],
    ):
        if len(matches) == 1:
            return str(matches[0].get("_id"))
        if len(matches) > 1:
            raise ReferenceProblem(
                prop,
                f"{given!r} matches {len(matches)} variations of flag {key!r} "
                f"({', '.join(_variation_label(v) for v in matches)}); give its variation_id",
            )
    raise ReferenceProblem(
        prop,
        f"flag {key!r} has no variation named {given!r}; its variations are "
        f"{', '.join(_variation_label(v) for v in variations) or 'none'}",
    )


def flag_environment(flag: Mapping[str, Any], environment_key: str) -> Mapping[str, Any]:
    environments = flag.get("environments") or {}
    config = environments.get(environment_key) if isinstance(environments, Mapping) else None
    return config if isinstance(config, Mapping) else {}


def current_flag_version(flag: Mapping[str, Any], environment_key: str) -> int | None:
    """The flag's targeting version in the environment (None when LaunchDarkly gave none).

    That is what ``flagConfigVersion`` means (verified live): the environment's ``_version``,
    never the flag's own top-level ``_version``. The spec's ``FeatureFlagConfig`` names it
    ``version``; either spelling is read, the live one first.
    """
    config = flag_environment(flag, environment_key)
    for name in ("_version", "version"):
        version = config.get(name)
        if isinstance(version, int) and not isinstance(version, bool):
            return version
    return None


def resolve_rule_id(flag: Mapping[str, Any], environment_key: str, given: str, *, prop: str) -> str:
    """``fallthrough``, a rule ``_id``, or the ``_id`` of the rule described ``given``."""
    if given == FALLTHROUGH:
        return given
    rules = [
        r
        for r in flag_environment(flag, environment_key).get("rules") or []
        if isinstance(r, Mapping)
    ]
    if any(r.get("_id") == given for r in rules):
        return given
    for matches in (
        [r for r in rules if r.get("description") == given],
        [r for r in rules if str(r.get("description", "")).casefold() == given.casefold()],
    ):
        if len(matches) == 1:
            return str(matches[0].get("_id"))
        if len(matches) > 1:
            raise ReferenceProblem(
                prop,
                f"{len(matches)} rules of flag {flag.get('key', '?')!r} in environment "
                f"{environment_key!r} are described {given!r}; give the rule's _id "
                f"({quoted(r.get('_id') for r in matches)})",
            )
    described = [str(r.get("description")) for r in rules if r.get("description")]
    raise ReferenceProblem(
        prop,
        f"flag {flag.get('key', '?')!r} has no rule {given!r} in environment "
        f"{environment_key!r}; use 'fallthrough', a rule _id or a rule description "
        f"(rules: {quoted(described) if described else f'{len(rules)} without description'})",
    )


@dataclass
class Resolution:
    """The declaration with names replaced by ids, and what was resolved (property -> id)."""

    props: dict[str, Any]
    resolved: dict[str, Any] = field(default_factory=dict)


def flag_or_problem(
    lookups: CachedLookups, project: str, env: str, flag_key: str, prop: str
) -> Mapping[str, Any]:
    try:
        flag = lookups.get_flag(project, flag_key, env)
    except NotFoundError:
        raise ReferenceProblem(prop, _missing_flag(lookups, project, flag_key)) from None
    if not isinstance(flag, Mapping):
        raise ReferenceProblem(prop, f"LaunchDarkly gave no flag {flag_key!r}")
    return flag


def _missing_flag(lookups: CachedLookups, project: str, flag_key: str) -> str:
    try:
        keys = sorted(
            str(f.get("key")) for f in lookups.list_flags(project) if isinstance(f, Mapping)
        )
    except NotFoundError:
        keys = []
    return f"flag {flag_key!r} not found in project {project!r}; flags: {quoted(keys)}"


def resolve(props: Mapping[str, Any], lookups: CachedLookups) -> Resolution:
    """Replace names by ids in a declaration (wire names); raise listing every unknown name.

    * ``iteration.treatments[i].parameters[j].variation`` -> ``variationId``
    * ``iteration.flags.<key>.flagConfigVersion`` left out -> the flag's current version
    * ``iteration.flags.<key>.ruleId`` given as a rule description -> the rule's ``_id``
    * ``iteration.flags.<key>.notInExperimentVariationId`` given as a name -> the ``_id``
    """
    result = copy.deepcopy(dict(props))
    resolution = Resolution(result)
    project, env = result.get("projectKey"), result.get("environmentKey")
    iteration = result.get("iteration")
    if not (isinstance(project, str) and isinstance(env, str) and isinstance(iteration, dict)):
        return resolution
    problems: list[Problem] = []
    flags = iteration.get("flags") if isinstance(iteration.get("flags"), dict) else {}
    assert isinstance(flags, dict)

    def flag(flag_key: str, prop: str) -> Mapping[str, Any]:
        return flag_or_problem(lookups, project, env, flag_key, prop)

    for flag_key, config in flags.items():
        if not isinstance(config, dict):
            continue
        where = f"iteration.flags.{flag_key}"
        try:
            if config.get("flagConfigVersion") is None:
                version = current_flag_version(flag(flag_key, where), env)
                if version is None:
                    raise ReferenceProblem(
                        f"{where}.flagConfigVersion",
                        f"flag {flag_key!r} has no configuration version in environment {env!r}",
                    )
                config["flagConfigVersion"] = version
                resolution.resolved[f"{where}.flagConfigVersion"] = version
            rule = config.get("ruleId")
            if isinstance(rule, str) and rule != FALLTHROUGH and not ID_RE.match(rule):
                rule_id = resolve_rule_id(flag(flag_key, where), env, rule, prop=f"{where}.ruleId")
                if rule_id != rule:
                    config["ruleId"] = rule_id
                    resolution.resolved[f"{where}.ruleId"] = rule_id
            not_in = config.get("notInExperimentVariationId")
            if not_in is not None and not (isinstance(not_in, str) and ID_RE.match(not_in)):
                prop = f"{where}.notInExperimentVariationId"
                variation_id = resolve_variation_id(flag(flag_key, where), not_in, prop=prop)
                if variation_id != not_in:
                    config["notInExperimentVariationId"] = variation_id
                    resolution.resolved[prop] = variation_id
        except ReferenceProblem as problem:
            problems.append(Problem(problem.prop, problem.message))

    for i, treatment in enumerate(items(iteration.get("treatments"))):
        for j, parameter in enumerate(items(treatment.get("parameters"))):
            where = f"iteration.treatments[{i}].parameters[{j}]"
            if "variation" not in parameter:
                continue
            given = parameter.pop("variation")
            flag_key = parameter.get("flagKey")
            if not isinstance(flag_key, str):
                continue
            try:
                variation_id = resolve_variation_id(
                    flag(flag_key, f"{where}.flagKey"), given, prop=f"{where}.variation"
                )
            except ReferenceProblem as problem:
                problems.append(Problem(problem.prop, problem.message))
                continue
            declared = parameter.get("variationId")
            if declared is not None and declared != variation_id:
                problems.append(
                    Problem(
                        f"{where}.variation",
                        f"variation {given!r} of flag {flag_key!r} is {variation_id!r}, but "
                        f"variationId says {declared!r}; set one of them",
                    )
                )
                continue
            parameter["variationId"] = variation_id
            resolution.resolved[f"{where}.variationId"] = variation_id
    if problems:
        raise UnresolvedReferences(unique(problems))
    return resolution


def needs_lookup(props: Mapping[str, Any]) -> bool:
    """Whether ``resolve`` has a name to look up (so that ids-only declarations cost no GET)."""
    iteration = props.get("iteration")
    if not isinstance(iteration, Mapping):
        return False
    flags = iteration.get("flags")
    for config in flags.values() if isinstance(flags, Mapping) else ():
        if not isinstance(config, Mapping):
            continue
        if config.get("flagConfigVersion") is None:
            return True
        rule, not_in = config.get("ruleId"), config.get("notInExperimentVariationId")
        if isinstance(rule, str) and rule != FALLTHROUGH and not ID_RE.match(rule):
            return True
        if not_in is not None and not (isinstance(not_in, str) and ID_RE.match(not_in)):
            return True
    return any(
        "variation" in parameter
        for treatment in items(iteration.get("treatments"))
        for parameter in items(treatment.get("parameters"))
    )


# -- recorded resolutions: the user's form <-> the form with ids --------------------------------

_FLAG_PATH = re.compile(
    r"^iteration\.flags\.(?P<flag>.+)\.(?P<field>flagConfigVersion|ruleId|notInExperimentVariationId)$"
)
_PARAMETER_PATH = re.compile(
    r"^iteration\.treatments\[(?P<i>\d+)\]\.parameters\[(?P<j>\d+)\]\.variationId$"
)


def _target(data: Any, path: str) -> tuple[dict[str, Any], str] | None:
    """The mapping that holds the value at ``path`` and the key in it (None when absent)."""
    iteration = data.get("iteration") if isinstance(data, Mapping) else None
    if not isinstance(iteration, dict):
        return None
    found = _FLAG_PATH.match(path)
    if found:
        flags = iteration.get("flags")
        config = flags.get(found["flag"]) if isinstance(flags, dict) else None
        return (config, found["field"]) if isinstance(config, dict) else None
    found = _PARAMETER_PATH.match(path)
    if found:
        treatments = items(iteration.get("treatments"))
        i, j = int(found["i"]), int(found["j"])
        parameters = items(treatments[i].get("parameters")) if i < len(treatments) else []
        return (parameters[j], "variationId") if j < len(parameters) else None
    return None


def _user_choice(data: Any, path: str) -> Any:
    """What the user wrote for the reference at ``path`` (flag and name), to compare two forms."""
    target = _target(data, path)
    if target is None:
        return None
    holder, name = target
    if name == "variationId":
        return (holder.get("flagKey"), holder.get("variation"), holder.get("variationId"))
    return ("flag", holder.get(name))


def is_flag_version(path: str) -> bool:
    """Whether a recorded resolution is a left-out flag version (``...flagConfigVersion``)."""
    found = _FLAG_PATH.match(path)
    return found is not None and found["field"] == "flagConfigVersion"


def apply_resolved(declared: Mapping[str, Any], resolved: Mapping[str, Any]) -> dict[str, Any]:
    """The user's declared form with recorded resolutions applied (names -> ids)."""
    result = copy.deepcopy(dict(declared))
    for path, value in resolved.items():
        target = _target(result, path)
        if target is None:
            continue
        holder, name = target
        holder[name] = value
        if name == "variationId":
            holder.pop("variation", None)
    return result


def restore_declared(
    live: Mapping[str, Any], user: Mapping[str, Any], resolved: Mapping[str, Any]
) -> dict[str, Any]:
    """The live declared form (ids) back in the user's form where it is what the names meant.

    A value that differs from what the name resolved to (drift) stays as LaunchDarkly has it.
    """
    result = copy.deepcopy(dict(live))
    for path, value in resolved.items():
        target, source = _target(result, path), _target(user, path)
        if target is None or source is None:
            continue
        holder, name = target
        user_holder, _ = source
        if holder.get(name) != value:
            continue
        if name == "variationId":
            if "variation" in user_holder and "variationId" not in user_holder:
                holder.pop("variationId")
                holder["variation"] = user_holder["variation"]
        elif name not in user_holder:
            holder.pop(name)  # left out by the user (a flag version): stays left out
        else:
            holder[name] = user_holder[name]
    return result


def reusable(
    resolved: Mapping[str, Any], old_user: Mapping[str, Any], new_user: Mapping[str, Any]
) -> dict[str, Any]:
    """Recorded resolutions still valid for ``new_user``: the same name at the same place.

    A left-out flag version keeps the version the experiment was created with, so a later
    change of the flag's version is not a change of the experiment.
    """
    return {
        path: value
        for path, value in resolved.items()
        if _target(new_user, path) is not None
        and _user_choice(old_user, path) == _user_choice(new_user, path)
    }


def items(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
