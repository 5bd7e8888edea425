"""Account members, from the fixtures: listed, and read by ``_id`` or as ``me``.

``me`` is the member behind the request's token. A service token has none, so ``me`` is a 404
for it (verified against LaunchDarkly). Member writes are declared by the spec and not emulated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import invalid, not_found, shorten
from ..messages import Request, Response
from ..routing import Route, route
from .common import API_V2, counted_page, csv

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["ROUTES"]

JSON = dict[str, Any]

#: The ``filter`` fields supported (``field:value``; ``|`` separates alternatives).
_FILTERS = ("query", "role", "id", "email")


def _matches(member: JSON, name: str, value: str) -> bool:
    if name == "query":
        text = " ".join(str(member.get(k, "")) for k in ("email", "firstName", "lastName")).lower()
        return value.lower() in text
    field = "_id" if name == "id" else name
    return str(member.get(field, "")) in value.split("|")


def get_members(emu: Emulator, req: Request) -> Response:
    members = [emu.catalog.render_member(k) for k in emu.catalog.members]
    for part in csv(req.query.get("filter")):
        name, sep, value = part.partition(":")
        if not sep or name not in _FILTERS:
            raise invalid(
                f"query parameter 'filter': unsupported filter '{shorten(part, 80)}' (use "
                f"field:value with field one of {', '.join(_FILTERS)})"
            )
        members = [m for m in members if _matches(m, name, value)]
    return Response(200, counted_page(req, members, None, lambda member: member))


def get_member(emu: Emulator, req: Request) -> Response:
    wanted = req.params["id"]
    if wanted == "me":
        if req.member_id is None:
            raise not_found(
                "No member behind this access token: it is a service token (read members by "
                "_id, GET /api/v2/members)"
            )
        wanted = req.member_id
    if wanted not in emu.catalog.members:
        raise not_found(f"Member '{shorten(wanted, 80)}' not found")
    return Response(200, emu.catalog.render_member(wanted))


ROUTES: tuple[Route, ...] = (
    route(API_V2 + "/members", {"GET": get_members}, not_emulated=("POST", "PATCH")),
    route(API_V2 + "/members/{id}", {"GET": get_member}, not_emulated=("PATCH", "DELETE")),
)
