"""The request log: what API requests the emulator answered, for tests to assert on.

A bounded ring buffer (the oldest entries go first), thread-safe, with ``Authorization``
always redacted. Admin calls (``/_emulator/…``) are not logged.
"""

from __future__ import annotations

import copy
import json
import threading
from collections import deque
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .errors import shorten

__all__ = [
    "DEFAULT_REQUEST_LOG_SIZE",
    "LOGGED_HEADERS",
    "MAX_LOGGED_BODY",
    "REDACTED",
    "RequestLog",
]

JSON = dict[str, Any]

#: Entries the request log keeps by default; older ones are evicted first.
DEFAULT_REQUEST_LOG_SIZE = 10_000
LOGGED_HEADERS = ("LD-API-Version", "Content-Type", "User-Agent")
REDACTED = "<redacted>"
#: Bodies larger than this are logged as ``None`` (the log keeps what a test asserts on).
MAX_LOGGED_BODY = 64 * 1024


class RequestLog:
    """The last ``size`` entries (0 keeps none, None keeps everything)."""

    def __init__(self, size: int | None = DEFAULT_REQUEST_LOG_SIZE) -> None:
        if size is not None and size < 0:
            raise ValueError("request_log_size must be >= 0 (or None for no bound)")
        self._entries: deque[JSON] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._evicted = 0

    @property
    def size(self) -> int | None:
        return self._entries.maxlen

    def entries(self) -> list[JSON]:
        with self._lock:
            return copy.deepcopy(list(self._entries))

    def evicted(self) -> int:
        with self._lock:
            return self._evicted

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._evicted = 0

    def record(
        self,
        method: str,
        target: str,
        headers: Iterable[tuple[str, str]],
        raw: bytes,
        status: int | None,
    ) -> None:
        if self._entries.maxlen == 0:
            return
        entry = log_entry(method, target, headers, raw, status)
        with self._lock:
            if len(self._entries) == self._entries.maxlen:
                self._evicted += 1
            self._entries.append(entry)


def log_entry(
    method: str, target: str, headers: Iterable[tuple[str, str]], raw: bytes, status: int | None
) -> JSON:
    """``{"method", "path", "query", "status", "body", "headers"}`` for one request."""
    parts = urlsplit(target)
    wanted = {h.lower(): h for h in LOGGED_HEADERS}
    logged: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        if lower == "authorization":
            logged["Authorization"] = REDACTED
        elif lower in wanted:
            logged[wanted[lower]] = shorten(value, 200)
    body: Any = None
    if raw.strip() and len(raw) <= MAX_LOGGED_BODY:
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            body = None
    return {
        "method": method.upper(),
        "path": parts.path,
        "query": {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
        "status": status,
        "body": body,
        "headers": logged,
    }
