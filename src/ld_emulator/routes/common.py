"""What every resource's handlers share: the request's context, query parameters, pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from ..catalog import link
from ..documents import Documents
from ..errors import invalid, not_found, shorten
from ..experiments.model import KNOWN_EXPANDS, WRITE_EXPANDS, Context
from ..messages import Request
from ..store import Store
from ..targeting import FLAG

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = [
    "API_V2",
    "ENVIRONMENT",
    "MAX_LIMIT",
    "PROJECT",
    "STRICT_MAX_LIMIT",
    "StoredFlags",
    "context",
    "counted_page",
    "csv",
    "expand",
    "int_param",
    "live",
    "max_limit",
    "page",
    "page_links",
    "write_expands",
]

JSON = dict[str, Any]
T = TypeVar("T")

API_V2 = "/api/v2"
PROJECT = API_V2 + "/projects/{projectKey}"
ENVIRONMENT = PROJECT + "/environments/{environmentKey}"

#: Largest ``limit`` on experiment and holdout listings: the spec gives only the default (20);
#: ``lenient`` accepts up to 50, ``strict`` (point ``list-limit-20``) up to 20.
MAX_LIMIT = 50
STRICT_MAX_LIMIT = 20


class StoredFlags:
    """The project's flag documents as a request reads them: each read once, with the version
    it was read at (for the compare-and-swap of a write)."""

    def __init__(self, store: Store, project: str) -> None:
        self.store = store
        self.project = project
        self.versions: dict[str, int] = {}
        self._docs: dict[str, JSON | None] = {}

    def get(self, key: str) -> JSON | None:
        if key not in self._docs:
            stored = self.store.document(FLAG, self.project, key)
            self._docs[key] = None if stored is None else stored.doc
            if stored is not None:
                self.versions[key] = stored.version
        return self._docs[key]


def context(emu: Emulator, req: Request) -> Context:
    """Where the request acts: 404 for an unknown project or environment."""
    project = req.params["projectKey"]
    emu.catalog.project(project)
    environment = req.params.get("environmentKey", "")
    if environment:
        emu.catalog.environment(project, environment)
    return Context(
        emu.catalog,
        project,
        environment,
        req.member_id,
        Documents(emu.store, project),
        profile=emu.profile,
        flags=StoredFlags(emu.store, project),
    )


def counted_page(
    req: Request, items: Sequence[T], high: int | None, render: Callable[[T], JSON]
) -> JSON:
    """One page of a listing that counts in ``totalCount`` (metrics, metric groups, flags,
    members): ``{"items", "totalCount", "_links"}``, ``limit`` 1 to ``high`` (default 20)."""
    limit, offset = page(req, high)
    return {
        "items": [render(item) for item in items[offset : offset + limit]],
        "totalCount": len(items),
        "_links": page_links(req, len(items), limit, offset),
    }


def live(ctx: Context, kind: str, key: str, label: str, environment: str = "") -> JSON:
    """The live document of ``kind``, or 404 naming it (``label``: "Metric", "Holdout", ...)."""
    doc = ctx.docs.live(kind, key, environment)
    if doc is None:
        where = f"environment '{environment}'" if environment else f"project '{ctx.project}'"
        raise not_found(f"{label} '{key}' not found in {where}")
    return doc


def page(req: Request, high: int | None) -> tuple[int, int]:
    """``(limit, offset)`` of a listing: ``limit`` 1 to ``high`` (default 20), ``offset`` >= 0."""
    return int_param(req, "limit", 20, 1, high), int_param(req, "offset", 0, 0, None)


def int_param(req: Request, name: str, default: int, low: int, high: int | None) -> int:
    raw = req.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f">= {low}"
        raise invalid(
            f"query parameter '{name}' must be an integer {bound} (got '{shorten(raw, 40)}')"
        )
    return value


def csv(raw: str | None) -> list[str]:
    return [p.strip() for p in (raw or "").split(",") if p.strip()]


def expand(req: Request) -> set[str]:
    values = set(csv(req.query.get("expand")))
    unknown = values - KNOWN_EXPANDS
    if unknown:
        raise invalid(
            f"query parameter 'expand': unknown value '{shorten(sorted(unknown)[0], 80)}' "
            f"(supported: {', '.join(sorted(KNOWN_EXPANDS))})"
        )
    return values


def page_links(req: Request, total: int, limit: int, offset: int) -> JSON:
    def href(new_offset: int | None) -> str:
        query = dict(req.query)
        if new_offset is not None:
            query["offset"] = str(new_offset)
            query["limit"] = str(limit)
        return req.path + ("?" + urlencode(query) if query else "")

    links: JSON = {"self": link(href(None)), "first": link(href(0))}
    if offset > 0:
        links["prev"] = link(href(max(0, offset - limit)))
    if offset + limit < total:
        links["next"] = link(href(offset + limit))
    last = max(0, ((total - 1) // limit) * limit) if total else 0
    links["last"] = link(href(last))
    return links


def max_limit(emu: Emulator) -> int:
    return STRICT_MAX_LIMIT if "list-limit-20" in emu.profile else MAX_LIMIT


def write_expands(emu: Emulator) -> frozenset[str]:
    """What a POST/PATCH answer renders: everything (lenient) or nothing (strict)."""
    if "write-without-expansions" in emu.profile:
        return frozenset()
    return WRITE_EXPANDS
