"""The API's routes, one module per resource kind; :data:`ROUTES` is all of them.

Each module declares its own ``ROUTES`` (an OpenAPI path template, the handler of each method
it serves, the methods the spec declares there that are not emulated). Adding a resource kind
is adding a module here and its routes below.
"""

from __future__ import annotations

from ..routing import Route
from . import (
    context_kinds,
    experiments,
    flags,
    holdouts,
    layers,
    members,
    metric_groups,
    metrics,
    settings,
)

__all__ = ["ROUTES"]

ROUTES: tuple[Route, ...] = (
    *flags.ROUTES,
    *metrics.ROUTES,
    *metric_groups.ROUTES,
    *experiments.ROUTES,
    *holdouts.ROUTES,
    *layers.ROUTES,
    *settings.ROUTES,
    *context_kinds.ROUTES,
    *members.ROUTES,
)
