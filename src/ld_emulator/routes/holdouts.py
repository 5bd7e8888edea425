"""Holdouts, from the fixtures; the experiments that use one are live (from the store)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..catalog import link
from ..errors import not_found
from ..experiments.model import Context
from ..experiments.rendering import render_experiment
from ..messages import Request, Response
from ..routing import Route, route
from ..store import Query
from .common import ENVIRONMENT, context, int_param, max_limit, page_links

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["ROUTES"]

JSON = dict[str, Any]


def _holdout_parts(emu: Emulator, ctx: Context, key: str) -> tuple[JSON, JSON, list[JSON]]:
    holdout = emu.catalog.holdouts(ctx.project, ctx.environment).get(key)
    if holdout is None:
        raise not_found(f"Holdout '{key}' not found in environment '{ctx.environment}'")
    created = int(holdout.get("createdAt", 1700000000000))
    base: JSON = {
        "key": key,
        "name": holdout.get("name", key),
        "_maintainerId": emu.catalog.member_id,
        "_creationDate": created,
        "environmentKey": ctx.environment,
        "_links": {
            "self": link(
                f"/api/v2/projects/{ctx.project}/environments/{ctx.environment}/holdouts/{key}"
            ),
            "parent": link(f"/api/v2/projects/{ctx.project}/environments/{ctx.environment}"),
        },
        "methodology": "bayesian",
        "dataSource": "launchdarkly",
        "type": "holdout",
        "tags": [],
    }
    if "description" in holdout:
        base["description"] = holdout["description"]
    query = Query(ctx.project, ctx.environment, holdout_id=str(holdout["_id"]))
    related = [s.doc for s in emu.store.select(query)[1]]
    return holdout, base, related


def _holdout_rep(emu: Emulator, ctx: Context, key: str) -> JSON:
    holdout, base, related = _holdout_parts(emu, ctx, key)
    created = int(holdout.get("createdAt", 1700000000000))
    return {
        "_id": holdout["_id"],
        "status": holdout.get("status", "running"),
        "holdoutAmount": str(holdout.get("holdoutAmount", "5")),
        "createdAt": created,
        "updatedAt": created,
        "baseExperiment": base,
        "experiments": [
            {"key": d["key"], "name": d["name"], "environment": ctx.environment} for d in related
        ],
    }


def list_holdouts(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    limit = int_param(req, "limit", 20, 1, max_limit(emu))
    offset = int_param(req, "offset", 0, 0, None)
    items = []
    for key, holdout in emu.catalog.holdouts(ctx.project, ctx.environment).items():
        rep = _holdout_rep(emu, ctx, key)
        items.append(
            {
                "_id": holdout["_id"],
                "key": key,
                "name": holdout.get("name", key),
                "status": rep["status"],
                "createdAt": rep["createdAt"],
                "updatedAt": rep["updatedAt"],
                "experiments": rep["experiments"],
            }
        )
    body = {
        "items": items[offset : offset + limit],
        "total_count": len(items),
        "_links": page_links(req, len(items), limit, offset),
    }
    return Response(200, body)


def get_holdout(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    holdout, base, related = _holdout_parts(emu, ctx, req.params["holdoutKey"])
    created = int(holdout.get("createdAt", 1700000000000))
    body = {
        "_id": holdout["_id"],
        "status": holdout.get("status", "running"),
        "holdoutAmount": str(holdout.get("holdoutAmount", "5")),
        "isDirty": False,
        "createdAt": created,
        "updatedAt": created,
        "baseExperiment": base,
        "relatedExperiments": [render_experiment(ctx, d, set()) for d in related],
    }
    return Response(200, body)


def get_holdout_by_id(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    holdout_id = req.params["holdoutId"]
    key = emu.catalog.holdout_key_by_id(ctx.project, ctx.environment, holdout_id)
    if key is None:
        raise not_found(f"No holdout with id '{holdout_id}' in environment '{ctx.environment}'")
    return Response(200, _holdout_rep(emu, ctx, key))


ROUTES: tuple[Route, ...] = (
    route(ENVIRONMENT + "/holdouts", {"GET": list_holdouts}, not_emulated=("POST",)),
    route(ENVIRONMENT + "/holdouts/id/{holdoutId}", {"GET": get_holdout_by_id}),
    route(ENVIRONMENT + "/holdouts/{holdoutKey}", {"GET": get_holdout}, not_emulated=("PATCH",)),
)
