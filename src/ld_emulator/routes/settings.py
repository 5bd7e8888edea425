"""Experimentation settings (randomization units), from the fixtures."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..messages import Request, Response
from ..routing import Route, route
from .common import PROJECT

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["ROUTES"]


def get_settings(emu: Emulator, req: Request) -> Response:
    return Response(200, emu.catalog.render_settings(req.params["projectKey"]))


ROUTES: tuple[Route, ...] = (
    route(PROJECT + "/experimentation-settings", {"GET": get_settings}, not_emulated=("PUT",)),
)
