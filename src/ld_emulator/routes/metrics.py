"""Metrics and metric groups, from the fixtures (metric groups are a beta resource): listed
and read; their writes are declared by the spec and not emulated (405)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..messages import Request, Response
from ..routing import Route, route
from .common import API_V2, PROJECT, int_param, page_links

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["ROUTES"]


#: Largest ``limit`` of the metric and metric group listings ("Maximum limit is 50").
MAX_LIMIT = 50

#: ``MetricRep`` fields that a ``MetricListingRep`` (an item of the metrics listing) has not.
_NOT_IN_LISTING = ("isActive",)


def get_metrics(emu: Emulator, req: Request) -> Response:
    project = req.params["projectKey"]
    keys = list(emu.catalog.project(project)["metrics"])
    limit = int_param(req, "limit", 20, 1, MAX_LIMIT)
    offset = int_param(req, "offset", 0, 0, None)
    items = []
    for key in keys[offset : offset + limit]:
        rep = emu.catalog.render_metric(project, key)
        for name in _NOT_IN_LISTING:
            rep.pop(name, None)
        items.append(rep)
    body = {
        "items": items,
        "totalCount": len(keys),
        "_links": page_links(req, len(keys), limit, offset),
    }
    return Response(200, body)


def get_metric_groups(emu: Emulator, req: Request) -> Response:
    """The metric group listing: counted in ``totalCount`` (experiments and holdouts count in
    ``total_count``), as the spec's ``MetricGroupCollectionRep`` has it."""
    project = req.params["projectKey"]
    keys = list(emu.catalog.project(project)["metricGroups"])
    limit = int_param(req, "limit", 20, 1, MAX_LIMIT)
    offset = int_param(req, "offset", 0, 0, None)
    page = keys[offset : offset + limit]
    body = {
        "items": [emu.catalog.render_metric_group(project, k) for k in page],
        "totalCount": len(keys),
        "_links": page_links(req, len(keys), limit, offset),
    }
    return Response(200, body)


def get_metric(emu: Emulator, req: Request) -> Response:
    return Response(
        200, emu.catalog.render_metric(req.params["projectKey"], req.params["metricKey"])
    )


def get_metric_group(emu: Emulator, req: Request) -> Response:
    project, key = req.params["projectKey"], req.params["metricGroupKey"]
    return Response(200, emu.catalog.render_metric_group(project, key))


ROUTES: tuple[Route, ...] = (
    route(API_V2 + "/metrics/{projectKey}", {"GET": get_metrics}, not_emulated=("POST",)),
    route(
        API_V2 + "/metrics/{projectKey}/{metricKey}",
        {"GET": get_metric},
        not_emulated=("PATCH", "DELETE"),
    ),
    route(
        PROJECT + "/metric-groups",
        {"GET": get_metric_groups},
        beta=True,
        not_emulated=("POST",),
    ),
    route(
        PROJECT + "/metric-groups/{metricGroupKey}",
        {"GET": get_metric_group},
        beta=True,
        not_emulated=("PATCH", "DELETE"),
    ),
)
