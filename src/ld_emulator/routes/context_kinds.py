"""Context kinds, per project: list, and create or update one with PUT ("Only the included
fields will be updated"). Randomization units name context kinds (see :mod:`.settings`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..catalog import link
from ..documents import CONTEXT_KIND
from ..messages import Request, Response
from ..objects import settings
from ..routing import Route, route
from .common import PROJECT, context

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["ROUTES"]


def get_context_kinds(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    body = {
        "items": [
            settings.render_context_kind(ctx.project, doc) for doc in ctx.docs.all(CONTEXT_KIND)
        ],
        "_links": {"self": link(f"/api/v2/projects/{ctx.project}/context-kinds")},
    }
    return Response(200, body)


def put_context_kind(emu: Emulator, req: Request) -> Response:
    """The spec's ``UpsertResponseRep`` (200 for a create and an update alike)."""
    ctx = context(emu, req)
    key = req.params["key"]
    existing = ctx.docs.live(CONTEXT_KIND, key)
    doc = settings.upsert_context_kind(key, existing, req.body, ctx.clock())
    if doc is not existing:
        emu.store.commit([ctx.docs.write(CONTEXT_KIND, key, doc)])
    body = {
        "status": "success",
        "_links": {"self": link(settings.context_kind_path(ctx.project, key))},
    }
    return Response(200, body)


ROUTES: tuple[Route, ...] = (
    route(PROJECT + "/context-kinds", {"GET": get_context_kinds}),
    route(PROJECT + "/context-kinds/{key}", {"PUT": put_context_kind}),
)
