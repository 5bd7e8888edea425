"""Metrics: ``/api/v2/metrics/{projectKey}[/{metricKey}]``: list, create, read, JSON Patch,
delete (:mod:`..objects.metrics` has the document and its rules).

A POST of a key that exists is the 409 the operation declares. A DELETE leaves a tombstone
(:mod:`..documents`): the metric is gone for the API, experiments that measured it still show
it. Deleting a metric in use (a metric group lists it, a not-archived experiment measures it)
is a 400 under ``in-use-refused``; under ``lenient`` it goes, and the groups drop it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..context import Context
from ..documents import METRIC, METRIC_GROUP
from ..errors import ApiError, invalid, not_found
from ..json_patch import apply_patch
from ..messages import Request, Response
from ..objects import metrics, usage
from ..routing import Route, route
from ..store import Write
from .common import API_V2, context, page, page_links

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["ROUTES", "changed_fields"]

JSON = dict[str, Any]

#: Largest ``limit`` of the metric listing ("Maximum limit is 50").
MAX_LIMIT = 50


def changed_fields(old: JSON, new: JSON) -> frozenset[str]:
    return frozenset(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def get_metrics(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    limit, offset = page(req, MAX_LIMIT)
    docs = ctx.docs.all(METRIC)
    body = {
        "items": [
            metrics.render_metric(ctx.project, d, emu.catalog, listing=True)
            for d in docs[offset : offset + limit]
        ],
        "totalCount": len(docs),
        "_links": page_links(req, len(docs), limit, offset),
    }
    return Response(200, body)


def _load(ctx: Context, key: str) -> JSON:
    doc = ctx.docs.live(METRIC, key)
    if doc is None:
        raise not_found(f"Metric '{key}' not found in project '{ctx.project}'")
    return doc


def get_metric(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    doc = _load(ctx, req.params["metricKey"])
    return Response(200, metrics.render_metric(ctx.project, doc, emu.catalog))


def post_metric(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    metrics.check_metric(ctx, req.body)
    key = req.body["key"]
    if ctx.docs.live(METRIC, key) is not None:
        raise ApiError(
            409, "conflict", f"A metric with key '{key}' already exists in project '{ctx.project}'"
        )
    doc = metrics.new_metric(ctx, req.body)
    emu.store.commit([ctx.docs.write(METRIC, key, doc)])
    return Response(201, metrics.render_metric(ctx.project, doc, emu.catalog))


def patch_metric(emu: Emulator, req: Request) -> Response:
    """JSON Patch on the metric's ``MetricPost`` fields but its key and kind; the result is
    validated like a create. A patch that changes nothing writes nothing."""
    ctx = context(emu, req)
    key = req.params["metricKey"]
    doc = _load(ctx, key)
    before = metrics.metric_input(doc)
    after = apply_patch(before, req.body, metrics.METRIC_WRITABLE, "metric")
    given = changed_fields(before, after)
    metrics.check_metric(ctx, {**after, "key": key}, given=given)
    if given:
        doc = metrics.changed(ctx, doc, after, metrics.METRIC_FIELDS)
        emu.store.commit([ctx.docs.write(METRIC, key, doc)])
    return Response(200, metrics.render_metric(ctx.project, doc, emu.catalog))


def delete_metric(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    key = req.params["metricKey"]
    doc = _load(ctx, key)
    users = usage.users_of_metric(emu.store, ctx.docs, key, is_group=False)
    if users and "in-use-refused" in emu.profile:
        raise invalid(
            usage.in_use_message(
                f"metric '{key}'",
                users,
                "take it out of those metric groups and archive those experiments (or change "
                "their metrics) first",
            )
        )
    writes: list[Write] = []
    for group_key in usage.groups_listing(ctx.docs, key):
        group = ctx.docs.copy(METRIC_GROUP, group_key)
        fields = metrics.group_input(group)
        fields["metrics"] = [m for m in fields["metrics"] if m["key"] != key]
        changed = metrics.changed(ctx, group, fields, metrics.GROUP_FIELDS)
        writes.append(ctx.docs.write(METRIC_GROUP, group_key, changed))
    tombstone = {**doc, "_deleted": True, "_deletedAt": ctx.clock()}
    writes.append(ctx.docs.write(METRIC, key, tombstone))
    emu.store.commit(writes)
    return Response(204, None)


ROUTES: tuple[Route, ...] = (
    route(API_V2 + "/metrics/{projectKey}", {"GET": get_metrics, "POST": post_metric}),
    route(
        API_V2 + "/metrics/{projectKey}/{metricKey}",
        {"GET": get_metric, "PATCH": patch_metric, "DELETE": delete_metric},
        json_patch=True,
    ),
)
