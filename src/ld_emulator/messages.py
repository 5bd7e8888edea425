"""What the application layer passes around: a parsed API request, an answer, JSON bodies.

The transport (:mod:`.server`) speaks bytes; the pipeline (:mod:`.pipeline`) builds a
:class:`Request` from them, handlers return a :class:`Response`, which encodes itself back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import invalid, shorten
from .server import HttpAnswer

__all__ = [
    "DEFAULT_API_VERSION",
    "HTML",
    "MAX_JSON_DEPTH",
    "Request",
    "Response",
    "parse_json",
]

DEFAULT_API_VERSION = "20240415"
HTML = "text/html; charset=utf-8"
#: Deepest nesting of arrays and objects accepted in a request body.
MAX_JSON_DEPTH = 64


@dataclass
class Request:
    """One API request, as the handlers see it (header names lower-case). ``member_id`` is the
    member behind the token, None for a service token (it has no member)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    params: dict[str, str] = field(default_factory=dict)
    body: Any = None
    raw_body: bytes = b""
    api_version: str = DEFAULT_API_VERSION
    read_only: bool = False
    member_id: str | None = None


@dataclass
class Response:
    """An answer: ``body`` is sent as JSON unless ``raw`` (with ``content_type``) is given.
    ``template`` is the route's OpenAPI path, for response validation."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    template: str | None = None
    raw: bytes | None = None
    content_type: str = "application/json"

    def encode(self) -> HttpAnswer:
        if self.raw is not None:
            payload = self.raw
        else:
            payload = b"" if self.body is None else json.dumps(self.body).encode("utf-8")
        headers = list(self.headers.items())
        if self.status != 204:  # No Content: no body, so no type
            headers.insert(0, ("Content-Type", self.content_type))
        return HttpAnswer(self.status, headers, payload)


def parse_json(raw: bytes) -> Any:
    """The request body as JSON; 400 naming the problem (never echoing the body)."""
    if not raw.strip():
        raise invalid("A JSON request body is required")
    try:
        value = json.loads(raw)
    except RecursionError:
        value = _TOO_DEEP
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid(f"Request body is not valid JSON: {shorten(str(exc), 200)}") from None
    if value is _TOO_DEEP or _deeper_than(value, MAX_JSON_DEPTH):
        raise invalid(
            f"Request body is nested too deeply: at most {MAX_JSON_DEPTH} levels of arrays and "
            "objects are accepted"
        )
    return value


_TOO_DEEP = object()


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays/objects nest more than ``limit`` levels (iterative: no recursion limit)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Iterable[Any] = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
