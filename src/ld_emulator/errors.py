"""LaunchDarkly's error answers: an HTTP status plus a ``{"code", "message"}`` body.

Every module raises :class:`ApiError` (or one of the helpers below); the request pipeline turns
it into the answer. Messages are bounded (:data:`MAX_MESSAGE`), so an answer never grows with
the size of the request that caused it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_MESSAGE", "ApiError", "conflict", "invalid", "not_found", "shorten"]

#: Longest error message the emulator sends: a message may quote what the client sent, and
#: never grows with the size of the request.
MAX_MESSAGE = 1024


def shorten(text: str, limit: int) -> str:
    """``text`` cut after ``limit`` characters, saying how many were left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


class ApiError(Exception):
    """An error answer: HTTP status plus LaunchDarkly's ``{"code", "message"}`` body.

    The message is capped at :data:`MAX_MESSAGE` characters.
    """

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": shorten(self.message, MAX_MESSAGE)}


def invalid(message: str) -> ApiError:
    """400 ``invalid_request``."""
    return ApiError(400, "invalid_request", message)


def not_found(message: str) -> ApiError:
    """404 ``not_found``."""
    return ApiError(404, "not_found", message)


def conflict(message: str) -> ApiError:
    """409 ``optimistic_locking_error``: what LaunchDarkly answers when a write lost a race,
    and (verified live) when a rule is already in another running experiment."""
    return ApiError(409, "optimistic_locking_error", message)
