"""Reference checks any kind can use at preview: one ``Problem`` per object that is missing.

Each looks its object up through ``CachedLookups`` (one GET per distinct read per provider
host) and answers the problem to report, or None; an object this program declares
(``Context.declared_here``) is not missing, though it does not exist yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ...config import Settings
from ...errors import ForbiddenError, NotFoundError, Problem
from ..lookups import CachedLookups


def found(lookup: Callable[..., Any], *args: str) -> Any | None:
    """``lookup(*args)``, or None for a 404."""
    try:
        return lookup(*args)
    except NotFoundError:
        return None


def quoted(values: Iterable[Any]) -> str:
    shown = [repr(v) for v in values]
    return ", ".join(shown) if shown else "none"


def project_problem(lookups: CachedLookups, project: str) -> Problem | None:
    """The project must exist (its experimentation settings are the cheapest read of it)."""
    if found(lookups.get_experimentation_settings, project) is None:
        return Problem("projectKey", f"project {project!r} not found (or the token cannot see it)")
    return None


def environment_problem(lookups: CachedLookups, project: str, environment: str) -> Problem | None:
    """The environment must exist (one page of its experiments is the spec's cheapest read)."""
    if found(lookups.list_experiments, project, environment) is None:
        return Problem(
            "environmentKey", f"environment {environment!r} not found in project {project!r}"
        )
    return None


def randomization_units(lookups: CachedLookups, project: str) -> list[str]:
    """The project's randomization units (its experimentation settings)."""
    settings = found(lookups.get_experimentation_settings, project)
    units = settings.get("randomizationUnits") if isinstance(settings, dict) else None
    return [str(u.get("randomizationUnit")) for u in units or [] if isinstance(u, dict)]


def metric_problem(
    lookups: CachedLookups,
    declared_here: Callable[[str, str], bool],
    project: str,
    key: str,
    *,
    is_group: bool,
) -> str | None:
    """What is wrong with a reference to a metric (or, ``is_group``, a metric group) of the
    project, or None: it exists, or this program declares it. A key of the other kind says
    how to set ``isGroup``."""
    kind, noun = ("MetricGroup", "metric group") if is_group else ("Metric", "metric")
    lookup = lookups.get_metric_group if is_group else lookups.get_metric
    if declared_here(kind, f"{project}/{key}") or found(lookup, project, key) is not None:
        return None
    other = lookups.get_metric if is_group else lookups.get_metric_group
    hint = ""
    if found(other, project, key) is not None:
        hint = (
            "; it is a metric: set isGroup false"
            if is_group
            else "; it is a metric group: set isGroup true"
        )
    return f"{noun} {key!r} not found in project {project!r}{hint}"


def maintainer_problems(
    props: Mapping[str, Any], lookups: CachedLookups, settings: Settings, *, noun: str = ""
) -> list[Problem]:
    """The maintainer (declared, else the provider's setting) is a member. With ``noun`` (a
    kind LaunchDarkly cannot create without a maintainer), none given needs a token with a member
    behind it: a service token has none (``/members/me`` is a 404)."""
    maintainer = props.get("maintainerId", settings.maintainer_id)
    if not isinstance(maintainer, str) and not noun:
        return []
    try:
        lookups.get_member(maintainer if isinstance(maintainer, str) else "me")
    except ForbiddenError:
        return []  # a token without access to members: nothing to tell either way
    except NotFoundError:
        if not isinstance(maintainer, str):
            return [Problem("maintainerId", service_token_message(settings, noun))]
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


def service_token_message(settings: Settings, noun: str) -> str:
    """Why a ``noun`` needs a maintainer here, and both places to set one."""
    return (
        "the access token is a service token (no member behind it), and LaunchDarkly needs a "
        f"maintainer for each {noun} it creates with one: set maintainerId on the {noun} or the "
        f"provider setting {settings.where_to_set('maintainer_id')} to a member id"
    )
