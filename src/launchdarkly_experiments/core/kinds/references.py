"""References any kind may look up at preview (with a token): its project and its maintainer.

Each check answers one ``Problem`` per missing object, naming the property; the lookups are
``CachedLookups``' (one GET per distinct read per provider host).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...config import Settings
from ...errors import ForbiddenError, NotFoundError, Problem
from ..lookups import CachedLookups


def project_problems(project: str, lookups: CachedLookups) -> list[Problem]:
    """The project exists (its experimentation settings are the cheapest read of it)."""
    try:
        lookups.get_experimentation_settings(project)
    except NotFoundError:
        return [
            Problem("projectKey", f"project {project!r} not found (or the token cannot see it)")
        ]
    return []


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
        f"maintainer for each {noun}: set maintainerId on the {noun} or the provider setting "
        f"{settings.where_to_set('maintainer_id')} to a member id"
    )
