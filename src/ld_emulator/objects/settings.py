"""Context kinds and a project's experimentation settings (its randomization units).

Context kind document (one per key, project-level)::

    {"key", "name", "description", "version", "creationDate", "lastModified", "createdFrom",
     "archived"}

Settings document (one per project, key :data:`~..documents.SETTINGS_KEY`)::

    {"randomizationUnits": [{"randomizationUnit", "default", "_displayName"?}],
     "creationDate"}

The spec settles what a unit is: "The unit of randomization. Must match the key of an existing
context kind in this project", and "A project can only have one default randomization unit".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import spec
from ..catalog import DEFAULT_CREATED, link
from ..documents import CONTEXT_KIND, SETTINGS, SETTINGS_KEY, Documents
from ..errors import invalid, shorten
from .keys import check_key

__all__ = [
    "context_kind_keys",
    "context_kind_path",
    "current_settings",
    "default_unit",
    "put_units",
    "render_context_kind",
    "render_settings",
    "seed_context_kinds",
    "seed_settings",
    "unit_keys",
    "upsert_context_kind",
]

JSON = dict[str, Any]

#: The context kind every project has (LaunchDarkly creates it; ``createdFrom: default``).
USER = "user"


# -- seeds ---------------------------------------------------------------------------------------


def seed_context_kinds(project: JSON) -> list[tuple[str, JSON]]:
    """A fixture project's context kinds: its ``contextKinds`` (key -> ``name``,
    ``description``, ``archived``), or else ``user`` plus every randomization unit's key."""
    created = int(project.get("creationDate", DEFAULT_CREATED))
    given: dict[str, JSON] = dict(project.get("contextKinds") or {})
    if not given:
        given[USER] = {"name": "User"}
        for unit in project["randomizationUnits"]:
            key = str(unit["randomizationUnit"])
            given.setdefault(key, {"name": unit.get("_displayName", key)})
    kinds = []
    for key, fixture in given.items():
        kinds.append(
            (
                key,
                {
                    "key": key,
                    "name": str(fixture.get("name", key)),
                    "description": str(fixture.get("description", "")),
                    "version": int(fixture.get("version", 1)),
                    "creationDate": created,
                    "lastModified": created,
                    "createdFrom": "default" if key == USER else "manual",
                    "archived": bool(fixture.get("archived", False)),
                },
            )
        )
    return kinds


def seed_settings(project: JSON) -> JSON:
    units = []
    for unit in project["randomizationUnits"]:
        item: JSON = {
            "randomizationUnit": str(unit["randomizationUnit"]),
            "default": bool(unit.get("default", False)),
        }
        if "_displayName" in unit:
            item["_displayName"] = str(unit["_displayName"])
        units.append(item)
    return {
        "randomizationUnits": units,
        "creationDate": int(project.get("creationDate", DEFAULT_CREATED)),
    }


# -- lookups -------------------------------------------------------------------------------------


def context_kind_keys(docs: Documents) -> list[str]:
    return [str(kind["key"]) for kind in docs.all(CONTEXT_KIND)]


def current_settings(docs: Documents) -> JSON:
    """The project's settings document."""
    return docs.get(SETTINGS, SETTINGS_KEY) or {"randomizationUnits": []}


def unit_keys(docs: Documents) -> list[str]:
    """The project's randomization units, in their order."""
    return [str(u["randomizationUnit"]) for u in current_settings(docs)["randomizationUnits"]]


def default_unit(docs: Documents) -> str:
    """The default randomization unit: the one marked default, else the first, else ``user``."""
    units = current_settings(docs)["randomizationUnits"]
    for unit in units:
        if unit.get("default"):
            return str(unit["randomizationUnit"])
    return str(units[0]["randomizationUnit"]) if units else USER


# -- experimentation settings ----------------------------------------------------------------------


def put_units(docs: Documents, body: Any, clock: Callable[[], int]) -> JSON:
    """Validate a ``RandomizationSettingsPut`` and build the settings document it makes: the
    units it lists replace the project's. ``standardRandomizationUnit`` (deprecated) is
    accepted and ignored. When no unit says ``default``, the first one is the default."""
    problem = spec.validation_problem("RandomizationSettingsPut", body)
    if problem is not None:
        raise invalid(problem.message)
    kinds = context_kind_keys(docs)
    units: list[JSON] = []
    seen: set[str] = set()
    for index, unit in enumerate(body["randomizationUnits"]):
        where = f"randomizationUnits[{index}].randomizationUnit"
        key = unit["randomizationUnit"]
        if key not in kinds:
            raise invalid(
                f"field '{where}': '{shorten(key, 80)}' is not the key of a context kind of this "
                f"project (context kinds: {', '.join(kinds) or 'none'}; PUT "
                f".../context-kinds/{{key}} creates one)"
            )
        if key in seen:
            raise invalid(f"field '{where}': '{shorten(key, 80)}' is listed twice")
        seen.add(key)
        units.append({"randomizationUnit": key, "default": bool(unit.get("default", False))})
    if not units:
        raise invalid("field 'randomizationUnits' must list at least one randomization unit")
    defaults = [u["randomizationUnit"] for u in units if u["default"]]
    if len(defaults) > 1:
        raise invalid(
            "field 'randomizationUnits': a project can only have one default randomization unit "
            f"(default: {', '.join(defaults)})"
        )
    if not defaults:
        units[0]["default"] = True
    created = current_settings(docs).get("creationDate", clock())
    return {"randomizationUnits": units, "creationDate": int(created)}


def render_settings(project: str, project_id: str, settings: JSON, docs: Documents) -> JSON:
    """The spec's ``RandomizationSettingsRep`` of a settings document."""
    units = []
    for unit in settings["randomizationUnits"]:
        key = str(unit["randomizationUnit"])
        kind = docs.live(CONTEXT_KIND, key)
        shown = unit.get("_displayName") or (kind["name"] if kind else key)
        units.append(
            {
                "randomizationUnit": key,
                "default": bool(unit.get("default", False)),
                "_hidden": False,
                "_displayName": str(shown),
            }
        )
    return {
        "_projectId": project_id,
        "_projectKey": project,
        "randomizationUnits": units,
        "_creationDate": int(settings.get("creationDate", DEFAULT_CREATED)),
        "_links": {"self": link(f"/api/v2/projects/{project}/experimentation-settings")},
    }


# -- context kinds ---------------------------------------------------------------------------------


def context_kind_path(project: str, key: str) -> str:
    return f"/api/v2/projects/{project}/context-kinds/{key}"


def render_context_kind(project: str, doc: JSON) -> JSON:
    """The spec's ``ContextKindRep``."""
    return {
        "key": doc["key"],
        "name": doc["name"],
        "description": doc["description"],
        "version": int(doc["version"]),
        "creationDate": int(doc["creationDate"]),
        "lastModified": int(doc["lastModified"]),
        "createdFrom": doc["createdFrom"],
        "hideInTargeting": bool(doc["archived"]),
        "archived": bool(doc["archived"]),
        "_links": {
            "self": link(context_kind_path(project, doc["key"])),
            "parent": link(f"/api/v2/projects/{project}/context-kinds"),
        },
    }


def upsert_context_kind(key: str, existing: JSON | None, body: Any, now: int) -> JSON:
    """Validate an ``UpsertContextKindPayload`` and apply it: "Only the included fields will be
    updated". ``hideInTargeting`` is an alias of ``archived`` (both given must agree).
    ``version``: as given, else 1 for a new kind and one more for an update."""
    problem = spec.validation_problem("UpsertContextKindPayload", body)
    if problem is not None:
        raise invalid(problem.message)
    check_key(key, "context kind key")
    if not body["name"].strip():
        raise invalid("field 'name' must not be empty")
    hide, archived = body.get("hideInTargeting"), body.get("archived")
    if hide is not None and archived is not None and hide != archived:
        raise invalid("fields 'hideInTargeting' and 'archived' are aliases and must agree")
    if existing is None:
        doc: JSON = {
            "key": key,
            "name": body["name"],
            "description": "",
            "version": 1,
            "creationDate": now,
            "lastModified": now,
            "createdFrom": "manual",
            "archived": False,
        }
        version = body.get("version", 1)
    else:
        doc = dict(existing)
        doc["name"] = body["name"]
        version = body.get("version", int(existing["version"]) + 1)
    if version < 1:
        raise invalid("field 'version' must be a positive integer")
    if "description" in body:
        doc["description"] = body["description"]
    flag = archived if archived is not None else hide
    if flag is not None:
        doc["archived"] = bool(flag)
    if (
        existing is not None
        and {k: v for k, v in doc.items() if k != "version"}
        == {k: v for k, v in existing.items() if k != "version"}
        and "version" not in body
    ):
        return existing
    doc["version"] = int(version)
    doc["lastModified"] = now
    return doc
