"""Metrics and metric groups, from the fixtures (metric groups are a beta resource)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..messages import Request, Response
from ..routing import Route, route
from .common import API_V2, PROJECT

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["ROUTES"]


def get_metric(emu: Emulator, req: Request) -> Response:
    return Response(
        200, emu.catalog.render_metric(req.params["projectKey"], req.params["metricKey"])
    )


def get_metric_group(emu: Emulator, req: Request) -> Response:
    project, key = req.params["projectKey"], req.params["metricGroupKey"]
    return Response(200, emu.catalog.render_metric_group(project, key))


ROUTES: tuple[Route, ...] = (
    route(API_V2 + "/metrics/{projectKey}/{metricKey}", {"GET": get_metric}),
    route(PROJECT + "/metric-groups/{metricGroupKey}", {"GET": get_metric_group}, beta=True),
)
