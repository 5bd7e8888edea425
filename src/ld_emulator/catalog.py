"""The fixtures: what the emulator serves but its API cannot change, and the seed of what it can.

A :class:`Catalog` is loaded from ``fixtures.json`` (next to the code) or a user's file of the
same shape: projects and their environments, the account's members (read-only: rendered here),
and the **seed** of the documents the store keeps (:meth:`Catalog.seed_documents`): flags,
context kinds, experimentation settings (randomization units), metrics, metric groups and
holdouts. Once seeded, those live in SQLite and change through the API (:mod:`.targeting`,
:mod:`.objects`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import not_found

__all__ = ["DEFAULT_CREATED", "Catalog", "SeedDocument", "default_fixtures_text", "link"]

JSON = dict[str, Any]
#: (kind, project, environment, key, document): one document the store is seeded with.
SeedDocument = tuple[str, str, str, str, JSON]

#: ``creationDate`` of fixtures that do not give one.
DEFAULT_CREATED = 1700000000000


def link(href: str) -> JSON:
    return {"href": href, "type": "application/json"}


def default_fixtures_text() -> str:
    return resources.files(__package__).joinpath("fixtures.json").read_text(encoding="utf-8")


class Catalog:
    """Projects, environments and members (read-only), and the seed of the stored documents."""

    def __init__(self, data: JSON) -> None:
        try:
            self.member: JSON = dict(data["member"])
            self.members: dict[str, JSON] = {str(self.member["_id"]): self.member}
            for member in data.get("members", []):
                self.members.setdefault(str(member["_id"]), dict(member))
            for member in self.members.values():
                if not member.get("email"):
                    raise ValueError(f"member {member['_id']!r} has no email")
            self.projects: dict[str, JSON] = dict(data["projects"])
            for pkey, project in self.projects.items():
                if not project.get("environments"):
                    raise ValueError(f"project {pkey!r} has no environments")
                for name in ("flags", "metrics", "metricGroups", "holdouts"):
                    project.setdefault(name, {})
                project.setdefault(
                    "randomizationUnits", [{"randomizationUnit": "user", "default": True}]
                )
                for gkey, group in project["metricGroups"].items():
                    for item in group["metrics"]:
                        mkey = item["key"] if isinstance(item, dict) else item
                        if mkey not in project["metrics"]:
                            raise ValueError(f"metric group {gkey!r} names unknown metric {mkey!r}")
                for fkey, flag in project["flags"].items():
                    if not flag.get("variations"):
                        raise ValueError(f"flag {fkey!r} has no variations")
                for mkey, metric in project["metrics"].items():
                    for name in ("_id", "_versionId", "kind"):
                        if name not in metric:
                            raise ValueError(f"metric {mkey!r} has no {name}")
                for hkey, holdout in project["holdouts"].items():
                    if "_id" not in holdout:
                        raise ValueError(f"holdout {hkey!r} has no _id")
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed fixtures: {exc!r}") from exc

    @classmethod
    def load(cls, path: str | Path | None = None) -> Catalog:
        text = default_fixtures_text() if path is None else Path(path).read_text("utf-8")
        return cls(json.loads(text))

    @property
    def member_id(self) -> str:
        """The member behind every member token (the fixtures' ``member``)."""
        return str(self.member["_id"])

    def render_member(self, member_id: str) -> JSON:
        """The spec's ``Member`` of a known member."""
        member = self.members[member_id]
        rep = self.render_member_summary(member_id)
        created = int(member.get("creationDate", DEFAULT_CREATED))
        rep.update(
            {
                "_pendingInvite": False,
                "_verified": True,
                "customRoles": list(member.get("customRoles", [])),
                "mfa": str(member.get("mfa", "disabled")),
                "_lastSeen": int(member.get("_lastSeen", created)),
                "creationDate": created,
            }
        )
        return rep

    def render_member_summary(self, member_id: str) -> JSON:
        """The spec's ``MemberSummary`` of a known member."""
        member = self.members[member_id]
        rep: JSON = {"_links": {"self": link(f"/api/v2/members/{member_id}")}, "_id": member_id}
        for name in ("firstName", "lastName"):
            if name in member:
                rep[name] = member[name]
        rep["role"] = member.get("role", "reader")
        rep["email"] = member["email"]
        return rep

    # -- lookups ------------------------------------------------------------------------------

    def project(self, project: str) -> JSON:
        found = self.projects.get(project)
        if found is None:
            raise not_found(f"Project '{project}' not found")
        return found

    def environment(self, project: str, environment: str) -> JSON:
        found = self.project(project)["environments"].get(environment)
        if found is None:
            raise not_found(f"Environment '{environment}' not found in project '{project}'")
        return dict(found)

    def environment_keys(self, project: str) -> list[str]:
        return list(self.project(project)["environments"])

    # -- seeds of the stored documents --------------------------------------------------------

    def seed_documents(self) -> Iterator[SeedDocument]:
        """Every document the store starts with, in fixture order: per project its flags,
        context kinds, experimentation settings, metrics, metric groups and holdouts (one per
        environment)."""
        # each kind's document shape is its module's business
        from . import targeting
        from .documents import CONTEXT_KIND, HOLDOUT, METRIC, METRIC_GROUP, SETTINGS, SETTINGS_KEY
        from .objects import holdouts, metrics, settings

        for pkey, project in self.projects.items():
            environments = list(project["environments"])
            for fkey, flag in project["flags"].items():
                yield targeting.FLAG, pkey, "", fkey, targeting.seed_flag(fkey, flag, environments)
            for ckey, kind in settings.seed_context_kinds(project):
                yield CONTEXT_KIND, pkey, "", ckey, kind
            yield SETTINGS, pkey, "", SETTINGS_KEY, settings.seed_settings(project)
            unit = self.default_unit(pkey)
            for mkey, metric in project["metrics"].items():
                yield METRIC, pkey, "", mkey, metrics.seed_metric(mkey, metric, unit)
            for gkey, group in project["metricGroups"].items():
                doc = metrics.seed_group(gkey, group, project["metrics"], self.member_id)
                yield METRIC_GROUP, pkey, "", gkey, doc
            for hkey, holdout in project["holdouts"].items():
                doc = holdouts.seed_holdout(hkey, holdout, unit, self.member_id)
                for env in environments:
                    yield HOLDOUT, pkey, env, hkey, doc

    def default_unit(self, project: str) -> str:
        """The fixture project's default randomization unit (what seeded metrics allow)."""
        units = self.project(project)["randomizationUnits"]
        for unit in units:
            if unit.get("default"):
                return str(unit["randomizationUnit"])
        return str(units[0]["randomizationUnit"]) if units else "user"
