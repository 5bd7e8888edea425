"""A metric group's references, looked up at preview with a token: its project, its metrics
(unless this program declares them) and its maintainer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ....errors import NotFoundError, Problem
from ...kind import Context
from ..checks import maintainer_problems, project_problem


def check_references(props: Mapping[str, Any], context: Context) -> list[Problem]:
    """One problem per missing reference of a checked declaration (wire names)."""
    project = props.get("projectKey")
    if not isinstance(project, str):
        return []
    lookups = context.lookups()
    missing = project_problem(lookups, project)
    problems = [missing] if missing else []
    if problems:
        return problems
    problems = _missing_metrics(props, project, context)
    return problems + maintainer_problems(props, lookups, context.settings, noun="metric group")


def _missing_metrics(props: Mapping[str, Any], project: str, context: Context) -> list[Problem]:
    problems = []
    for index, metric in enumerate(props.get("metrics") or []):
        key = metric.get("key") if isinstance(metric, Mapping) else None
        if not isinstance(key, str) or context.declared_here("Metric", f"{project}/{key}"):
            continue
        try:
            context.lookups().get_metric(project, key)
        except NotFoundError:
            problems.append(
                Problem(
                    f"metrics[{index}].key",
                    f"metric {key!r} not found in project {project!r}; declare it in this "
                    "program (a Metric resource) or create it first",
                )
            )
    return problems
