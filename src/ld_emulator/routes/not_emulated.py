"""Paths the spec declares where the emulator serves nothing (yet): every method is a 405
saying "declared by the API but not emulated" (after authentication, like every API path)."""

from __future__ import annotations

from ..routing import Route, route
from .common import PROJECT

__all__ = ["ROUTES"]

ROUTES: tuple[Route, ...] = (
    route(PROJECT + "/context-kinds", {}, not_emulated=("GET",)),
    route(PROJECT + "/context-kinds/{key}", {}, not_emulated=("PUT",)),
    route(PROJECT + "/layers", {}, not_emulated=("GET", "POST")),
    route(PROJECT + "/layers/{layerKey}", {}, not_emulated=("PATCH",)),
)
