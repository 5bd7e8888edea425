"""A metric group's references, looked up at preview with a token: its project, its metrics
(unless this program declares them) and its maintainer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ....config import Settings
from ....errors import ForbiddenError, NotFoundError, Problem
from ...kind import Context
from ...lookups import CachedLookups


def check_references(props: Mapping[str, Any], context: Context) -> list[Problem]:
    """One problem per missing reference of a checked declaration (wire names)."""
    project = props.get("projectKey")
    if not isinstance(project, str):
        return []
    lookups = context.lookups()
    try:
        lookups.get_experimentation_settings(project)
    except NotFoundError:
        return [
            Problem("projectKey", f"project {project!r} not found (or the token cannot see it)")
        ]
    problems = _missing_metrics(props, project, context)
    problems += maintainer_problems(props, lookups, context.settings)
    return problems


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


def maintainer_problems(
    props: Mapping[str, Any], lookups: CachedLookups, settings: Settings
) -> list[Problem]:
    """The maintainer (declared, else the provider's setting) is a member; without either, the
    token has a member behind it (a service token has none: ``/members/me`` is a 404)."""
    maintainer = props.get("maintainerId", settings.maintainer_id)
    try:
        lookups.get_member(maintainer if isinstance(maintainer, str) else "me")
    except ForbiddenError:
        return []  # a token without access to members: nothing to tell either way
    except NotFoundError:
        if not isinstance(maintainer, str):
            return [Problem("maintainerId", service_token_message(settings))]
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
    return []


def service_token_message(settings: Settings) -> str:
    """Why a metric group needs a maintainer here, and both places to set one."""
    return (
        "the access token is a service token (no member behind it), and LaunchDarkly needs a "
        "maintainer for each metric group: set maintainerId on the metric group or the provider "
        f"setting {settings.where_to_set('maintainer_id')} to a member id"
    )
