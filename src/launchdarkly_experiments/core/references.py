"""References to other LaunchDarkly objects: names resolved to ids, and existence checks.

An experiment declaration points at a project, an environment, flags (their variations, rules
and configuration version), metrics, metric groups, a holdout and a randomization unit. This
module

* **resolves names to ids** (``resolve``): a treatment parameter's ``variation`` (a variation's
  name or value) becomes its ``variationId``; a missing ``flagConfigVersion`` becomes the flag's
  current version in the environment; a ``ruleId`` given as a rule's description becomes the
  rule's ``_id``. A name that matches nothing fails naming the field, the flag and the names
  that exist.
* **checks every reference** (``check_references``): each one is looked up, and each missing one
  is a (property, message) problem naming what exists.

Lookups go through ``CachedLookups``: one GET per distinct reference per process, shared by
every thread (the provider host serves several calls at once), 404s cached too. Any source with
the ``ReferenceSource`` methods works; ``http.client.LaunchDarklyClient`` is one. A 404 must raise
``errors.NotFoundError``; other errors propagate.

Properties use the wire (camelCase) names, as ``core/rules.py`` and Pulumi's CheckFailure do.
This module does not import pulumi.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..config import Settings
from ..errors import (
    ForbiddenError,
    NotFoundError,
    Problem,
    ReferenceProblem,
    UnresolvedReferences,
)

FALLTHROUGH = "fallthrough"
# The output that records what names resolved to: {property path: id or version}.
RESOLVED_OUTPUT = "resolvedReferences"
# LaunchDarkly's rule and variation ids are UUIDs: anything else is a name to look up.
_ID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)

__all__ = [
    "RESOLVED_OUTPUT",
    "CachedLookups",
    "ReferenceSource",
    "Resolution",
    "UnresolvedReferences",
    "apply_resolved",
    "check_references",
    "current_flag_version",
    "needs_lookup",
    "resolve",
    "resolve_rule_id",
    "resolve_variation_id",
    "restore_declared",
    "reusable",
]


class ReferenceSource(Protocol):
    """What reference lookups need; each method returns parsed JSON, a 404 raises NotFoundError."""

    def get_flag(self, project_key: str, flag_key: str, environment_key: str) -> Any: ...

    def list_flags(self, project_key: str) -> list[Any]: ...

    def get_metric(self, project_key: str, metric_key: str) -> Any: ...

    def get_metric_group(self, project_key: str, group_key: str) -> Any: ...

    def get_holdout_by_id(self, project_key: str, environment_key: str, holdout_id: str) -> Any: ...

    def list_holdouts(self, project_key: str, environment_key: str) -> list[Any]: ...

    def get_experimentation_settings(self, project_key: str) -> Any: ...

    def list_experiments(
        self, project_key: str, environment_key: str, *, limit: int = 1
    ) -> Any: ...

    def get_member(self, member_id: str) -> Any: ...

    def running_experiments(
        self, project_key: str, environment_key: str, flag_key: str
    ) -> list[Any]: ...


# -- cached lookups -------------------------------------------------------------------------------


class CachedLookups:
    """A ``ReferenceSource`` that asks its source once per distinct lookup, from any thread.

    Concurrent callers of the same lookup wait for the one request in flight. Answers and 404s
    are kept for the life of the object; other failures (timeouts, 5xx, 401) are not kept, so
    the next call tries again.
    """

    def __init__(self, source: ReferenceSource) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._entries: dict[tuple[Any, ...], Future[Any]] = {}
        self.source_calls = 0

    def _get(self, name: str, call: Callable[[], Any], *key: Any) -> Any:
        ident = (name, *key)
        with self._lock:
            future = self._entries.get(ident)
            owner = future is None
            if future is None:
                future = Future()
                self._entries[ident] = future
                self.source_calls += 1
        if owner:
            try:
                future.set_result(call())
            except NotFoundError as exc:
                future.set_exception(exc)
            except BaseException as exc:
                with self._lock:
                    self._entries.pop(ident, None)
                future.set_exception(exc)
        return future.result()

    def forget(self, *names: str) -> None:
        """Drop every kept answer of the lookups ``names`` (``running`` after a start here)."""
        with self._lock:
            for ident in [i for i in self._entries if i[0] in names]:
                del self._entries[ident]

    def get_flag(self, project_key: str, flag_key: str, environment_key: str) -> Any:
        return self._get(
            "flag",
            lambda: self._source.get_flag(project_key, flag_key, environment_key),
            project_key,
            flag_key,
            environment_key,
        )

    def list_flags(self, project_key: str) -> list[Any]:
        result = self._get("flags", lambda: self._source.list_flags(project_key), project_key)
        return list(result)

    def get_metric(self, project_key: str, metric_key: str) -> Any:
        return self._get(
            "metric",
            lambda: self._source.get_metric(project_key, metric_key),
            project_key,
            metric_key,
        )

    def get_metric_group(self, project_key: str, group_key: str) -> Any:
        return self._get(
            "metric-group",
            lambda: self._source.get_metric_group(project_key, group_key),
            project_key,
            group_key,
        )

    def get_holdout_by_id(self, project_key: str, environment_key: str, holdout_id: str) -> Any:
        return self._get(
            "holdout",
            lambda: self._source.get_holdout_by_id(project_key, environment_key, holdout_id),
            project_key,
            environment_key,
            holdout_id,
        )

    def list_holdouts(self, project_key: str, environment_key: str) -> list[Any]:
        result = self._get(
            "holdouts",
            lambda: self._source.list_holdouts(project_key, environment_key),
            project_key,
            environment_key,
        )
        return list(result)

    def get_experimentation_settings(self, project_key: str) -> Any:
        return self._get(
            "settings",
            lambda: self._source.get_experimentation_settings(project_key),
            project_key,
        )

    def list_experiments(self, project_key: str, environment_key: str, *, limit: int = 1) -> Any:
        return self._get(
            "environment",
            lambda: self._source.list_experiments(project_key, environment_key, limit=limit),
            project_key,
            environment_key,
        )

    def get_member(self, member_id: str) -> Any:
        return self._get("member", lambda: self._source.get_member(member_id), member_id)

    def running_experiments(
        self, project_key: str, environment_key: str, flag_key: str
    ) -> list[Any]:
        result = self._get(
            "running",
            lambda: self._source.running_experiments(project_key, environment_key, flag_key),
            project_key,
            environment_key,
            flag_key,
        )
        return list(result)


# -- names -> ids ---------------------------------------------------------------------------------


def _quoted(values: Iterable[Any]) -> str:
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


def _environment(flag: Mapping[str, Any], environment_key: str) -> Mapping[str, Any]:
    environments = flag.get("environments") or {}
    config = environments.get(environment_key) if isinstance(environments, Mapping) else None
    return config if isinstance(config, Mapping) else {}


def current_flag_version(flag: Mapping[str, Any], environment_key: str) -> int | None:
    """The flag's targeting version in the environment (None when LaunchDarkly gave none).

    That is what ``flagConfigVersion`` means (verified live): the environment's ``_version``,
    never the flag's own top-level ``_version``. The spec's ``FeatureFlagConfig`` names it
    ``version``; either spelling is read, the live one first.
    """
    config = _environment(flag, environment_key)
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
        r for r in _environment(flag, environment_key).get("rules") or [] if isinstance(r, Mapping)
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
                f"({_quoted(r.get('_id') for r in matches)})",
            )
    described = [str(r.get("description")) for r in rules if r.get("description")]
    raise ReferenceProblem(
        prop,
        f"flag {flag.get('key', '?')!r} has no rule {given!r} in environment "
        f"{environment_key!r}; use 'fallthrough', a rule _id or a rule description "
        f"(rules: {_quoted(described) if described else f'{len(rules)} without description'})",
    )


@dataclass
class Resolution:
    """The declaration with names replaced by ids, and what was resolved (property -> id)."""

    props: dict[str, Any]
    resolved: dict[str, Any] = field(default_factory=dict)


def _flag_or_problem(
    lookups: ReferenceSource, project: str, env: str, flag_key: str, prop: str
) -> Mapping[str, Any]:
    try:
        flag = lookups.get_flag(project, flag_key, env)
    except NotFoundError:
        raise ReferenceProblem(prop, _missing_flag(lookups, project, flag_key)) from None
    if not isinstance(flag, Mapping):
        raise ReferenceProblem(prop, f"LaunchDarkly gave no flag {flag_key!r}")
    return flag


def _missing_flag(lookups: ReferenceSource, project: str, flag_key: str) -> str:
    try:
        keys = sorted(
            str(f.get("key")) for f in lookups.list_flags(project) if isinstance(f, Mapping)
        )
    except NotFoundError:
        keys = []
    return f"flag {flag_key!r} not found in project {project!r}; flags: {_quoted(keys)}"


def resolve(props: Mapping[str, Any], lookups: ReferenceSource) -> Resolution:
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
        return _flag_or_problem(lookups, project, env, flag_key, prop)

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
            if isinstance(rule, str) and rule != FALLTHROUGH and not _ID_RE.match(rule):
                rule_id = resolve_rule_id(flag(flag_key, where), env, rule, prop=f"{where}.ruleId")
                if rule_id != rule:
                    config["ruleId"] = rule_id
                    resolution.resolved[f"{where}.ruleId"] = rule_id
            not_in = config.get("notInExperimentVariationId")
            if not_in is not None and not (isinstance(not_in, str) and _ID_RE.match(not_in)):
                prop = f"{where}.notInExperimentVariationId"
                variation_id = resolve_variation_id(flag(flag_key, where), not_in, prop=prop)
                if variation_id != not_in:
                    config["notInExperimentVariationId"] = variation_id
                    resolution.resolved[prop] = variation_id
        except ReferenceProblem as problem:
            problems.append(Problem(problem.prop, problem.message))

    for i, treatment in enumerate(_list(iteration.get("treatments"))):
        for j, parameter in enumerate(_list(treatment.get("parameters"))):
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
        raise UnresolvedReferences(_unique(problems))
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
        if isinstance(rule, str) and rule != FALLTHROUGH and not _ID_RE.match(rule):
            return True
        if not_in is not None and not (isinstance(not_in, str) and _ID_RE.match(not_in)):
            return True
    return any(
        "variation" in parameter
        for treatment in _list(iteration.get("treatments"))
        for parameter in _list(treatment.get("parameters"))
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
        treatments = _list(iteration.get("treatments"))
        i, j = int(found["i"]), int(found["j"])
        parameters = _list(treatments[i].get("parameters")) if i < len(treatments) else []
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


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


# -- checking every reference ---------------------------------------------------------------------


def check_references(
    props: Mapping[str, Any], lookups: ReferenceSource, settings: Settings | None = None
) -> list[Problem]:
    """Look up every reference of a declaration (wire names); a problem per missing one.

    Tolerant of malformed declarations: only well-formed references are looked up (field rules
    report the rest). A missing project stops there; a missing environment skips what lives in
    an environment (flag configurations, holdouts). ``settings`` name the provider settings in
    messages (the maintainer's).
    """
    project, env = props.get("projectKey"), props.get("environmentKey")
    if not isinstance(project, str):
        return []
    try:
        experimentation = lookups.get_experimentation_settings(project)
    except NotFoundError:
        return [
            Problem("projectKey", f"project {project!r} not found (or the token cannot see it)")
        ]
    problems: list[Problem] = []
    iteration = props.get("iteration") if isinstance(props.get("iteration"), Mapping) else {}
    assert isinstance(iteration, Mapping)
    problems += _check_randomization_unit(iteration, experimentation)
    problems += _check_metrics(iteration, project, lookups)
    env_ok = False
    if isinstance(env, str):
        try:
            lookups.list_experiments(project, env, limit=1)
            env_ok = True
        except NotFoundError:
            problems.append(
                Problem("environmentKey", f"environment {env!r} not found in project {project!r}")
            )
    if env_ok and isinstance(env, str):
        problems += _check_flags(props, iteration, project, env, lookups)
        problems += _check_holdout(props, project, env, lookups)
        problems += _check_rule_conflicts(props, iteration, project, env, lookups)
    problems += _check_maintainer(props, lookups, settings or Settings())
    return _unique(problems)


def _check_randomization_unit(iteration: Mapping[str, Any], settings: Any) -> list[Problem]:
    unit = iteration.get("randomizationUnit")
    if not isinstance(unit, str) or not isinstance(settings, Mapping):
        return []
    units = [
        str(u.get("randomizationUnit"))
        for u in settings.get("randomizationUnits") or []
        if isinstance(u, Mapping)
    ]
    if unit in units:
        return []
    return [
        Problem(
            "iteration.randomizationUnit",
            f"{unit!r} is not a randomization unit of the project; units: {_quoted(units)}",
        )
    ]


def _exists(lookup: Callable[..., Any], *args: str) -> Any | None:
    try:
        return lookup(*args)
    except NotFoundError:
        return None


def _check_metrics(
    iteration: Mapping[str, Any], project: str, lookups: ReferenceSource
) -> list[Problem]:
    problems: list[Problem] = []
    groups: dict[str, Any] = {}
    for index, metric in enumerate(_list(iteration.get("metrics"))):
        key = metric.get("key")
        if not isinstance(key, str):
            continue
        prop = f"iteration.metrics[{index}].key"
        if metric.get("isGroup") is True:
            group = _exists(lookups.get_metric_group, project, key)
            groups[key] = group
            if group is None:
                hint = (
                    "; it is a metric: set isGroup false"
                    if _exists(lookups.get_metric, project, key) is not None
                    else ""
                )
                problems.append(
                    Problem(prop, f"metric group {key!r} not found in project {project!r}{hint}")
                )
        elif _exists(lookups.get_metric, project, key) is None:
            hint = (
                "; it is a metric group: set isGroup true"
                if _exists(lookups.get_metric_group, project, key) is not None
                else ""
            )
            problems.append(Problem(prop, f"metric {key!r} not found in project {project!r}{hint}"))
    funnel = iteration.get("primaryFunnelKey")
    group = groups.get(funnel) if isinstance(funnel, str) else None
    if isinstance(group, Mapping) and group.get("kind") != "funnel":
        problems.append(
            Problem(
                "iteration.primaryFunnelKey",
                f"metric group {funnel!r} is a {group.get('kind', 'standard')!r} group; the "
                "primary funnel must be a funnel metric group",
            )
        )
    return problems


def _check_flags(
    props: Mapping[str, Any],
    iteration: Mapping[str, Any],
    project: str,
    env: str,
    lookups: ReferenceSource,
) -> list[Problem]:
    problems: list[Problem] = []
    flags_value = iteration.get("flags")
    flags: Mapping[str, Any] = flags_value if isinstance(flags_value, Mapping) else {}
    found: dict[str, Mapping[str, Any] | None] = {}

    def flag(flag_key: str, prop: str) -> Mapping[str, Any] | None:
        if flag_key not in found:
            try:
                found[flag_key] = _flag_or_problem(lookups, project, env, flag_key, prop)
            except ReferenceProblem as problem:
                problems.append(Problem(problem.prop, problem.message))
                found[flag_key] = None
        return found[flag_key]

    starts = props.get("state") in ("running", "stopped")
    for flag_key, config in flags.items():
        where = f"iteration.flags.{flag_key}"
        live = flag(flag_key, where)
        if live is None or not isinstance(config, Mapping):
            continue
        environment = _environment(live, env)
        if live.get("archived") or environment.get("archived"):
            problems.append(Problem(where, f"flag {flag_key!r} is archived"))
        elif starts and environment.get("on") is False:
            problems.append(
                Problem(
                    where,
                    f"flag {flag_key!r} is off in environment {env!r}; the iteration cannot "
                    "start until it is turned on",
                )
            )
        rule = config.get("ruleId")
        try:
            if isinstance(rule, str):
                resolve_rule_id(live, env, rule, prop=f"{where}.ruleId")
            not_in = config.get("notInExperimentVariationId")
            if not_in is not None:
                resolve_variation_id(live, not_in, prop=f"{where}.notInExperimentVariationId")
        except ReferenceProblem as problem:
            problems.append(Problem(problem.prop, problem.message))
        version, current = config.get("flagConfigVersion"), current_flag_version(live, env)
        if isinstance(version, int) and current is not None and version > current:
            problems.append(
                Problem(
                    f"{where}.flagConfigVersion",
                    f"flag {flag_key!r} is at version {current} in environment {env!r}; "
                    f"got {version}, a version that does not exist yet (leave it out to use "
                    "the current one)",
                )
            )

    for i, treatment in enumerate(_list(iteration.get("treatments"))):
        for j, parameter in enumerate(_list(treatment.get("parameters"))):
            where = f"iteration.treatments[{i}].parameters[{j}]"
            parameter_flag = parameter.get("flagKey")
            if not isinstance(parameter_flag, str):
                continue
            live = flag(parameter_flag, f"{where}.flagKey")
            if live is None:
                continue
            for name in ("variationId", "variation"):
                if parameter.get(name) is None:
                    continue
                try:
                    resolved = resolve_variation_id(live, parameter[name], prop=f"{where}.{name}")
                except ReferenceProblem as problem:
                    problems.append(Problem(problem.prop, problem.message))
                    continue
                if name == "variationId" and resolved != parameter[name]:
                    problems.append(
                        Problem(
                            f"{where}.variationId",
                            f"{parameter[name]!r} is a variation's name or value, not its id; "
                            f"write variation: {parameter[name]!r} (its id is {resolved!r})",
                        )
                    )
    return problems


def _check_holdout(
    props: Mapping[str, Any], project: str, env: str, lookups: ReferenceSource
) -> list[Problem]:
    holdout_id = props.get("holdoutId")
    if not isinstance(holdout_id, str):
        return []
    if _exists(lookups.get_holdout_by_id, project, env, holdout_id) is not None:
        return []
    try:
        holdouts = [
            f"{h.get('key') or h.get('name')} ({h.get('_id')})"
            for h in lookups.list_holdouts(project, env)
            if isinstance(h, Mapping)
        ]
    except NotFoundError:
        holdouts = []
    return [
        Problem(
            "holdoutId",
            f"no holdout with id {holdout_id!r} in {project}/{env}; holdouts: "
            f"{', '.join(holdouts) or 'none'}",
        )
    ]


def _check_maintainer(
    props: Mapping[str, Any], lookups: ReferenceSource, settings: Settings
) -> list[Problem]:
    """The maintainer is a member; without one, the token must have a member behind it.

    A service token has none (``GET /members/me`` answers 404), and LaunchDarkly then refuses
    an experiment without ``maintainerId``.
    """
    # The provider's setting stands in for a left-out maintainer at create.
    maintainer = props.get("maintainerId", settings.maintainer_id)
    try:
        if maintainer is None:
            token_member = _exists(lookups.get_member, "me")
        elif isinstance(maintainer, str):
            member = _exists(lookups.get_member, maintainer)
    except ForbiddenError:
        return []  # a token without access to members: nothing to tell either way
    if isinstance(maintainer, str):
        if member is not None:
            return []
        given = (
            "" if "maintainerId" in props else f" (from {settings.where_to_set('maintainer_id')})"
        )
        return [
            Problem(
                "maintainerId",
                f"no member with id {maintainer!r}{given} in this LaunchDarkly account (or the "
                "token cannot see it)",
            )
        ]
    if maintainer is not None or token_member is not None:
        return []
    return [Problem("maintainerId", service_token_message(settings))]


def service_token_message(settings: Settings) -> str:
    """Why an experiment needs a maintainer here, and both places to set one."""
    return (
        "the access token is a service token (no member behind it), and LaunchDarkly needs a "
        "maintainer for each experiment it creates with one: set maintainerId on the experiment "
        f"or the provider setting {settings.where_to_set('maintainer_id')} to a member id"
    )


def rule_of(config: Mapping[str, Any], flag: Mapping[str, Any] | None, env: str) -> str | None:
    """The rule an iteration flag entry runs on, as an id (or ``fallthrough``), if known."""
    rule = config.get("ruleId")
    if not isinstance(rule, str):
        return None
    if rule == FALLTHROUGH or _ID_RE.match(rule) or flag is None:
        return rule
    try:
        return resolve_rule_id(flag, env, rule, prop="")
    except ReferenceProblem:
        return None


def running_on_rule(
    running: Iterable[Any], flag_key: str, rule: str, *, other_than: str | None
) -> str | None:
    """The key of an experiment in ``running`` whose running iteration uses the flag's rule."""
    for item in running:
        if not isinstance(item, Mapping) or item.get("key") == other_than:
            continue
        current = item.get("currentIteration")
        if not isinstance(current, Mapping) or current.get("status") != "running":
            continue
        flags = current.get("flags")
        entry = flags.get(flag_key) if isinstance(flags, Mapping) else None
        if isinstance(entry, Mapping) and (entry.get("targetingRule") or FALLTHROUGH) == rule:
            return str(item.get("key"))
    return None


def _check_rule_conflicts(
    props: Mapping[str, Any],
    iteration: Mapping[str, Any],
    project: str,
    env: str,
    lookups: ReferenceSource,
) -> list[Problem]:
    """A running experiment's flag rules are in no other running experiment.

    LaunchDarkly runs one experiment per flag rule: ``startIteration`` answers 409 when another
    running experiment already uses the rule.
    """
    if props.get("state") != "running":
        return []
    key = props.get("key")
    problems: list[Problem] = []
    flags = iteration.get("flags")
    for flag_key, config in flags.items() if isinstance(flags, Mapping) else ():
        if not isinstance(config, Mapping):
            continue
        flag = _exists(lookups.get_flag, project, flag_key, env)
        rule = rule_of(config, flag, env)
        if rule is None:
            continue
        try:
            running = lookups.running_experiments(project, env, flag_key)
        except NotFoundError:
            continue
        other = running_on_rule(
            running, flag_key, rule, other_than=key if isinstance(key, str) else None
        )
        if other is not None:
            problems.append(
                Problem(
                    f"iteration.flags.{flag_key}.ruleId",
                    rule_conflict_message(flag_key, rule, other),
                )
            )
    return problems


def rule_conflict_message(flag_key: str, rule: str, other: str) -> str:
    where = "the fallthrough" if rule == FALLTHROUGH else f"rule {rule!r}"
    return (
        f"{where} of flag {flag_key!r} is already in running experiment {other!r}; LaunchDarkly "
        f"runs one experiment per flag rule: stop {other!r} first, or run this experiment on "
        "another rule"
    )
