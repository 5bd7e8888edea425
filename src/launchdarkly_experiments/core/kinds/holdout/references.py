"""The Holdout's references, checked at preview with a token: its project and environment, its
metrics and metric groups, its primary metric, its prerequisite flag and its randomization unit.
An object this program declares counts as there (``Context.declared_here``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ....errors import Problem
from ...kind import Context
from ..checks import (
    environment_problem,
    found,
    metric_problem,
    project_problem,
    quoted,
    randomization_units,
)


def check_references(props: Mapping[str, Any], context: Context) -> list[Problem]:
    """Every reference of a checked declaration (declared form) to an object that is missing."""
    project, environment = str(props["projectKey"]), str(props["environmentKey"])
    lookups = context.lookups()
    missing = project_problem(lookups, project)
    if missing is not None:
        return [missing]
    problems: list[Problem] = []
    metrics = list(props.get("metrics") or [])
    primary = props.get("primaryMetricKey")
    if primary is not None and not props.get("metrics"):
        metrics = [{"key": primary}]  # without metrics, the primary metric is the one metric
    for index, metric in enumerate(metrics):
        prop = f"metrics[{index}].key" if props.get("metrics") else "primaryMetricKey"
        problem = metric_problem(
            lookups,
            context.declared_here,
            project,
            metric["key"],
            is_group=bool(metric.get("isGroup")),
        )
        if problem is not None:
            problems.append(Problem(prop, problem))
    unit = props.get("randomizationUnit")
    if unit is not None and not context.declared_here("ExperimentationSettings", project):
        units = randomization_units(lookups, project)
        if unit not in units:
            problems.append(
                Problem(
                    "randomizationUnit",
                    f"{unit!r} is not a randomization unit of project {project!r}; units: "
                    f"{quoted(units)}",
                )
            )
    missing = environment_problem(lookups, project, environment)
    if missing is not None:
        return [*problems, missing]
    flag = props.get("prerequisiteFlagKey")
    if flag is not None and found(lookups.get_flag, project, flag, environment) is None:
        problems.append(
            Problem("prerequisiteFlagKey", f"flag {flag!r} not found in project {project!r}")
        )
    return problems
