"""Flag documents: how a flag is stored, seeded from the fixtures, and rendered.

A flag is one document of kind :data:`FLAG` in the store (project-level, so its environment
column is empty), holding the flag's own fields and, per environment, its targeting::

    {"key", "name", "kind", "creationDate", "variations", "tags", "temporary", "archived",
     "_version",
     "environments": {<env>: {"on", "archived", "version", "rules": [...]}}}
"""

from __future__ import annotations

import copy
from typing import Any

from .catalog import DEFAULT_CREATED, link
from .errors import not_found

__all__ = ["FLAG", "env_config", "render_flag", "seed_flag"]

JSON = dict[str, Any]

#: The store's document kind for flags.
FLAG = "flag"


def seed_flag(key: str, fixture: JSON, environments: list[str]) -> JSON:
    """The stored document of a fixture flag: ``config`` shared by every environment,
    ``environments.<env>`` overriding it."""
    doc: JSON = {
        "key": key,
        "name": fixture.get("name", key),
        "kind": fixture.get("kind", "multivariate"),
        "creationDate": int(fixture.get("creationDate", DEFAULT_CREATED)),
        "variations": copy.deepcopy(fixture["variations"]),
        "tags": list(fixture.get("tags", [])),
        "temporary": bool(fixture.get("temporary", False)),
        "archived": bool(fixture.get("archived", False)),
        "_version": int(fixture.get("_version", 1)),
        "environments": {},
    }
    overrides = fixture.get("environments", {})
    for env in environments:
        config = copy.deepcopy(fixture.get("config", {}))
        config.update(copy.deepcopy(overrides.get(env, {})))
        doc["environments"][env] = {
            "on": bool(config.get("on", False)),
            "archived": bool(config.get("archived", False)),
            "version": int(config.get("version", 1)),
            "rules": list(config.get("rules", [])),
        }
    return doc


def env_config(flag: JSON, environment: str) -> JSON:
    """The flag's targeting in ``environment`` (an environment the project has)."""
    config: JSON = flag["environments"][environment]
    return config


def render_flag(
    project: str,
    flag: JSON,
    environments: dict[str, JSON],
    member_id: str,
    environment: str | None = None,
) -> JSON:
    """The spec's ``FeatureFlag``; ``environment`` narrows ``environments`` to one."""
    key = flag["key"]
    created = int(flag["creationDate"])
    variations = [dict(v) for v in flag["variations"]]
    if environment is not None and environment not in environments:
        raise not_found(f"Environment '{environment}' not found in project '{project}'")
    wanted = [environment] if environment is not None else list(environments)
    rendered: JSON = {}
    for env_key in wanted:
        cfg = env_config(flag, env_key)
        rules = []
        for rule in cfg["rules"]:
            shown = {"clauses": [], "trackEvents": False, "disabled": False, "variation": 0}
            shown.update(rule)
            rules.append(shown)
        rendered[env_key] = {
            "on": bool(cfg["on"]),
            "archived": bool(cfg["archived"]),
            "salt": f"{key}-{env_key}-salt",
            "sel": f"{key}{env_key}sel",
            "lastModified": created,
            "version": int(cfg["version"]),
            "targets": [],
            "contextTargets": [],
            "rules": rules,
            "fallthrough": {"variation": 0},
            "offVariation": len(variations) - 1,
            "prerequisites": [],
            "_site": {"href": f"/{project}/{env_key}/features/{key}", "type": "text/html"},
            "_environmentName": str(environments[env_key].get("name", env_key)),
            "trackEvents": False,
            "trackEventsFallthrough": False,
            "_summary": {"variations": {}, "prerequisites": 0},
        }
    return {
        "name": flag["name"],
        "kind": flag["kind"],
        "key": key,
        "_version": int(flag["_version"]),
        "creationDate": created,
        "clientSideAvailability": {"usingMobileKey": False, "usingEnvironmentId": False},
        "variations": variations,
        "temporary": bool(flag["temporary"]),
        "tags": list(flag["tags"]),
        "_links": {
            "self": link(f"/api/v2/flags/{project}/{key}"),
            "parent": link(f"/api/v2/flags/{project}"),
        },
        "maintainerId": member_id,
        "customProperties": {},
        "archived": bool(flag["archived"]),
        "deprecated": False,
        "experiments": {"baselineIdx": 0, "items": []},
        "defaults": {"onVariation": 0, "offVariation": len(variations) - 1},
        "environments": rendered,
    }
