"""Experimentation settings (the project's randomization units): read, and replace with PUT.

Each unit must be a context kind of the project, at most one is the default (the spec's
words); dropping a unit that a not-archived experiment or a running holdout uses is a 400
under ``in-use-refused`` (``lenient``: they keep the unit they have).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..documents import SETTINGS, SETTINGS_KEY
from ..messages import Request, Response
from ..objects import settings, usage
from ..routing import Route, route
from .common import PROJECT, context

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["ROUTES"]


def _project_id(emu: Emulator, project: str) -> str:
    return str(emu.catalog.project(project).get("_id", project))


def get_settings(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    doc = settings.current_settings(ctx.docs)
    project_id = _project_id(emu, ctx.project)
    return Response(200, settings.render_settings(ctx.project, project_id, doc, ctx.docs))


def put_settings(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    doc = settings.put_units(ctx.docs, req.body, ctx.clock)
    kept = {u["randomizationUnit"] for u in doc["randomizationUnits"]}
    dropped = [u for u in settings.unit_keys(ctx.docs) if u not in kept]
    if "in-use-refused" in emu.profile:
        environments = emu.catalog.environment_keys(ctx.project)
        for unit in dropped:
            usage.refuse_if_used(
                emu.profile,
                f"randomization unit '{unit}'",
                usage.users_of_unit(emu.store, ctx.docs, unit, environments),
                "keep it in randomizationUnits until they are archived or ended",
            )
    if doc != ctx.docs.get(SETTINGS, SETTINGS_KEY):
        emu.store.commit([ctx.docs.write(SETTINGS, SETTINGS_KEY, doc)])
    project_id = _project_id(emu, ctx.project)
    return Response(200, settings.render_settings(ctx.project, project_id, doc, ctx.docs))


ROUTES: tuple[Route, ...] = (
    route(
        PROJECT + "/experimentation-settings",
        {"GET": get_settings, "PUT": put_settings},
    ),
)
