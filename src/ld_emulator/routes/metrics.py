"""Metrics: ``/api/v2/metrics/{projectKey}[/{metricKey}]``: list, create, read, JSON Patch,
delete (:mod:`..objects.metrics` has the document and its rules).

A POST of a key that exists is the 409 the operation declares. A DELETE leaves a tombstone
(:mod:`..documents`): the metric is gone for the API, experiments that measured it still show
it. Deleting a metric in use (a metric group lists it, a not-archived experiment measures it)
is a 400 under ``in-use-refused``; under ``lenient`` it goes, and the groups drop it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..context import Context
from ..documents import METRIC, METRIC_GROUP, tombstone
from ..errors import ApiError
from ..json_patch import apply_patch
from ..messages import Request, Response
from ..objects import metrics, usage
from ..routing import Route, route
from ..store import Write
from .common import API_V2, context, counted_page, live

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["ROUTES", "changed_fields", "json_patched"]

JSON = dict[str, Any]

#: Largest ``limit`` of the metric listing ("Maximum limit is 50").
MAX_LIMIT = 50


def changed_fields(old: JSON, new: JSON) -> frozenset[str]:
    return frozenset(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def get_metrics(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)

    def render(doc: JSON) -> JSON:
        return metrics.render_metric(ctx.project, doc, emu.catalog, listing=True)

    return Response(200, counted_page(req, ctx.docs.all(METRIC), MAX_LIMIT, render))


def get_metric(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    doc = live(ctx, METRIC, req.params["metricKey"], "Metric")
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
    """JSON Patch on the metric's ``MetricPost`` fields but its key and kind."""
    ctx = context(emu, req)
    doc = json_patched(
        emu,
        ctx,
        req,
        METRIC,
        req.params["metricKey"],
        "Metric",
        metrics.METRIC_FIELDS,
        metrics.METRIC_WRITABLE,
        metrics.check_metric,
    )
    return Response(200, metrics.render_metric(ctx.project, doc, emu.catalog))


def json_patched(
    emu: Emulator,
    ctx: Context,
    req: Request,
    kind: str,
    key: str,
    label: str,
    fields: frozenset[str],
    writable: frozenset[str],
    check: Callable[..., None],
) -> JSON:
    """Apply the request's JSON Patch to the ``writable`` fields of the ``kind`` document
    ``key`` (of its ``fields``, what its POST takes), validate the result like a create
    (``check``) and write it as a new version; a patch that changes nothing writes nothing.
    The document it leaves."""
    doc = live(ctx, kind, key, label)
    before = {k: copy.deepcopy(v) for k, v in doc.items() if k in fields}
    after = apply_patch(before, req.body, writable, label.lower())
    given = changed_fields(before, after)
    check(ctx, {**after, "key": key}, given=given)
    if not given:
        return doc
    changed = metrics.changed(ctx, doc, after, fields)
    emu.store.commit([ctx.docs.write(kind, key, changed)])
    return changed


def delete_metric(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    key = req.params["metricKey"]
    doc = live(ctx, METRIC, key, "Metric")
    usage.refuse_if_used(
        emu.profile,
        f"metric '{key}'",
        usage.users_of_metric(emu.store, ctx.docs, key, is_group=False),
        "take it out of those metric groups and archive those experiments (or change their "
        "metrics) first",
    )
    writes: list[Write] = []
    for group_key in usage.groups_listing(ctx.docs, key):
        group = ctx.docs.copy(METRIC_GROUP, group_key)
        fields = metrics.group_input(group)
        fields["metrics"] = [m for m in fields["metrics"] if m["key"] != key]
        changed = metrics.changed(ctx, group, fields, metrics.GROUP_FIELDS)
        writes.append(ctx.docs.write(METRIC_GROUP, group_key, changed))
    writes.append(ctx.docs.write(METRIC, key, tombstone(doc, ctx.clock())))
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
