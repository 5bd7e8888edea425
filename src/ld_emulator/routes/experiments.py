"""Experiments: list (per environment and project-wide), create, read, semantic patch, and the
deprecated ``POST …/iterations`` (createIteration)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import serving
from ..errors import ApiError, invalid, not_found, shorten
from ..experiments import iterations, rendering
from ..experiments.model import Context
from ..messages import Request, Response
from ..routing import Route, route
from ..store import EXPERIMENT, Query, Write
from ..targeting import FLAG
from .common import (
    ENVIRONMENT,
    PROJECT,
    context,
    csv,
    expand,
    int_param,
    max_limit,
    page_links,
    write_expands,
)

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["ROUTES"]

JSON = dict[str, Any]

_FILTER_FIELDS = ("flagKey", "metricKey", "status")
_STATUSES = ("not_started", "running", "stopped")


def _query(req: Request, project: str, environment: str | None) -> Query:
    """The listing's ``filter`` and ``lifecycleState`` as a store query.

    As the spec describes them, ``status`` matches experiments with *an* iteration in that
    status, and ``flagKey``/``metricKey`` experiments that use the flag or metric, in any
    iteration (current, draft or previous).
    """
    wanted: dict[str, list[str]] = {name: [] for name in _FILTER_FIELDS}
    for part in csv(req.query.get("filter")):
        name, sep, value = part.partition(":")
        if not sep or name not in _FILTER_FIELDS:
            raise invalid(
                f"query parameter 'filter': unsupported filter '{shorten(part, 80)}' (use "
                f"field:value with field one of {', '.join(_FILTER_FIELDS)})"
            )
        if name == "status" and value not in _STATUSES:
            raise invalid(f"query parameter 'filter': status must be one of {', '.join(_STATUSES)}")
        wanted[name].append(value)
    states = set(csv(req.query.get("lifecycleState"))) or {"active"}
    unknown = states - {"active", "archived"}
    if unknown:
        raise invalid(
            f"query parameter 'lifecycleState': unknown value '{shorten(sorted(unknown)[0], 80)}' "
            "(use active, archived or both)"
        )
    return Query(
        project,
        environment,
        frozenset(states),
        statuses=tuple(wanted["status"]),
        flag_keys=tuple(wanted["flagKey"]),
        metric_keys=tuple(wanted["metricKey"]),
    )


def _list(emu: Emulator, req: Request, environment: str | None) -> Response:
    ctx = context(emu, req)
    limit = int_param(req, "limit", 20, 1, max_limit(emu))
    offset = int_param(req, "offset", 0, 0, None)
    expands = expand(req)
    query = _query(req, ctx.project, environment)
    total, page = emu.store.select(query, limit=limit, offset=offset)
    body = {
        "items": [rendering.render_experiment(ctx, s.doc, expands) for s in page],
        "total_count": total,
        "_links": page_links(req, total, limit, offset),
    }
    return Response(200, body)


def list_experiments(emu: Emulator, req: Request) -> Response:
    return _list(emu, req, req.params["environmentKey"])


def list_experiments_any_env(emu: Emulator, req: Request) -> Response:
    return _list(emu, req, None)


def create_experiment(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    doc = iterations.create_document(ctx, req.body)
    try:
        emu.store.insert(ctx.project, ctx.environment, doc["key"], doc)
    except ApiError as exc:
        if exc.status == 409 and "duplicate-key-400" in emu.profile:
            raise invalid(exc.message) from None
        raise
    return Response(201, rendering.render_experiment(ctx, doc, write_expands(emu)))


def _load(emu: Emulator, ctx: Context, key: str) -> tuple[JSON, int]:
    stored = emu.store.get(ctx.project, ctx.environment, key)
    if stored is None:
        raise not_found(
            f"Experiment '{key}' not found in environment '{ctx.environment}' of project "
            f"'{ctx.project}'"
        )
    return stored.doc, stored.version


def get_experiment(emu: Emulator, req: Request) -> Response:
    ctx = context(emu, req)
    expands = expand(req)
    doc, _ = _load(emu, ctx, req.params["experimentKey"])
    return Response(200, rendering.render_experiment(ctx, doc, expands))


def patch_experiment(emu: Emulator, req: Request) -> Response:
    """Semantic patch. Starting and stopping iterations change what the flags' rules serve
    (:mod:`..serving`): the experiment and those flags are written in one transaction."""
    ctx = context(emu, req)
    key = req.params["experimentKey"]
    doc, version = _load(emu, ctx, key)
    new = iterations.apply_instructions(ctx, doc, req.body)
    flags = serving.apply_effects(
        ctx.flags, ctx.environment, key, ctx.effects, emu.profile, ctx.clock
    )
    writes = [Write(EXPERIMENT, ctx.project, ctx.environment, key, new, version)]
    if new == doc:
        writes.clear()
    for flag_key, flag in flags.items():
        writes.append(Write(FLAG, ctx.project, "", flag_key, flag, ctx.flags.versions[flag_key]))
    emu.store.commit(writes)
    return Response(200, rendering.render_experiment(ctx, new, write_expands(emu)))


def create_iteration(emu: Emulator, req: Request) -> Response:
    """Deprecated by the spec (use updateExperimentFields and saveAndStartNewIteration); it
    still works there, so it still works here."""
    ctx = context(emu, req)
    key = req.params["experimentKey"]
    doc, version = _load(emu, ctx, key)
    new = iterations.new_draft_iteration(ctx, doc, req.body)
    emu.store.compare_and_swap(ctx.project, ctx.environment, key, version, new)
    iteration = new["current"] if doc["current"]["status"] == "not_started" else new["draft"]
    with_treatments = "write-without-expansions" not in emu.profile
    return Response(200, rendering.render_iteration(ctx, new, iteration, with_treatments))


ROUTES: tuple[Route, ...] = (
    route(ENVIRONMENT + "/experiments", {"GET": list_experiments, "POST": create_experiment}),
    route(
        ENVIRONMENT + "/experiments/{experimentKey}",
        {"GET": get_experiment, "PATCH": patch_experiment},
        hints={
            "DELETE": "experiments are never deleted: archive one with the archiveExperiment "
            "instruction"
        },
    ),
    route(ENVIRONMENT + "/experiments/{experimentKey}/iterations", {"POST": create_iteration}),
    route(PROJECT + "/experiments", {"GET": list_experiments_any_env}),
)
