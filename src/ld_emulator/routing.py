"""Routes: an OpenAPI path template, the handler of each method it serves, and what the spec
declares there that the emulator does not emulate.

A route matches one path; ``{name}`` in its template matches one path segment (URL-decoded
into ``Request.params``). A method the route does not serve is a 405 with ``Allow``, saying
"declared by the API but not emulated" when the spec declares it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from . import spec
from .errors import ApiError, invalid, shorten
from .messages import Request, Response

if TYPE_CHECKING:
    from .emulator import Emulator

__all__ = [
    "SERVED_METHODS",
    "Handler",
    "Route",
    "check_query_types",
    "match_route",
    "method_not_allowed",
    "route",
]

Handler = Callable[["Emulator", Request], Response]

#: Methods the LaunchDarkly API uses. Any other (HEAD, OPTIONS, TRACE, CONNECT, made-up ones) is
#: answered 405 with ``Allow`` before authentication: no route serves it.
SERVED_METHODS = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE"})


@dataclass
class Route:
    pattern: re.Pattern[str]
    template: str
    methods: dict[str, Handler]
    beta: bool = False
    not_emulated: tuple[str, ...] = ()
    #: The spec also declares JSON Patch / JSON merge patch bodies for its PATCH (not emulated).
    json_patch_declared: bool = False
    #: Its PATCH takes a JSON Patch (RFC 6902), not a semantic patch.
    json_patch: bool = False
    #: What a 405 for a method adds, e.g. how to do what the method would have done.
    hints: tuple[tuple[str, str], ...] = ()


def route(
    template: str,
    methods: dict[str, Handler],
    beta: bool = False,
    not_emulated: tuple[str, ...] = (),
    json_patch_declared: bool = False,
    hints: dict[str, str] | None = None,
    json_patch: bool = False,
) -> Route:
    """A route from its OpenAPI path template: ``{name}`` matches one path segment."""
    pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return Route(
        re.compile(f"^{pattern}$"),
        template,
        methods,
        beta,
        not_emulated,
        json_patch_declared,
        json_patch,
        tuple((hints or {}).items()),
    )


def match_route(routes: Iterable[Route], path: str) -> tuple[Route, dict[str, str]] | None:
    for candidate in routes:
        found = candidate.pattern.match(path)
        if found:
            return candidate, {k: unquote(v) for k, v in found.groupdict().items()}
    return None


def method_not_allowed(found: Route, method: str, path: str) -> ApiError:
    allowed = sorted(found.methods)
    extra = " (declared by the API but not emulated)" if method in found.not_emulated else ""
    extra += "".join(f" ({hint})" for name, hint in found.hints if name == method)
    return ApiError(
        405,
        "method_not_allowed",
        f"Method {shorten(method, 40)} is not allowed on {shorten(path, 200)}{extra}; allowed: "
        f"{', '.join(allowed) or 'none'}",
        {"Allow": ", ".join(allowed)},
    )


INT64 = (-(2**63), 2**63 - 1)
#: Booleans as LaunchDarkly reads them in a query (its docs use ``summary=0``).
_BOOLEANS = frozenset({"true", "false", "1", "0"})


def check_query_types(found: Route, method: str, query: dict[str, str]) -> None:
    """400 for a declared query parameter whose value is not of the spec's type.

    Integers are ``int64`` as the spec's ``format`` says; booleans are true/false/1/0.
    Parameters the spec does not declare are ignored, as LaunchDarkly does. (Some listings,
    e.g. metrics and members, declare no 400 at all; they answer 400 too, as LaunchDarkly's
    error table has it for any request it cannot understand.)
    """
    for name, schema in spec.query_parameters(found.template, method).items():
        raw = query.get(name)
        if raw is None:
            continue
        kind = schema.get("type")
        if kind == "integer":
            try:
                value = int(raw)
            except ValueError:
                value = None
            if value is None or not INT64[0] <= value <= INT64[1]:
                raise invalid(
                    f"query parameter '{name}' must be a 64-bit integer (got '{shorten(raw, 40)}')"
                )
        elif kind == "boolean" and raw.lower() not in _BOOLEANS:
            raise invalid(
                f"query parameter '{name}' must be true or false (got '{shorten(raw, 40)}')"
            )
