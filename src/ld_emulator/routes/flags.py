"""Feature flags: the stored flag documents, listed and read in the spec's ``FeatureFlag``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import not_found
from ..messages import Request, Response
from ..routing import Route, route
from ..targeting import FLAG, render_flag
from .common import API_V2, int_param, page_links

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["ROUTES"]

JSON = dict[str, Any]


def _render(emu: Emulator, project: str, flag: JSON, env: str | None) -> JSON:
    return render_flag(
        project,
        flag,
        emu.catalog.project(project)["environments"],
        emu.catalog.member_id,
        env,
        version_is_flag_version="env-version-is-flag-version" in emu.profile,
    )


def get_flags(emu: Emulator, req: Request) -> Response:
    project = req.params["projectKey"]
    emu.catalog.project(project)
    env = req.query.get("env") or None
    limit = int_param(req, "limit", 20, 1, 100)
    offset = int_param(req, "offset", 0, 0, None)
    tag = req.query.get("tag")
    items = [
        _render(emu, project, stored.doc, env) for stored in emu.store.documents(FLAG, project)
    ]
    if tag:
        items = [f for f in items if tag in f["tags"]]
    body = {
        "items": items[offset : offset + limit],
        "totalCount": len(items),
        "_links": page_links(req, len(items), limit, offset),
    }
    return Response(200, body)


def get_flag(emu: Emulator, req: Request) -> Response:
    project, key = req.params["projectKey"], req.params["featureFlagKey"]
    emu.catalog.project(project)
    stored = emu.store.document(FLAG, project, key)
    if stored is None:
        raise not_found(f"Flag '{key}' not found in project '{project}'")
    env = req.query.get("env") or None
    return Response(200, _render(emu, project, stored.doc, env))


ROUTES: tuple[Route, ...] = (
    route(API_V2 + "/flags/{projectKey}", {"GET": get_flags}, not_emulated=("POST",)),
    route(
        API_V2 + "/flags/{projectKey}/{featureFlagKey}",
        {"GET": get_flag},
        not_emulated=("PATCH", "DELETE"),
    ),
)
