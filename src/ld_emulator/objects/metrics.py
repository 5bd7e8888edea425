"""Metrics and metric groups: stored documents, their rules, their renderings.

Metric document (project-level, key = the metric key)::

    {"_id", "_versionId", "_version", "key", "creationDate", "lastModified",
     <the MetricPost fields given: name, description, kind, selector, urls, isNumeric, unit,
      eventKey, successCriteria, tags, randomizationUnits, maintainerId, unitAggregationType,
      analysisType, percentileValue, eventDefault, dataSource, filters>}

Metric group document::

    {"_id", "key", "name", "kind", "description"?, "maintainerId", "tags",
     "metrics": [{"key", "nameInGroup"}], "creationDate", "lastModified", "_version"}

Every change of a metric gives it a new ``_versionId`` and one more ``_version``; a group's
``_version`` counts its changes too. The rules the spec states in prose (``MetricPost``'s field
descriptions: what each kind requires) are enforced under both profiles; a funnel with fewer
than two metrics is the ``funnel-needs-two-metrics`` strict point.
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

from .. import spec
from ..catalog import DEFAULT_CREATED, Catalog, link
from ..context import Context, new_object_id
from ..documents import METRIC, METRIC_GROUP, Documents
from ..errors import invalid, shorten
from .keys import check_key
from .settings import context_kind_keys, default_unit

__all__ = [
    "GROUP_FIELDS",
    "METRIC_FIELDS",
    "METRIC_WRITABLE",
    "changed",
    "check_group",
    "check_metric",
    "dependent_metric_rep",
    "group_input",
    "group_with_metrics_rep",
    "metric_input",
    "metric_v2_rep",
    "new_group",
    "new_metric",
    "render_group",
    "render_metric",
    "seed_group",
    "seed_metric",
]

JSON = dict[str, Any]

#: What a metric's ``MetricPost`` may give besides its key.
METRIC_FIELDS = frozenset(
    str(k) for k in spec.load_spec()["components"]["schemas"]["MetricPost"]["properties"]
) - {"key"}
#: What a JSON Patch may change: everything but the kind ("You can edit all of an existing
#: metric's settings except for its metric kind and metric key", LaunchDarkly's docs).
METRIC_WRITABLE = METRIC_FIELDS - {"kind"}
#: The same for a metric group (``MetricGroupPost``).
GROUP_FIELDS = frozenset(
    str(k) for k in spec.load_spec()["components"]["schemas"]["MetricGroupPost"]["properties"]
) - {"key"}
#: The filter node types ``MetricRep.filters`` (the spec's ``Filter``) can render.
FILTER_TYPES = ("group", "contextAttribute", "eventProperty")
ANALYSIS_TYPES = ("mean", "percentile")


def _iso(millis: int) -> str:
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat().replace("+00:00", "Z")


def _maintainer_ok(ctx: Context, maintainer: str, where: str = "maintainerId") -> None:
    if not maintainer.strip():
        raise invalid(f"field '{where}' must not be empty")
    if "maintainer-must-be-member" in ctx.profile and maintainer not in ctx.catalog.members:
        raise invalid(
            f"field '{where}': '{shorten(maintainer, 80)}' is not the _id of an account member "
            "(see GET /api/v2/members)"
        )


# -- metrics -------------------------------------------------------------------------------------


def seed_metric(key: str, fixture: JSON, unit: str) -> JSON:
    """The stored document of a fixture metric (``_id`` and ``_versionId`` from the fixture)."""
    doc: JSON = {k: copy.deepcopy(v) for k, v in fixture.items() if k in METRIC_FIELDS}
    created = int(fixture.get("creationDate", DEFAULT_CREATED))
    doc.update(
        {
            "_id": fixture["_id"],
            "_versionId": fixture["_versionId"],
            "_version": int(fixture.get("_version", 1)),
            "key": key,
            "creationDate": created,
            "lastModified": created,
        }
    )
    doc.setdefault("name", key)
    doc.setdefault("tags", [])
    doc.setdefault("randomizationUnits", [unit])
    return doc


def metric_input(doc: JSON) -> JSON:
    """The ``MetricPost`` fields of a stored metric, without its key (what a patch changes)."""
    return {k: copy.deepcopy(v) for k, v in doc.items() if k in METRIC_FIELDS}


def check_metric(ctx: Context, body: Any, *, given: frozenset[str] | None = None) -> None:
    """Raise a 400 unless ``body`` is a valid ``MetricPost``: the schema, then what the field
    descriptions require. ``given``: the fields given in this request (None: all), so that a
    stored ``maintainerId`` is not judged again."""
    problem = spec.validation_problem("MetricPost", body)
    if problem is not None:
        raise invalid(problem.message)
    kind = body["kind"]
    check_key(body["key"])
    if "name" in body and not body["name"].strip():
        raise invalid("field 'name' must not be empty")
    if kind == "click" and not body.get("selector"):
        raise invalid("field 'selector' is required for click metrics")
    if kind in ("click", "pageview") and not body.get("urls"):
        raise invalid(f"field 'urls' is required for {kind} metrics (one or more target URLs)")
    if kind == "custom":
        for name in ("isNumeric", "eventKey"):
            if name not in body:
                raise invalid(f"field '{name}' is required for custom metrics")
        if body["isNumeric"] and "successCriteria" not in body:
            raise invalid("field 'successCriteria' is required for numeric custom metrics")
    analysis = body.get("analysisType")
    if analysis is not None and analysis not in ANALYSIS_TYPES:
        raise invalid(
            f"field 'analysisType': '{shorten(analysis, 40)}' is not one of "
            f"{', '.join(ANALYSIS_TYPES)}"
        )
    percentile = body.get("percentileValue")
    if analysis == "percentile" and percentile is None:
        raise invalid("field 'percentileValue' is required when analysisType is percentile")
    if percentile is not None and not 0 <= percentile <= 100:
        raise invalid("field 'percentileValue' must be an integer between 0 and 100")
    default = body.get("eventDefault", {})
    if default.get("value", 0) != 0:
        raise invalid("field 'eventDefault.value': only 0 is supported")
    filters = body.get("filters")
    if filters is not None and filters["type"] not in FILTER_TYPES:
        raise invalid(
            f"field 'filters.type': '{shorten(str(filters['type']), 40)}' is not one of "
            f"{', '.join(FILTER_TYPES)}"
        )
    kinds = context_kind_keys(ctx.docs)
    for index, unit in enumerate(body.get("randomizationUnits", [])):
        if unit not in kinds:
            raise invalid(
                f"field 'randomizationUnits[{index}]': '{shorten(unit, 80)}' is not a context "
                f"kind of this project (one of: {', '.join(kinds)})"
            )
    if "maintainerId" in body and (given is None or "maintainerId" in given):
        _maintainer_ok(ctx, body["maintainerId"])


def new_metric(ctx: Context, body: JSON) -> JSON:
    """The stored document of a created metric (``check_metric`` has passed)."""
    now = ctx.clock()
    doc: JSON = {k: copy.deepcopy(v) for k, v in body.items() if k in METRIC_FIELDS}
    doc.setdefault("name", body["key"])
    doc.setdefault("tags", [])
    doc.setdefault("randomizationUnits", [default_unit(ctx.docs)])
    if "maintainerId" not in doc and ctx.member_id is not None:
        doc["maintainerId"] = ctx.member_id
    doc.update(
        {
            "_id": new_object_id(),
            "_versionId": new_object_id(),
            "_version": 1,
            "key": body["key"],
            "creationDate": now,
            "lastModified": now,
        }
    )
    return doc


def changed(ctx: Context, old: JSON, fields: JSON, writable: frozenset[str]) -> JSON:
    """``old`` with its writable fields replaced by ``fields``: a new version (and, for a
    metric, a new ``_versionId``)."""
    doc = {k: v for k, v in old.items() if k not in writable}
    doc.update(copy.deepcopy(fields))
    doc["_version"] = int(old.get("_version", 1)) + 1
    doc["lastModified"] = ctx.clock()
    if "_versionId" in old:
        doc["_versionId"] = new_object_id()
    return doc


def _metric_links(project: str, key: str) -> JSON:
    return {
        "self": link(f"/api/v2/metrics/{project}/{key}"),
        "parent": link(f"/api/v2/metrics/{project}"),
    }


def render_metric(project: str, doc: JSON, catalog: Catalog, *, listing: bool = False) -> JSON:
    """The spec's ``MetricRep`` (``MetricListingRep`` with ``listing``)."""
    key = doc["key"]
    rep: JSON = {
        "_id": doc["_id"],
        "_versionId": doc["_versionId"],
        "_version": int(doc.get("_version", 1)),
        "key": key,
        "name": doc.get("name", key),
        "kind": doc["kind"],
        "_links": _metric_links(project, key),
        "_site": {"href": f"/{project}/metrics/{key}", "type": "text/html"},
        "tags": list(doc.get("tags", [])),
        "_creationDate": int(doc.get("creationDate", DEFAULT_CREATED)),
        "lastModified": {"date": _iso(int(doc.get("lastModified", DEFAULT_CREATED)))},
        "isNumeric": bool(doc.get("isNumeric", False)),
        "dataSource": copy.deepcopy(doc.get("dataSource", {"key": "launchdarkly"})),
        "archived": False,
        "randomizationUnits": list(doc.get("randomizationUnits", [])),
    }
    maintainer = doc.get("maintainerId")
    if maintainer is not None:
        rep["maintainerId"] = maintainer
        if maintainer in catalog.members:
            rep["_maintainer"] = catalog.render_member_summary(maintainer)
    for name in (
        "description",
        "successCriteria",
        "unit",
        "eventKey",
        "filters",
        "unitAggregationType",
        "analysisType",
        "percentileValue",
        "eventDefault",
        "selector",
        "urls",
    ):
        if name in doc:
            rep[name] = copy.deepcopy(doc[name])
    if not listing:
        rep["isActive"] = True
    return rep


def metric_v2_rep(project: str, doc: JSON) -> JSON:
    """The spec's ``MetricV2Rep`` (an experiment's primary metric)."""
    key = doc["key"]
    rep: JSON = {
        "key": key,
        "_versionId": doc["_versionId"],
        "name": doc.get("name", key),
        "kind": doc["kind"],
        "isNumeric": bool(doc.get("isNumeric", False)),
        "_links": {"self": link(f"/api/v2/metrics/{project}/{key}")},
    }
    for extra in ("eventKey", "unitAggregationType"):
        if extra in doc:
            rep[extra] = doc[extra]
    return rep


# -- metric groups -------------------------------------------------------------------------------


def seed_group(key: str, fixture: JSON, metrics: dict[str, JSON], member_id: str) -> JSON:
    """The stored document of a fixture group: its ``metrics`` are keys (each named in the
    group by the metric's name) or ``{"key", "nameInGroup"}`` objects."""
    created = int(fixture.get("creationDate", DEFAULT_CREATED))
    members = []
    for item in fixture["metrics"]:
        if isinstance(item, dict):
            members.append({"key": item["key"], "nameInGroup": item["nameInGroup"]})
        else:
            members.append({"key": item, "nameInGroup": metrics[item].get("name", item)})
    doc: JSON = {
        "_id": fixture["_id"],
        "key": key,
        "name": fixture.get("name", key),
        "kind": fixture["kind"],
        "maintainerId": fixture.get("maintainerId", member_id),
        "tags": list(fixture.get("tags", [])),
        "metrics": members,
        "creationDate": created,
        "lastModified": created,
        "_version": int(fixture.get("_version", 1)),
    }
    if "description" in fixture:
        doc["description"] = fixture["description"]
    return doc


def group_input(doc: JSON) -> JSON:
    """The ``MetricGroupPost`` fields of a stored group, without its key."""
    return {k: copy.deepcopy(v) for k, v in doc.items() if k in GROUP_FIELDS}


def check_group(ctx: Context, body: Any, *, given: frozenset[str] | None = None) -> None:
    """Raise a 400 unless ``body`` is a valid ``MetricGroupPost`` with a key: the schema, then
    the metrics exist (not deleted), none twice; under ``funnel-needs-two-metrics`` a funnel
    has at least two metrics and a standard group at least one."""
    problem = spec.validation_problem("MetricGroupPost", body)
    if problem is not None:
        raise invalid(problem.message)
    check_key(body["key"])
    if not body["name"].strip():
        raise invalid("field 'name' must not be empty")
    seen: set[str] = set()
    for index, item in enumerate(body["metrics"]):
        where = f"metrics[{index}]"
        metric_key = item["key"]
        if ctx.docs.live(METRIC, metric_key) is None:
            hint = " (it is a metric group)" if ctx.docs.live(METRIC_GROUP, metric_key) else ""
            raise invalid(
                f"field '{where}.key': metric '{shorten(metric_key, 80)}' not found in project "
                f"'{ctx.project}'{hint}"
            )
        if metric_key in seen:
            raise invalid(f"field '{where}.key': metric '{metric_key}' is listed twice")
        seen.add(metric_key)
        if not item["nameInGroup"].strip():
            raise invalid(f"field '{where}.nameInGroup' must not be empty")
    if "funnel-needs-two-metrics" in ctx.profile:
        least = 2 if body["kind"] == "funnel" else 1
        if len(body["metrics"]) < least:
            raise invalid(
                f"field 'metrics': a {body['kind']} metric group needs at least {least} "
                f"metric{'s' if least > 1 else ''} (it has {len(body['metrics'])})"
            )
    if given is None or "maintainerId" in given:
        _maintainer_ok(ctx, body["maintainerId"])


def new_group(ctx: Context, body: JSON) -> JSON:
    now = ctx.clock()
    doc = group_input(body)
    doc["metrics"] = [{"key": m["key"], "nameInGroup": m["nameInGroup"]} for m in body["metrics"]]
    doc.update(
        {
            "_id": str(uuid.uuid4()),
            "key": body["key"],
            "creationDate": now,
            "lastModified": now,
            "_version": 1,
        }
    )
    return doc


def _group_links(project: str, key: str) -> JSON:
    return {
        "self": link(f"/api/v2/projects/{project}/metric-groups/{key}"),
        "parent": link(f"/api/v2/projects/{project}"),
    }


def _metric_in_group(project: str, docs: Documents, item: JSON) -> JSON:
    """The spec's ``MetricInGroupRep`` of one member of a group (a deleted metric renders as
    it was)."""
    metric = docs.get(METRIC, item["key"])
    if metric is None:  # pragma: no cover - a group only names stored metrics
        metric = {"key": item["key"], "kind": "custom", "_versionId": ""}
    rep = metric_v2_rep(project, metric)
    rep["nameInGroup"] = item["nameInGroup"]
    rep["randomizationUnits"] = list(metric.get("randomizationUnits", []))
    return rep


def render_group(project: str, doc: JSON, docs: Documents, catalog: Catalog) -> JSON:
    """The spec's ``MetricGroupRep``. ``maintainer.member`` names the maintainer when it is an
    account member (else ``maintainer`` is empty)."""
    key = doc["key"]
    maintainer = doc.get("maintainerId")
    rep: JSON = {
        "_id": doc["_id"],
        "key": key,
        "name": doc["name"],
        "kind": doc["kind"],
        "_links": _group_links(project, key),
        "tags": list(doc.get("tags", [])),
        "_creationDate": int(doc["creationDate"]),
        "_lastModified": int(doc["lastModified"]),
        "maintainer": (
            {"member": catalog.render_member_summary(maintainer)}
            if maintainer in catalog.members
            else {}
        ),
        "metrics": [_metric_in_group(project, docs, m) for m in doc["metrics"]],
        "_version": int(doc["_version"]),
    }
    if "description" in doc:
        rep["description"] = doc["description"]
    return rep


def group_with_metrics_rep(project: str, doc: JSON, docs: Documents) -> JSON:
    """The spec's ``DependentMetricGroupRepWithMetrics`` (an experiment's primary funnel)."""
    return {
        "key": doc["key"],
        "name": doc["name"],
        "kind": doc["kind"],
        "_links": {"self": link(f"/api/v2/projects/{project}/metric-groups/{doc['key']}")},
        "metrics": [_metric_in_group(project, docs, m) for m in doc["metrics"]],
    }


def dependent_metric_rep(project: str, docs: Documents, key: str, is_group: bool) -> JSON:
    """``DependentMetricOrMetricGroupRep`` of one entry of an iteration's metrics; a deleted
    metric or group renders as it was when it was deleted."""
    if is_group:
        group = docs.get(METRIC_GROUP, key)
        if group is None:
            return _unknown(project, key, is_group)
        rep = group_with_metrics_rep(project, group, docs)
        rep["_versionId"] = group["_id"]
        rep["isGroup"] = True
        return rep
    metric = docs.get(METRIC, key)
    if metric is None:
        return _unknown(project, key, is_group)
    rep = metric_v2_rep(project, metric)
    rep.pop("unitAggregationType", None)
    rep["isGroup"] = False
    return rep


def _unknown(project: str, key: str, is_group: bool) -> JSON:
    """A metric an experiment names that the store never had (a database file written before
    metrics were stored documents, with a key its fixtures no longer have)."""
    return {
        "key": key,
        "_versionId": "",
        "name": key,
        "kind": "standard" if is_group else "custom",
        "_links": {"self": link(f"/api/v2/metrics/{project}/{key}")},
        "isGroup": is_group,
    }
