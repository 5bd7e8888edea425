"""Metric groups (a beta resource: ``LD-API-Version: beta``, else 403):
``/api/v2/projects/{projectKey}/metric-groups[/{metricGroupKey}]``: list, create, read, JSON
Patch, delete.

``createMetricGroup`` declares no 409, and a duplicate POST of a LaunchDarkly object answered
400 on a live account: a key that exists is a 400 under both profiles. A POST without ``key``
(the schema leaves it optional) gets one made from the name, or a 400 under ``key-required``.
Deleting a group a not-archived experiment measures is a 400 under ``in-use-refused``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..documents import METRIC_GROUP, tombstone
from ..errors import invalid
from ..messages import Request, Response
from ..objects import metrics, usage
from ..objects.keys import derived_key
from ..routing import Route, route
from .common import PROJECT, context, counted_page, live
from .metrics import MAX_LIMIT, json_patched

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["ROUTES"]

JSON = dict[str, Any]


def get_metric_groups(emu: Emulator, req: Request) -> Response:
    """The listing counts in ``totalCount`` (experiments and holdouts in ``total_count``), as
    the spec's ``MetricGroupCollectionRep`` has it."""
    ctx = context(emu, req)

    def render(doc: JSON) -> JSON:
        return metrics.render_group(ctx.project, doc, ctx.docs, emu.catalog)

    return Response(200, counted_page(req, ctx.docs.all(METRIC_GROUP), MAX_LIMIT, render))


def get_metric_group(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    doc = live(ctx, METRIC_GROUP, req.params["metricGroupKey"], "Metric group")
    return Response(200, metrics.render_group(ctx.project, doc, ctx.docs, emu.catalog))


def create_metric_group(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    body = req.body
    if isinstance(body, dict) and "key" not in body and isinstance(body.get("name"), str):
        if "key-required" in emu.profile:
            raise invalid("field 'key' is required: give the metric group a key")
        body = {**body, "key": derived_key(body["name"])}
    metrics.check_group(ctx, body)
    key = body["key"]
    if ctx.docs.live(METRIC_GROUP, key) is not None:
        raise invalid(f"A metric group with key '{key}' already exists in project '{ctx.project}'")
    doc = metrics.new_group(ctx, body)
    emu.store.commit([ctx.docs.write(METRIC_GROUP, key, doc)])
    return Response(201, metrics.render_group(ctx.project, doc, ctx.docs, emu.catalog))


def patch_metric_group(emu: Emulator, req: Request) -> Response:
    """JSON Patch on the group's ``MetricGroupPost`` fields but its key."""
    ctx = context(emu, req)
    doc = json_patched(
        emu,
        ctx,
        req,
        METRIC_GROUP,
        req.params["metricGroupKey"],
        "Metric group",
        metrics.GROUP_FIELDS,
        metrics.GROUP_FIELDS,
        metrics.check_group,
    )
    return Response(200, metrics.render_group(ctx.project, doc, ctx.docs, emu.catalog))


def delete_metric_group(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    key = req.params["metricGroupKey"]
    doc = live(ctx, METRIC_GROUP, key, "Metric group")
    usage.refuse_if_used(
        emu.profile,
        f"metric group '{key}'",
        usage.users_of_metric(emu.store, ctx.docs, key, is_group=True),
        "archive those experiments (or change their metrics) first",
    )
    emu.store.commit([ctx.docs.write(METRIC_GROUP, key, tombstone(doc, ctx.clock()))])
    return Response(204, None)


ROUTES: tuple[Route, ...] = (
    route(
        PROJECT + "/metric-groups",
        {"GET": get_metric_groups, "POST": create_metric_group},
        beta=True,
    ),
    route(
        PROJECT + "/metric-groups/{metricGroupKey}",
        {"GET": get_metric_group, "PATCH": patch_metric_group, "DELETE": delete_metric_group},
        beta=True,
        json_patch=True,
    ),
)
