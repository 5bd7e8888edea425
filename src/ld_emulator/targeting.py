"""Flag documents: how a flag is stored, seeded from the fixtures, and rendered.

A flag is one document of kind :data:`FLAG` in the store (project-level, so its environment
column is empty). It holds the flag's own fields and, per environment, the targeting as
LaunchDarkly renders it::

    {"key", "name", "kind", "creationDate", "variations", "tags", "temporary", "archived",
     "_version",                                  # the flag's own version
     "environments": {<env>: {
         "on", "archived", "_version",            # _version: the environment's targeting version
         "lastModified", "offVariation",
         "fallthrough": {"variation": i} | {"rollout": {...}},
         "rules": [{"_id", "description"?, "clauses", "trackEvents",
                    "variation": i | "rollout": {...}}],
         "holds": {<"fallthrough" | rule _id>: {"experimentKey", "iterationId", "previous"}}}}}

``holds`` is the emulator's own bookkeeping (never rendered): which running experiment serves
on a rule, and what the rule served before it started. ``_version`` of an environment is what
an experiment's ``flagConfigVersion`` means (verified live); it increments with every accepted
change of that environment's targeting (see :func:`bump`).
"""

from __future__ import annotations

import copy
from typing import Any

from .catalog import DEFAULT_CREATED, link
from .errors import not_found

__all__ = [
    "FALLTHROUGH",
    "FLAG",
    "bump",
    "env_config",
    "find_rule",
    "render_flag",
    "rule_label",
    "seed_flag",
    "serving",
    "set_serving",
    "variation_index",
]

JSON = dict[str, Any]

#: The store's document kind for flags.
FLAG = "flag"
#: The ``ruleId`` that names a flag's default rule.
FALLTHROUGH = "fallthrough"


def seed_flag(key: str, fixture: JSON, environments: list[str]) -> JSON:
    """The stored document of a fixture flag: ``config`` shared by every environment,
    ``environments.<env>`` overriding it. A fixture's ``version`` (or ``_version``) is the
    environment's targeting version."""
    variations = copy.deepcopy(fixture["variations"])
    created = int(fixture.get("creationDate", DEFAULT_CREATED))
    doc: JSON = {
        "key": key,
        "name": fixture.get("name", key),
        "kind": fixture.get("kind", "multivariate"),
        "creationDate": created,
        "variations": variations,
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
        rules = []
        for rule in config.get("rules", []):
            shown: JSON = {"clauses": [], "trackEvents": False}
            shown.update(rule)
            if "variation" not in shown and "rollout" not in shown:
                shown["variation"] = 0
            rules.append(shown)
        doc["environments"][env] = {
            "on": bool(config.get("on", False)),
            "archived": bool(config.get("archived", False)),
            "_version": int(config.get("_version", config.get("version", 1))),
            "lastModified": int(config.get("lastModified", created)),
            "offVariation": int(config.get("offVariation", len(variations) - 1)),
            "fallthrough": copy.deepcopy(config.get("fallthrough", {"variation": 0})),
            "rules": rules,
            "holds": {},
        }
    return doc


def env_config(flag: JSON, environment: str) -> JSON:
    """The flag's targeting in ``environment`` (an environment the project has)."""
    config: JSON = flag["environments"][environment]
    return config


def find_rule(config: JSON, rule_id: str) -> JSON | None:
    for rule in config["rules"]:
        if rule.get("_id") == rule_id:
            found: JSON = rule
            return found
    return None


def rule_label(config: JSON, rule_ref: str) -> str:
    """How a message names a rule: ``the default rule (fallthrough)`` or its description."""
    if rule_ref == FALLTHROUGH:
        return "the default rule (fallthrough)"
    rule = find_rule(config, rule_ref)
    description = None if rule is None else rule.get("description")
    return f"rule '{description}' ({rule_ref})" if description else f"rule {rule_ref}"


def serving(config: JSON, rule_ref: str) -> JSON:
    """What a rule (or the fallthrough) serves: ``{"variation": i}`` or ``{"rollout": ...}``."""
    target = config["fallthrough"] if rule_ref == FALLTHROUGH else find_rule(config, rule_ref)
    if target is None:
        return {}
    return {k: copy.deepcopy(target[k]) for k in ("variation", "rollout") if k in target}


def set_serving(config: JSON, rule_ref: str, value: JSON) -> bool:
    """Make a rule (or the fallthrough) serve ``value``; whether that changed anything."""
    target = config["fallthrough"] if rule_ref == FALLTHROUGH else find_rule(config, rule_ref)
    if target is None or serving(config, rule_ref) == value:
        return False
    target.pop("variation", None)
    target.pop("rollout", None)
    target.update(copy.deepcopy(value))
    return True


def variation_index(flag: JSON, variation_id: str) -> int | None:
    for index, variation in enumerate(flag["variations"]):
        if variation.get("_id") == variation_id:
            return index
    return None


def bump(flag: JSON, environment: str, now: int) -> None:
    """Count one accepted change of ``environment``'s targeting: its ``_version`` and the
    flag's own ``_version`` increment."""
    config = env_config(flag, environment)
    config["_version"] = int(config["_version"]) + 1
    config["lastModified"] = now
    flag["_version"] = int(flag["_version"]) + 1


def render_flag(
    project: str,
    flag: JSON,
    environments: dict[str, JSON],
    member_id: str,
    environment: str | None = None,
    *,
    version_is_flag_version: bool = False,
) -> JSON:
    """The spec's ``FeatureFlag``; ``environment`` narrows ``environments`` to one.

    Each environment carries ``_version`` (its targeting version) and the spec's required
    ``version``: the same number, or with ``version_is_flag_version`` (strict point
    ``env-version-is-flag-version``) the flag's own ``_version``.
    """
    key = flag["key"]
    created = int(flag["creationDate"])
    variations = [dict(v) for v in flag["variations"]]
    if environment is not None and environment not in environments:
        raise not_found(f"Environment '{environment}' not found in project '{project}'")
    wanted = [environment] if environment is not None else list(environments)
    rendered: JSON = {}
    for env_key in wanted:
        cfg = env_config(flag, env_key)
        version = int(flag["_version"]) if version_is_flag_version else int(cfg["_version"])
        rendered[env_key] = {
            "on": bool(cfg["on"]),
            "archived": bool(cfg["archived"]),
            "salt": f"{key}-{env_key}-salt",
            "sel": f"{key}{env_key}sel",
            "lastModified": int(cfg["lastModified"]),
            "version": version,
            "_version": int(cfg["_version"]),
            "targets": [],
            "contextTargets": [],
            "rules": copy.deepcopy(cfg["rules"]),
            "fallthrough": copy.deepcopy(cfg["fallthrough"]),
            "offVariation": int(cfg["offVariation"]),
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
