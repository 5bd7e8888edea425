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

from ..context import Context
from ..documents import METRIC_GROUP
from ..errors import invalid, not_found
from ..json_patch import apply_patch
from ..messages import Request, Response
from ..objects import metrics, usage
from ..objects.keys import derived_key
from ..routing import Route, route
from .common import PROJECT, context, page, page_links
from .metrics import MAX_LIMIT, changed_fields

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["ROUTES"]

JSON = dict[str, Any]


def get_metric_groups(emu: Emulator, req: Request) -> Response:
    """The listing counts in ``totalCount`` (experiments and holdouts in ``total_count``), as
    the spec's ``MetricGroupCollectionRep`` has it."""
    ctx = context(emu, req)
    limit, offset = page(req, MAX_LIMIT)
    docs = ctx.docs.all(METRIC_GROUP)
    body = {
        "items": [
            metrics.render_group(ctx.project, d, ctx.docs, emu.catalog)
            for d in docs[offset : offset + limit]
        ],
        "totalCount": len(docs),
        "_links": page_links(req, len(docs), limit, offset),
    }
    return Response(200, body)


def _load(ctx: Context, key: str) -> JSON:
    doc = ctx.docs.live(METRIC_GROUP, key)
    if doc is None:
        raise not_found(f"Metric group '{key}' not found in project '{ctx.project}'")
    return doc


def get_metric_group(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    doc = _load(ctx, req.params["metricGroupKey"])
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
    """JSON Patch on the group's ``MetricGroupPost`` fields (not its key), validated like a
    create."""
    ctx = context(emu, req)
    key = req.params["metricGroupKey"]
    doc = _load(ctx, key)
    before = metrics.group_input(doc)
    after = apply_patch(before, req.body, metrics.GROUP_FIELDS, "metric group")
    given = changed_fields(before, after)
    metrics.check_group(ctx, {**after, "key": key}, given=given)
    if given:
        after["metrics"] = [
            {"key": m["key"], "nameInGroup": m["nameInGroup"]} for m in after["metrics"]
        ]
        doc = metrics.changed(ctx, doc, after, metrics.GROUP_FIELDS)
        emu.store.commit([ctx.docs.write(METRIC_GROUP, key, doc)])
    return Response(200, metrics.render_group(ctx.project, doc, ctx.docs, emu.catalog))


def delete_metric_group(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    key = req.params["metricGroupKey"]
    doc = _load(ctx, key)
    users = usage.users_of_metric(emu.store, ctx.docs, key, is_group=True)
    if users and "in-use-refused" in emu.profile:
        raise invalid(
            usage.in_use_message(
                f"metric group '{key}'",
                users,
                "archive those experiments (or change their metrics) first",
            )
        )
    tombstone = {**doc, "_deleted": True, "_deletedAt": ctx.clock()}
    emu.store.commit([ctx.docs.write(METRIC_GROUP, key, tombstone)])
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
