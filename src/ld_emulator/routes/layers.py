"""Layers, per project: create, list (``filter=reservations.experimentKey contains <key>``),
semantic patch. The spec has no single GET and no DELETE for a layer (405): read one from the
list; a layer stays, its reservations are removed with ``removeExperiment``.

``createLayer`` declares no 409 and a duplicate POST answered 400 on a live account: a key that
exists is a 400 under both profiles.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from ..context import Context
from ..documents import LAYER
from ..errors import ApiError, invalid, shorten
from ..messages import Request, Response
from ..objects import layers
from ..routing import Route, route
from ..semantic_patch import checked_instructions, located
from .common import PROJECT, context, live

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["ROUTES"]

JSON = dict[str, Any]

_FILTER = re.compile(r"^reservations\.experimentKey\s+contains\s+(\S+)$")


def _render(emu: Emulator, ctx: Context, doc: JSON) -> JSON:
    def experiment(env: str, key: str) -> JSON | None:
        stored = emu.store.get(ctx.project, env, key)
        return None if stored is None else stored.doc

    return layers.render_layer(
        ctx.project, doc, emu.catalog.environment_keys(ctx.project), experiment
    )


def get_layers(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    docs = ctx.docs.all(LAYER)
    raw = (req.query.get("filter") or "").strip()
    if raw:
        found = _FILTER.match(raw)
        if found is None:
            raise invalid(
                f"query parameter 'filter': unsupported filter '{shorten(raw, 80)}' (the only "
                "one is 'reservations.experimentKey contains <experiment key>')"
            )
        wanted = found.group(1)
        docs = [
            d
            for d in docs
            if any(r["experimentKey"] == wanted for rs in d["environments"].values() for r in rs)
        ]
    body = {
        "items": [_render(emu, ctx, d) for d in docs],
        "totalCount": len(docs),
        "_links": layers.layer_links(ctx.project),
    }
    return Response(200, body)


def create_layer(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    doc = layers.new_layer(req.body, ctx.clock())
    if ctx.docs.stored(LAYER, doc["key"]) is not None:
        raise invalid(f"A layer with key '{doc['key']}' already exists in project '{ctx.project}'")
    emu.store.commit([ctx.docs.write(LAYER, doc["key"], doc)])
    return Response(201, _render(emu, ctx, doc))


def update_layer(emu: Emulator, req: Request) -> Response:
    """Semantic patch, atomic. ``environmentKey`` (in the body) is where reservations change."""
    ctx = context(emu, req)
    key = req.params["layerKey"]
    instructions = checked_instructions(req.body, "LayerPatchInput", layers.INSTRUCTION_PARAMS)
    old = live(ctx, LAYER, key, "Layer")
    environment = req.body.get("environmentKey")
    environments = emu.catalog.environment_keys(ctx.project)
    if environment is not None and environment not in environments:
        raise invalid(
            f"field 'environmentKey': '{shorten(environment, 80)}' is not an environment of "
            f"project '{ctx.project}' (one of: {', '.join(environments)})"
        )
    others = [d for d in ctx.docs.all(LAYER) if d["key"] != key]

    def experiment(experiment_key: str) -> JSON | None:
        assert environment is not None
        stored = emu.store.get(ctx.project, environment, experiment_key)
        return None if stored is None else stored.doc

    def other_layer(experiment_key: str) -> str | None:
        for other in others:
            reserved = other["environments"].get(environment, [])
            if any(r["experimentKey"] == experiment_key for r in reserved):
                return str(other["key"])
        return None

    doc = copy.deepcopy(old)
    for index, instr in enumerate(instructions):
        try:
            layers.apply_instruction(doc, instr, environment, experiment, other_layer)
        except ApiError as exc:
            raise located(exc, index, instr["kind"]) from None
    doc["environments"] = {env: items for env, items in doc["environments"].items() if items}
    if doc != old:
        emu.store.commit([ctx.docs.write(LAYER, key, doc)])
    return Response(200, _render(emu, ctx, doc))


ROUTES: tuple[Route, ...] = (
    route(PROJECT + "/layers", {"GET": get_layers, "POST": create_layer}),
    route(PROJECT + "/layers/{layerKey}", {"PATCH": update_layer}),
)
