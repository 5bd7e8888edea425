"""The Layer's references, checked at preview with a token: its project, and each reserved
experiment in its environment (or declared by this program: ``Context.declared_here``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ....errors import Problem
from ...kind import Context
from ..checks import environment_problem, found, project_problem


def check_references(props: Mapping[str, Any], context: Context) -> list[Problem]:
    project = str(props["projectKey"])
    lookups = context.lookups()
    missing = project_problem(lookups, project)
    if missing is not None:
        return [missing]
    problems: list[Problem] = []
    environments: dict[str, bool] = {}
    for index, item in enumerate(props.get("reservations") or []):
        environment, experiment = str(item["environmentKey"]), str(item["experimentKey"])
        if environment not in environments:
            problem = environment_problem(lookups, project, environment)
            environments[environment] = problem is None
            if problem is not None:
                problems.append(Problem(f"reservations[{index}].environmentKey", problem.message))
        if not environments[environment]:
            continue
        if context.declared_here("Experiment", f"{project}/{environment}/{experiment}"):
            continue
        live = found(lookups.get_experiment, project, environment, experiment)
        if live is None:
            problems.append(
                Problem(
                    f"reservations[{index}].experimentKey",
                    f"experiment {experiment!r} not found in {project}/{environment} (a "
                    "reservation names an existing experiment, or one this program declares)",
                )
            )
        elif item["reservationPercent"] == 0 and _status(live) not in (None, "not_started"):
            problems.append(
                Problem(
                    f"reservations[{index}].reservationPercent",
                    f"0 is allowed only until the experiment starts, and {experiment!r} is "
                    f"{_status(live)} in {environment}; reserve a share above 0",
                )
            )
    return problems


def _status(experiment: Any) -> str | None:
    current = experiment.get("currentIteration") if isinstance(experiment, dict) else None
    status = current.get("status") if isinstance(current, dict) else None
    return str(status) if status is not None else None
