"""Holdouts, per environment: create, list, read (by key and by id), semantic patch
(``updateName``, ``updateDescription``, ``removeExperiment``, ``endHoldout``). There is no
DELETE in the API: a holdout is ended, never deleted.

The experiments in a holdout are the (active) experiments whose ``holdoutId`` is its ``_id``;
``removeExperiment`` clears that field on the experiment, in the same transaction as the
holdout's write. ``postHoldout`` declares 201 and 400 only, and a duplicate POST of a
LaunchDarkly object answered 400 on a live account: a key that exists is a 400 under both
profiles.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from ..context import Context
from ..documents import HOLDOUT
from ..errors import ApiError, invalid, not_found
from ..experiments.rendering import render_experiment
from ..messages import Request, Response
from ..objects import holdouts
from ..routing import Route, route
from ..semantic_patch import checked_instructions, located
from ..store import EXPERIMENT, Query, StoredExperiment, Write
from .common import ENVIRONMENT, context, live, max_limit, page, page_links

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["ROUTES"]

JSON = dict[str, Any]


def _members(emu: Emulator, ctx: Context, holdout: JSON) -> list[StoredExperiment]:
    """The experiments in the holdout (active ones, in creation order)."""
    query = Query(ctx.project, ctx.environment, holdout_id=str(holdout["_id"]))
    return emu.store.select(query)[1]


def _summary(ctx: Context, members: list[StoredExperiment]) -> list[JSON]:
    return [{"key": m.key, "name": m.doc["name"], "environment": ctx.environment} for m in members]


def _rep(emu: Emulator, ctx: Context, doc: JSON) -> JSON:
    """The spec's ``HoldoutRep``."""
    rep: JSON = {"_id": doc["_id"], "status": doc["status"]}
    if "description" in doc:
        rep["description"] = doc["description"]
    rep.update(
        {
            "holdoutAmount": doc["holdoutAmount"],
            "createdAt": int(doc["createdAt"]),
            "updatedAt": int(doc["updatedAt"]),
            "baseExperiment": holdouts.render_base_experiment(ctx, doc),
            "experiments": _summary(ctx, _members(emu, ctx, doc)),
        }
    )
    return rep


def list_holdouts(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    limit, offset = page(req, max_limit(emu))
    docs = ctx.docs.all(HOLDOUT, ctx.environment)
    items = [
        {
            "_id": doc["_id"],
            "key": doc["key"],
            "name": doc["name"],
            "status": doc["status"],
            "createdAt": int(doc["createdAt"]),
            "updatedAt": int(doc["updatedAt"]),
            "experiments": _summary(ctx, _members(emu, ctx, doc)),
        }
        for doc in docs[offset : offset + limit]
    ]
    body = {
        "items": items,
        "total_count": len(docs),
        "_links": page_links(req, len(docs), limit, offset),
    }
    return Response(200, body)


def post_holdout(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    doc = holdouts.new_holdout(ctx, req.body)
    if ctx.docs.stored(HOLDOUT, doc["key"], ctx.environment) is not None:
        raise invalid(
            f"A holdout with key '{doc['key']}' already exists in environment "
            f"'{ctx.environment}' (holdouts are never deleted; ended ones keep their key)"
        )
    emu.store.commit([ctx.docs.write(HOLDOUT, doc["key"], doc, ctx.environment)])
    return Response(201, _rep(emu, ctx, doc))


def get_holdout(emu: Emulator, req: Request) -> Response:
    """The spec's ``HoldoutDetailRep``: the related experiments in full, and ``isDirty`` ("if
    the holdout experiment is running and if any related experiments are running")."""
    ctx = context(emu, req)
    doc = live(ctx, HOLDOUT, req.params["holdoutKey"], "Holdout", ctx.environment)
    members = _members(emu, ctx, doc)
    running = any(m.doc["current"]["status"] == "running" for m in members)
    body: JSON = {"_id": doc["_id"], "status": doc["status"]}
    if "description" in doc:
        body["description"] = doc["description"]
    body.update(
        {
            "holdoutAmount": doc["holdoutAmount"],
            "isDirty": doc["status"] == "running" and running,
            "createdAt": int(doc["createdAt"]),
            "updatedAt": int(doc["updatedAt"]),
            "baseExperiment": holdouts.render_base_experiment(ctx, doc),
            "relatedExperiments": [render_experiment(ctx, m.doc, set()) for m in members],
        }
    )
    return Response(200, body)


def get_holdout_by_id(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    holdout_id = req.params["holdoutId"]
    doc = holdouts.holdout_by_id(ctx, holdout_id)
    if doc is None:
        raise not_found(f"No holdout with id '{holdout_id}' in environment '{ctx.environment}'")
    return Response(200, _rep(emu, ctx, doc))


def patch_holdout(emu: Emulator, req: Request) -> Response:
    """Semantic patch, atomic: every instruction applies or none."""
    ctx = context(emu, req)
    key = req.params["holdoutKey"]
    instructions = checked_instructions(req.body, "HoldoutPatchInput", holdouts.INSTRUCTION_PARAMS)
    old = live(ctx, HOLDOUT, key, "Holdout", ctx.environment)
    doc = copy.deepcopy(old)
    members = {m.key: m for m in _members(emu, ctx, old)}
    removed: list[str] = []
    for index, instr in enumerate(instructions):
        current = {k: m.doc for k, m in members.items() if k not in removed}
        try:
            taken = holdouts.apply_instruction(ctx, doc, instr, current)
        except ApiError as exc:
            raise located(exc, index, instr["kind"]) from None
        if taken is not None:
            removed.append(taken)
    writes: list[Write] = []
    for experiment_key in removed:
        member = members[experiment_key]
        changed = copy.deepcopy(member.doc)
        changed.pop("holdoutId", None)
        writes.append(
            Write(EXPERIMENT, ctx.project, ctx.environment, member.key, changed, member.version)
        )
    if doc != old or removed:
        doc["updatedAt"] = ctx.clock()
        writes.append(ctx.docs.write(HOLDOUT, key, doc, ctx.environment))
        emu.store.commit(writes)
    return Response(200, _rep(emu, ctx, doc))


ROUTES: tuple[Route, ...] = (
    route(ENVIRONMENT + "/holdouts", {"GET": list_holdouts, "POST": post_holdout}),
    route(ENVIRONMENT + "/holdouts/id/{holdoutId}", {"GET": get_holdout_by_id}),
    route(
        ENVIRONMENT + "/holdouts/{holdoutKey}",
        {"GET": get_holdout, "PATCH": patch_holdout},
        hints={"DELETE": "holdouts are never deleted: end one with the endHoldout instruction"},
    ),
)
