"""References to other LaunchDarkly objects, checked at preview: one problem per missing one.

An experiment declaration points at a project, an environment, flags (their variations, rules
and targeting version), metrics, metric groups, a holdout, a randomization unit and a
maintainer; a running one needs its flag rules free of other running experiments.
``check_references`` looks each up (``CachedLookups``: one GET per distinct read per process)
and reports each missing one naming the property and what exists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ....config import Settings
from ....errors import NotFoundError, Problem, ReferenceProblem
from ...lookups import CachedLookups
from ..checks import (
    environment_problem,
    found,
    maintainer_problems,
    metric_problem,
    project_problem,
    randomization_units,
)
from .names import (
    FALLTHROUGH,
    ID_RE,
    current_flag_version,
    flag_environment,
    flag_or_problem,
    items,
    quoted,
    resolve_rule_id,
    resolve_variation_id,
    unique,
)


def nothing_declared_here(kind: str, id_: str) -> bool:
    return False


def check_references(
    props: Mapping[str, Any],
    lookups: CachedLookups,
    settings: Settings | None = None,
    declared_here: Callable[[str, str], bool] = nothing_declared_here,
) -> list[Problem]:
    """Look up every reference of a declaration (wire names); a problem per missing one.

    Tolerant of malformed declarations: only well-formed references are looked up (field rules
    report the rest). A missing project stops there; a missing environment skips what lives in
    an environment (flag configurations, holdouts). ``settings`` name the provider settings in
    messages (the maintainer's). ``declared_here(kind, id)`` says which objects the same
    program declares: a preview does not report those missing (they are created first).
    """
    project, env = props.get("projectKey"), props.get("environmentKey")
    if not isinstance(project, str):
        return []
    missing_project = project_problem(lookups, project)
    if missing_project is not None:
        return [missing_project]
    problems: list[Problem] = []
    iteration = props.get("iteration") if isinstance(props.get("iteration"), Mapping) else {}
    assert isinstance(iteration, Mapping)
    if not declared_here("ExperimentationSettings", project):
        problems += _check_randomization_unit(iteration, randomization_units(lookups, project))
    problems += _check_metrics(iteration, project, lookups, declared_here)
    missing_env = environment_problem(lookups, project, env) if isinstance(env, str) else None
    if missing_env is not None:
        problems.append(missing_env)
    elif isinstance(env, str):
        problems += _check_flags(props, iteration, project, env, lookups)
        problems += _check_holdout(props, project, env, lookups)
        problems += _check_rule_conflicts(props, iteration, project, env, lookups)
    problems += maintainer_problems(props, lookups, settings or Settings(), noun="experiment")
    return unique(problems)


def _check_randomization_unit(iteration: Mapping[str, Any], units: list[str]) -> list[Problem]:
    unit = iteration.get("randomizationUnit")
    if not isinstance(unit, str) or unit in units:
        return []
    return [
        Problem(
            "iteration.randomizationUnit",
            f"{unit!r} is not a randomization unit of the project; units: {quoted(units)}",
        )
    ]


def _check_metrics(
    iteration: Mapping[str, Any],
    project: str,
    lookups: CachedLookups,
    declared_here: Callable[[str, str], bool],
) -> list[Problem]:
    problems: list[Problem] = []
    groups: dict[str, Any] = {}
    for index, metric in enumerate(items(iteration.get("metrics"))):
        key = metric.get("key")
        if not isinstance(key, str):
            continue
        prop = f"iteration.metrics[{index}].key"
        is_group = metric.get("isGroup") is True
        problem = metric_problem(lookups, declared_here, project, key, is_group=is_group)
        if problem is not None:
            problems.append(Problem(prop, problem))
        elif is_group and not declared_here("MetricGroup", f"{project}/{key}"):
            groups[key] = found(lookups.get_metric_group, project, key)  # read above: cached
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
    lookups: CachedLookups,
) -> list[Problem]:
    problems: list[Problem] = []
    flags_value = iteration.get("flags")
    flags: Mapping[str, Any] = flags_value if isinstance(flags_value, Mapping) else {}
    found: dict[str, Mapping[str, Any] | None] = {}

    def flag(flag_key: str, prop: str) -> Mapping[str, Any] | None:
        if flag_key not in found:
            try:
                found[flag_key] = flag_or_problem(lookups, project, env, flag_key, prop)
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
        environment = flag_environment(live, env)
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

    for i, treatment in enumerate(items(iteration.get("treatments"))):
        for j, parameter in enumerate(items(treatment.get("parameters"))):
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
    props: Mapping[str, Any], project: str, env: str, lookups: CachedLookups
) -> list[Problem]:
    holdout_id = props.get("holdoutId")
    if not isinstance(holdout_id, str):
        return []
    if found(lookups.get_holdout_by_id, project, env, holdout_id) is not None:
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


def rule_of(config: Mapping[str, Any], flag: Mapping[str, Any] | None, env: str) -> str | None:
    """The rule an iteration flag entry runs on, as an id (or ``fallthrough``), if known."""
    rule = config.get("ruleId")
    if not isinstance(rule, str):
        return None
    if rule == FALLTHROUGH or ID_RE.match(rule) or flag is None:
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
    lookups: CachedLookups,
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
        flag = found(lookups.get_flag, project, flag_key, env)
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
