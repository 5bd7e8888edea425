"""Persistence for the emulator: experiments in SQLite, and the read-only fixture catalogue.

Experiments live in one table, one row per ``(project, environment, key)``, holding the
experiment document as JSON plus a ``version`` counter. Writers use compare-and-swap on that
counter (see :meth:`Store.compare_and_swap`), so two concurrent PATCHes can never both win: the
loser gets LaunchDarkly's 409 ``optimistic_locking_error``.

``path=None`` is a private in-memory database; a file path uses WAL journaling so that a stopped
and restarted emulator finds everything it had.

The :class:`Catalog` holds what the emulator cannot change (projects, environments, flags,
metrics, metric groups, holdouts, experimentation settings), loaded from ``fixtures.json`` or a
user-supplied file of the same shape, and renders those objects in the spec's response shapes.
"""

from __future__ import annotations

import builtins
import copy
import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_MESSAGE",
    "ApiError",
    "Catalog",
    "Query",
    "Store",
    "StoredExperiment",
    "facets",
    "shorten",
]

JSON = dict[str, Any]


#: Longest error message the emulator sends: a message may quote what the client sent, and
#: never grows with the size of the request.
MAX_MESSAGE = 1024


def shorten(text: str, limit: int) -> str:
    """``text`` cut after ``limit`` characters, saying how many were left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


class ApiError(Exception):
    """An error answer: HTTP status plus LaunchDarkly's ``{"code", "message"}`` body.

    The message is capped at :data:`MAX_MESSAGE` characters.
    """

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> JSON:
        return {"code": self.code, "message": shorten(self.message, MAX_MESSAGE)}


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_request", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


class StoredExperiment:
    """One row: the experiment document and its compare-and-swap version."""

    __slots__ = ("doc", "environment", "key", "project", "version")

    def __init__(self, project: str, environment: str, key: str, doc: JSON, version: int) -> None:
        self.project = project
        self.environment = environment
        self.key = key
        self.doc = doc
        self.version = version


_SCHEMA = """
CREATE TABLE IF NOT EXISTS experiments (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    project     TEXT    NOT NULL,
    environment TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    doc         TEXT    NOT NULL,
    UNIQUE (project, environment, key)
);
"""

#: Columns derived from the document on every write, so that a listing can filter, count and
#: page in SQL instead of loading every document: ``archived`` 0/1, ``holdout_id``, and the
#: statuses, flag keys and metric keys of **all** iterations (current, draft and previous), each
#: stored as ``<US>a<US>b<US>`` (US = unit separator) and matched with ``instr``.
_FACETS = (
    ("archived", "INTEGER NOT NULL DEFAULT 0"),
    ("holdout_id", "TEXT"),
    ("statuses", "TEXT NOT NULL DEFAULT ''"),
    ("flag_keys", "TEXT NOT NULL DEFAULT ''"),
    ("metric_keys", "TEXT NOT NULL DEFAULT ''"),
)
_INDEXES = """
CREATE INDEX IF NOT EXISTS experiments_listing
    ON experiments (project, environment, archived, seq);
CREATE INDEX IF NOT EXISTS experiments_any_env ON experiments (project, archived, seq);
"""
_SEP = "\x1f"
_FACET_NAMES = ", ".join(name for name, _ in _FACETS)
_FACET_ASSIGN = ", ".join(f"{name} = ?" for name, _ in _FACETS)


def _joined(values: Iterable[str]) -> str:
    unique = sorted(set(values))
    return _SEP + _SEP.join(unique) + _SEP if unique else ""


def facets(doc: JSON) -> tuple[int, str | None, str, str, str]:
    """The derived columns of one experiment document (tolerant of partial documents)."""
    iterations = [doc.get("current"), doc.get("draft"), *doc.get("previous", [])]
    present = [it for it in iterations if isinstance(it, dict)]
    statuses = _joined(str(it.get("status", "")) for it in present)
    flags = _joined(str(k) for it in present for k in it.get("flags", {}))
    metrics = _joined(
        str(m.get("key", ""))
        for it in present
        for m in it.get("metrics", [])
        if isinstance(m, dict)
    )
    holdout = doc.get("holdoutId")
    return (
        1 if "archivedDate" in doc else 0,
        None if holdout is None else str(holdout),
        statuses,
        flags,
        metrics,
    )


@dataclass(frozen=True)
class Query:
    """Which experiments a listing wants. Every list is an AND: each value must match."""

    project: str
    environment: str | None = None
    lifecycle_states: frozenset[str] = frozenset({"active"})
    statuses: tuple[str, ...] = ()
    flag_keys: tuple[str, ...] = ()
    metric_keys: tuple[str, ...] = ()
    holdout_id: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses = ["project = ?"]
        params: list[Any] = [self.project]
        if self.environment is not None:
            clauses.append("environment = ?")
            params.append(self.environment)
        archived = sorted({1 if s == "archived" else 0 for s in self.lifecycle_states})
        clauses.append(f"archived IN ({', '.join('?' * len(archived)) or 'NULL'})")
        params.extend(archived)
        for column, values in (
            ("statuses", self.statuses),
            ("flag_keys", self.flag_keys),
            ("metric_keys", self.metric_keys),
        ):
            for value in values:
                clauses.append(f"instr({column}, ?) > 0")
                params.append(_SEP + value + _SEP)
        if self.holdout_id is not None:
            clauses.append("holdout_id = ?")
            params.append(self.holdout_id)
        return " AND ".join(clauses), params


#: SQLite integers are 64-bit; larger offsets mean "past the end" anyway.
_MAX_OFFSET = 2**62


class Store:
    """Thread-safe SQLite store of experiment documents."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = None if path is None else str(path)
        self._lock = threading.Lock()
        target = ":memory:" if self.path is None else self.path
        self._conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        if self.path is not None:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._migrate()
        self._conn.executescript(_INDEXES)

    def _migrate(self) -> None:
        """Add the derived columns to a file written by an older emulator, and fill them."""
        have = {row[1] for row in self._conn.execute("PRAGMA table_info(experiments)")}
        missing = [(name, decl) for name, decl in _FACETS if name not in have]
        if not missing:
            return
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            for name, decl in missing:
                self._conn.execute(f"ALTER TABLE experiments ADD COLUMN {name} {decl}")
            rows = self._conn.execute("SELECT seq, doc FROM experiments").fetchall()
            for seq, doc in rows:
                self._conn.execute(
                    f"UPDATE experiments SET {_FACET_ASSIGN} WHERE seq = ?",
                    (*facets(json.loads(doc)), seq),
                )
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            if self.path is not None:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()

    def insert(self, project: str, environment: str, key: str, doc: JSON) -> StoredExperiment:
        """Add a new experiment; 409 ``conflict`` if the key is taken (archived or not)."""
        with self._lock:
            try:
                self._conn.execute(
                    "INSERT INTO experiments (project, environment, key, version, doc, "
                    f"{_FACET_NAMES}) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?)",
                    (project, environment, key, json.dumps(doc), *facets(doc)),
                )
            except sqlite3.IntegrityError:
                raise ApiError(
                    409,
                    "conflict",
                    f"An experiment with key '{key}' already exists in environment "
                    f"'{environment}' of project '{project}' (archived experiments keep their key)",
                ) from None
        return StoredExperiment(project, environment, key, copy.deepcopy(doc), 1)

    def get(self, project: str, environment: str, key: str) -> StoredExperiment | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT doc, version FROM experiments"
                " WHERE project = ? AND environment = ? AND key = ?",
                (project, environment, key),
            ).fetchone()
        if row is None:
            return None
        return StoredExperiment(project, environment, key, json.loads(row[0]), int(row[1]))

    def list(self, project: str, environment: str | None = None) -> list[StoredExperiment]:
        """All experiments of a project (optionally one environment), in creation order."""
        states = frozenset({"active", "archived"})
        return self.select(Query(project, environment, states), limit=None)[1]

    def select(
        self, query: Query, *, limit: int | None = None, offset: int = 0
    ) -> tuple[int, builtins.list[StoredExperiment]]:
        """``(total, page)``: how many experiments match, and those from ``offset`` on (at most
        ``limit``), in creation order. Only the page's documents are read and decoded."""
        where, params = query.where()
        offset = min(max(0, offset), _MAX_OFFSET)
        with self._lock:
            (total,) = self._conn.execute(
                f"SELECT count(*) FROM experiments WHERE {where}", params
            ).fetchone()
            rows = self._conn.execute(
                f"SELECT project, environment, key, doc, version FROM experiments WHERE {where}"
                " ORDER BY seq LIMIT ? OFFSET ?",
                [*params, -1 if limit is None else limit, offset],
            ).fetchall()
        page = [
            StoredExperiment(str(p), str(env), str(key), json.loads(doc), int(version))
            for p, env, key, doc, version in rows
        ]
        return int(total), page

    def compare_and_swap(
        self, project: str, environment: str, key: str, expected_version: int, doc: JSON
    ) -> int:
        """Write ``doc`` only if the row is still at ``expected_version``; return the new one."""
        with self._lock:
            cursor = self._conn.execute(
                f"UPDATE experiments SET doc = ?, version = version + 1, {_FACET_ASSIGN}"
                " WHERE project = ? AND environment = ? AND key = ? AND version = ?",
                (json.dumps(doc), *facets(doc), project, environment, key, expected_version),
            )
            changed = cursor.rowcount
        if changed != 1:
            raise ApiError(
                409,
                "optimistic_locking_error",
                f"Experiment '{key}' was changed by another request while this one was being "
                "applied; read it again and retry",
            )
        return expected_version + 1

    def wipe(self) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM experiments")


# --------------------------------------------------------------------------------------------
# Fixture catalogue
# --------------------------------------------------------------------------------------------


def _link(href: str) -> JSON:
    return {"href": href, "type": "application/json"}


def default_fixtures_text() -> str:
    return resources.files(__package__).joinpath("fixtures.json").read_text(encoding="utf-8")


class Catalog:
    """Read-only objects the experiments refer to, seeded from a fixtures file."""

    def __init__(self, data: JSON) -> None:
        try:
            self.member: JSON = dict(data["member"])
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
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed fixtures: {exc!r}") from exc

    @classmethod
    def load(cls, path: str | Path | None = None) -> Catalog:
        text = default_fixtures_text() if path is None else Path(path).read_text("utf-8")
        return cls(json.loads(text))

    @property
    def member_id(self) -> str:
        return str(self.member["_id"])

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

    def flag(self, project: str, key: str) -> JSON | None:
        found = self.project(project)["flags"].get(key)
        return None if found is None else dict(found)

    def flag_env_config(self, project: str, key: str, environment: str) -> JSON:
        flag = self.project(project)["flags"][key]
        config = dict(flag.get("config", {}))
        config.update(flag.get("environments", {}).get(environment, {}))
        config.setdefault("on", False)
        config.setdefault("archived", False)
        config.setdefault("version", 1)
        config.setdefault("rules", [])
        return config

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

    # -- renderings (spec response shapes) ----------------------------------------------------

    def render_flag(self, project: str, key: str, environment: str | None = None) -> JSON:
        flag = self.flag(project, key)
        if flag is None:
            raise not_found(f"Flag '{key}' not found in project '{project}'")
        created = int(flag.get("creationDate", 1700000000000))
        variations = [dict(v) for v in flag["variations"]]
        envs = self.project(project)["environments"]
        if environment is not None:
            self.environment(project, environment)
        wanted = [environment] if environment is not None else list(envs)
        environments: JSON = {}
        for env_key in wanted:
            cfg = self.flag_env_config(project, key, env_key)
            rules = []
            for rule in cfg["rules"]:
                rendered = {"clauses": [], "trackEvents": False, "disabled": False, "variation": 0}
                rendered.update(rule)
                rules.append(rendered)
            environments[env_key] = {
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
                "_environmentName": str(envs[env_key].get("name", env_key)),
                "trackEvents": False,
                "trackEventsFallthrough": False,
                "_summary": {"variations": {}, "prerequisites": 0},
            }
        return {
            "name": flag.get("name", key),
            "kind": flag.get("kind", "multivariate"),
            "key": key,
            "_version": int(flag.get("_version", 1)),
            "creationDate": created,
            "clientSideAvailability": {"usingMobileKey": False, "usingEnvironmentId": False},
            "variations": variations,
            "temporary": bool(flag.get("temporary", False)),
            "tags": list(flag.get("tags", [])),
            "_links": {
                "self": _link(f"/api/v2/flags/{project}/{key}"),
                "parent": _link(f"/api/v2/flags/{project}"),
            },
            "maintainerId": self.member_id,
            "customProperties": {},
            "archived": bool(flag.get("archived", False)),
            "deprecated": False,
            "experiments": {"baselineIdx": 0, "items": []},
            "defaults": {"onVariation": 0, "offVariation": len(variations) - 1},
            "environments": environments,
        }

    def _metric_links(self, project: str, key: str) -> JSON:
        return {"self": _link(f"/api/v2/metrics/{project}/{key}")}

    def _group_links(self, project: str, key: str) -> JSON:
        return {"self": _link(f"/api/v2/projects/{project}/metric-groups/{key}")}

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
        for extra in ("eventKey", "unitAggregationType", "analysisType"):
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
        rep.pop("analysisType", None)
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
            "_creationDate": int(metric.get("creationDate", 1700000000000)),
            "maintainerId": self.member_id,
            "isNumeric": bool(metric.get("isNumeric", False)),
            "dataSource": {"key": "launchdarkly"},
            "archived": False,
            "isActive": True,
            "analysisUnits": [self.default_randomization_unit(project)],
        }
        for extra in ("eventKey", "unitAggregationType", "analysisType", "selector", "unit"):
            if extra in metric:
                rep[extra] = metric[extra]
        return rep

    def render_metric_group(self, project: str, key: str) -> JSON:
        group = self.metric_group(project, key)
        if group is None:
            raise not_found(f"Metric group '{key}' not found in project '{project}'")
        created = int(group.get("creationDate", 1700000000000))
        return {
            "_id": group["_id"],
            "key": key,
            "name": group.get("name", key),
            "kind": group["kind"],
            "_links": self._group_links(project, key),
            "tags": list(group.get("tags", [])),
            "_creationDate": created,
            "_lastModified": created,
            "maintainer": {"key": self.member_id, "kind": "member"},
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
            "_creationDate": int(proj.get("creationDate", 1700000000000)),
            "_links": {"self": _link(f"/api/v2/projects/{project}/experimentation-settings")},
        }
