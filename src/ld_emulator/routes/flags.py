"""Feature flags: the stored flag documents, listed, read in the spec's ``FeatureFlag``, and
changed with a semantic patch (:mod:`..flag_instructions`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import not_found
from ..experiments.model import now_ms
from ..flag_instructions import apply_flag_patch
from ..messages import Request, Response
from ..routing import Route, route
from ..store import StoredDocument, Write
from ..targeting import FLAG, render_flag
from .common import API_V2, counted_page

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["ROUTES", "change_flag"]

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
    tag = req.query.get("tag")
    flags = [stored.doc for stored in emu.store.documents(FLAG, project)]
    if tag:
        flags = [f for f in flags if tag in f["tags"]]

    def render(flag: JSON) -> JSON:
        return _render(emu, project, flag, env)

    return Response(200, counted_page(req, flags, 100, render))


def get_flag(emu: Emulator, req: Request) -> Response:
    project, key = req.params["projectKey"], req.params["featureFlagKey"]
    stored = _load(emu, project, key)
    env = req.query.get("env") or None
    return Response(200, _render(emu, project, stored.doc, env))


def _load(emu: Emulator, project: str, key: str) -> StoredDocument:
    emu.catalog.project(project)
    stored = emu.store.document(FLAG, project, key)
    if stored is None:
        raise not_found(f"Flag '{key}' not found in project '{project}'")
    return stored


def patch_flag(emu: Emulator, req: Request) -> Response:
    """Semantic patch of the flag's targeting in one environment. ``dryRun=true`` answers what
    the flag would become without writing it; ``ignoreConflicts`` is accepted and has no
    effect (the emulator has no scheduled changes or approvals)."""
    project, key = req.params["projectKey"], req.params["featureFlagKey"]
    dry_run = req.query.get("dryRun", "").lower() in ("true", "1")
    return Response(200, change_flag(emu, project, key, req.body, dry_run=dry_run))


def change_flag(emu: Emulator, project: str, key: str, body: Any, *, dry_run: bool = False) -> JSON:
    """Apply a flag semantic patch (compare-and-swap on the flag); the flag it leaves."""
    stored = _load(emu, project, key)
    environments = emu.catalog.environment_keys(project)
    new, changed = apply_flag_patch(stored.doc, body, environments, now_ms)
    if changed and not dry_run:
        emu.store.commit([Write(FLAG, project, "", key, new, stored.version)])
    return _render(emu, project, new, None)


ROUTES: tuple[Route, ...] = (
    route(API_V2 + "/flags/{projectKey}", {"GET": get_flags}, not_emulated=("POST",)),
    route(
        API_V2 + "/flags/{projectKey}/{featureFlagKey}",
        {"GET": get_flag, "PATCH": patch_flag},
        not_emulated=("DELETE",),
        json_patch_declared=True,
    ),
)
