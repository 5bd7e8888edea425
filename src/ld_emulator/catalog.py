"""The fixtures: what the emulator serves but its API cannot change.

A :class:`Catalog` is loaded from ``fixtures.json`` (next to the code) or a user's file of the
same shape: projects and their environments, randomization units, metrics, metric groups and
holdouts, the account's member. It renders those objects in the spec's response shapes.

Flags are in the fixtures too, but only as the **seed** of the flag documents the store keeps
(:meth:`Catalog.seed_documents`): once seeded, a flag lives in SQLite and changes through the
API (see :mod:`.targeting`). The next kinds to become writable (metrics, metric groups,
holdouts, layers, experimentation settings) move the same way: a seed here, a document kind in
:class:`~.store.Store`.
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
    """Read-only objects the experiments refer to, and the seed of the stored documents."""

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
                    for mkey in group["metrics"]:
                        if mkey not in project["metrics"]:
                            raise ValueError(f"metric group {gkey!r} names unknown metric {mkey!r}")
                for fkey, flag in project["flags"].items():
                    if not flag.get("variations"):
                        raise ValueError(f"flag {fkey!r} has no variations")
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

    def metric(self, project: str, key: str) -> JSON | None:
        found = self.project(project)["metrics"].get(key)
        return None if found is None else dict(found)

    def metric_group(self, project: str, key: str) -> JSON | None:
        found = self.project(project)["metricGroups"].get(key)
        return None if found is None else dict(found)

    def holdouts(self, project: str, environment: str) -> dict[str, JSON]:
        self.environment(project, environment)
        return {k: dict(v) for k, v in self.project(project)["holdouts"].items()}

    def holdout_key_by_id(self, project: str, environment: str, holdout_id: str) -> str | None:
        for key, holdout in self.holdouts(project, environment).items():
            if holdout["_id"] == holdout_id:
                return key
        return None

    def randomization_units(self, project: str) -> list[JSON]:
        return [dict(u) for u in self.project(project)["randomizationUnits"]]

    def default_randomization_unit(self, project: str) -> str:
        units = self.randomization_units(project)
        for unit in units:
            if unit.get("default"):
                return str(unit["randomizationUnit"])
        return str(units[0]["randomizationUnit"]) if units else "user"

    # -- seeds of the stored documents --------------------------------------------------------

    def seed_documents(self) -> Iterator[SeedDocument]:
        """Every document the store starts with, in fixture order (flags, for now)."""
        from . import targeting  # the flag document shape is targeting's business

        for pkey, project in self.projects.items():
            for fkey, flag in project["flags"].items():
                doc = targeting.seed_flag(fkey, flag, list(project["environments"]))
                yield targeting.FLAG, pkey, "", fkey, doc

    # -- renderings (spec response shapes) ----------------------------------------------------

    def _metric_links(self, project: str, key: str) -> JSON:
        return {"self": link(f"/api/v2/metrics/{project}/{key}")}

    def _group_links(self, project: str, key: str) -> JSON:
        return {"self": link(f"/api/v2/projects/{project}/metric-groups/{key}")}

    def metric_v2_rep(self, project: str, key: str) -> JSON:
        metric = self.metric(project, key)
        assert metric is not None
        rep: JSON = {
            "key": key,
            "_versionId": metric["_versionId"],
            "name": metric.get("name", key),
            "kind": metric["kind"],
            "isNumeric": bool(metric.get("isNumeric", False)),
            "_links": self._metric_links(project, key),
        }
        for extra in ("eventKey", "unitAggregationType"):
            if extra in metric:
                rep[extra] = metric[extra]
        return rep

    def metric_in_group_rep(self, project: str, key: str) -> JSON:
        rep = self.metric_v2_rep(project, key)
        rep["nameInGroup"] = rep["name"]
        return rep

    def group_with_metrics_rep(self, project: str, key: str) -> JSON:
        group = self.metric_group(project, key)
        assert group is not None
        return {
            "key": key,
            "name": group.get("name", key),
            "kind": group["kind"],
            "_links": self._group_links(project, key),
            "metrics": [self.metric_in_group_rep(project, m) for m in group["metrics"]],
        }

    def dependent_metric_rep(self, project: str, key: str, is_group: bool) -> JSON:
        """``DependentMetricOrMetricGroupRep`` for one entry of an iteration's metrics."""
        if is_group:
            group = self.metric_group(project, key)
            assert group is not None
            rep = self.group_with_metrics_rep(project, key)
            rep["_versionId"] = group["_id"]
            rep["isGroup"] = True
            return rep
        rep = self.metric_v2_rep(project, key)
        rep.pop("unitAggregationType", None)
        rep["isGroup"] = False
        return rep

    def render_metric(self, project: str, key: str) -> JSON:
        metric = self.metric(project, key)
        if metric is None:
            raise not_found(f"Metric '{key}' not found in project '{project}'")
        rep: JSON = {
            "_id": metric["_id"],
            "_versionId": metric["_versionId"],
            "_version": int(metric.get("_version", 1)),
            "key": key,
            "name": metric.get("name", key),
            "kind": metric["kind"],
            "_links": self._metric_links(project, key),
            "_site": {"href": f"/{project}/metrics/{key}", "type": "text/html"},
            "tags": list(metric.get("tags", [])),
            "_creationDate": int(metric.get("creationDate", DEFAULT_CREATED)),
            "maintainerId": self.member_id,
            "isNumeric": bool(metric.get("isNumeric", False)),
            "dataSource": {"key": "launchdarkly"},
            "archived": False,
            "isActive": True,
            "randomizationUnits": [self.default_randomization_unit(project)],
        }
        for extra in ("eventKey", "unitAggregationType", "selector", "unit"):
            if extra in metric:
                rep[extra] = metric[extra]
        return rep

    def render_metric_group(self, project: str, key: str) -> JSON:
        group = self.metric_group(project, key)
        if group is None:
            raise not_found(f"Metric group '{key}' not found in project '{project}'")
        created = int(group.get("creationDate", DEFAULT_CREATED))
        return {
            "_id": group["_id"],
            "key": key,
            "name": group.get("name", key),
            "kind": group["kind"],
            "_links": self._group_links(project, key),
            "tags": list(group.get("tags", [])),
            "_creationDate": created,
            "_lastModified": created,
            "maintainer": {"member": self.render_member_summary(self.member_id)},
            "metrics": [self.metric_in_group_rep(project, m) for m in group["metrics"]],
            "_version": int(group.get("_version", 1)),
        }

    def render_settings(self, project: str) -> JSON:
        proj = self.project(project)
        units = []
        for unit in self.randomization_units(project):
            units.append(
                {
                    "randomizationUnit": unit["randomizationUnit"],
                    "default": bool(unit.get("default", False)),
                    "_hidden": bool(unit.get("_hidden", False)),
                    "_displayName": unit.get("_displayName", unit["randomizationUnit"]),
                }
            )
        return {
            "_projectId": proj.get("_id", project),
            "_projectKey": project,
            "randomizationUnits": units,
            "_creationDate": int(proj.get("creationDate", DEFAULT_CREATED)),
            "_links": {"self": link(f"/api/v2/projects/{project}/experimentation-settings")},
        }
