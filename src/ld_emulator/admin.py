"""The admin endpoints under ``/_emulator``: health, request log, faults, reset.

No token, no faults, not logged: the emulator is a loopback development tool.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import MAX_MESSAGE, ApiError, invalid, not_found, shorten
from .messages import Response, parse_json

if TYPE_CHECKING:
    from .emulator import Emulator

__all__ = ["ADMIN_PREFIX", "ADMIN_ROUTES", "answer", "is_admin"]

ADMIN_PREFIX = "/_emulator"

AdminHandler = Callable[["Emulator", bytes], Response]


def _health(emu: Emulator, raw: bytes) -> Response:
    return Response(200, {"status": "ok", "url": emu.url, **emu.profile.describe()})


def _requests(emu: Emulator, raw: bytes) -> Response:
    return Response(200, {"items": emu.requests(), "evicted": emu.evicted_requests()})


def _clear_requests(emu: Emulator, raw: bytes) -> Response:
    emu.clear_requests()
    return Response(200, {"cleared": True})


def _faults(emu: Emulator, raw: bytes) -> Response:
    return Response(200, {"items": emu.faults.active()})


def _add_fault(emu: Emulator, raw: bytes) -> Response:
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise invalid("expected a JSON object with a 'kind'")
    try:
        fault = emu.faults.add(data)
    except (ValueError, re.error) as exc:
        raise invalid(shorten(str(exc), MAX_MESSAGE)) from None
    return Response(201, {"fault": fault.describe()})


def _clear_faults(emu: Emulator, raw: bytes) -> Response:
    emu.faults.clear()
    return Response(200, {"cleared": True})


def _reset(emu: Emulator, raw: bytes) -> Response:
    emu.reset()
    return Response(200, {"reset": True})


ADMIN_ROUTES: dict[str, dict[str, AdminHandler]] = {
    ADMIN_PREFIX + "/health": {"GET": _health},
    ADMIN_PREFIX + "/requests": {"GET": _requests, "DELETE": _clear_requests},
    ADMIN_PREFIX + "/faults": {"GET": _faults, "POST": _add_fault, "DELETE": _clear_faults},
    ADMIN_PREFIX + "/reset": {"POST": _reset},
}


def is_admin(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def answer(emu: Emulator, method: str, path: str, raw: bytes) -> Response:
    """The answer to one admin request (errors as JSON, like the API's)."""
    path = path.rstrip("/")
    methods = ADMIN_ROUTES.get(path)
    try:
        if methods is None:
            raise not_found(f"Unknown admin path {shorten(path, 200)}")
        handler = methods.get(method.upper())
        if handler is None:
            allowed = sorted(methods)
            raise ApiError(
                405,
                "method_not_allowed",
                f"Method {shorten(method, 40)} is not allowed on {path}; allowed: "
                f"{', '.join(allowed)}",
                {"Allow": ", ".join(allowed)},
            )
        return handler(emu, raw)
    except ApiError as exc:
        return Response(exc.status, exc.body(), dict(exc.headers))
