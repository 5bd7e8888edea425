"""Fault injection: make the emulator fail the way a real network and API can.

Every rule matches on an optional HTTP method and an optional regular expression searched in
the URL path (``re.search``, so ``"/experiments$"`` or ``"experiments/my-key"`` both work).
Faults apply to API paths only, never to ``/_emulator/`` admin paths.

Kinds:

* ``fail_next(n, status, html=None)``: the next ``n`` matching requests are answered with
  ``status`` and a LaunchDarkly-style error body, without being processed. 429 also carries
  ``Retry-After: 1``. A 502/503/504 can instead carry the HTML page a load balancer sends
  (``html=True``, or by default under the ``strict`` profile).
* ``delay(seconds, count=None, after_processing=False)``: sleep before processing (or after
  processing, before answering). ``count=None`` means every matching request until cleared.
* ``drop_next(n, after_processing=False)``: close the connection without any answer. With
  ``after_processing=True`` the request is applied first: the client cannot know the outcome.
* ``rate_limit(limit, window_seconds, header)``: fixed windows of ``window_seconds``; beyond
  ``limit`` matching requests per window the answer is 429 ``rate_limited`` with either
  ``X-Ratelimit-Reset`` (epoch milliseconds of the window end) plus
  ``X-Ratelimit-Route-Remaining: 0``, or ``Retry-After`` (whole seconds, at least 1).
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["GATEWAY_STATUSES", "Fault", "FaultPlan", "Faults", "gateway_page"]

_KINDS = ("fail_next", "delay", "drop_next", "rate_limit")
#: Statuses a load balancer or gateway in front of the API answers itself.
GATEWAY_STATUSES = frozenset({502, 503, 504})

_ERROR_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "optimistic_locking_error",
    429: "rate_limited",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


@dataclass
class Fault:
    """One registered fault rule (see the module docstring for the kinds)."""

    kind: str
    method: str | None = None
    path: str | None = None
    remaining: int | None = None
    status: int = 503
    seconds: float = 0.0
    after_processing: bool = False
    limit: int = 0
    window_seconds: float = 10.0
    header: str = "X-Ratelimit-Reset"
    html: bool | None = None
    window_start: float = 0.0
    window_count: int = 0
    _pattern: re.Pattern[str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (one of {', '.join(_KINDS)})")
        self.method = self.method.upper() if self.method else None
        self._pattern = re.compile(self.path) if self.path else None

    def matches(self, method: str, path: str) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method is not None and self.method != method.upper():
            return False
        return self._pattern is None or self._pattern.search(path) is not None

    def describe(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "method": self.method, "path": self.path}
        if self.kind in ("fail_next", "drop_next") or self.remaining is not None:
            data["remaining"] = self.remaining
        if self.kind == "fail_next":
            data["status"] = self.status
            if self.html is not None:
                data["html"] = self.html
        if self.kind == "delay":
            data["seconds"] = self.seconds
        if self.kind in ("delay", "drop_next"):
            data["after_processing"] = self.after_processing
        if self.kind == "rate_limit":
            data.update(limit=self.limit, window_seconds=self.window_seconds, header=self.header)
        return data


@dataclass
class FaultPlan:
    """What to do with one request, decided atomically when it arrives."""

    delay_before: float = 0.0
    delay_after: float = 0.0
    drop_before: bool = False
    drop_after: bool = False
    fail_status: int | None = None
    fail_body: dict[str, str] | None = None
    fail_headers: dict[str, str] = field(default_factory=dict)
    fail_html: bool = False
    extra_headers: dict[str, str] = field(default_factory=dict)


def gateway_page(status: int) -> bytes:
    """The HTML body a load balancer sends with a 502/503/504: no JSON at all."""
    phrase = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}
    title = f"{status} {phrase.get(status, 'Error')}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    ).encode("ascii")


def error_code_for(status: int) -> str:
    return _ERROR_CODES.get(status, "emulated_fault")


class Faults:
    """Thread-safe registry of fault rules (``Emulator.faults``).

    ``clock`` (epoch seconds, for rate-limit windows and their reset times) and ``sleep`` (what
    a ``delay`` waits with) are injectable, so that a test can step time instead of waiting
    for it; they default to :func:`time.time` and :func:`time.sleep`.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self.clock = clock
        self.sleep = sleep
        #: Whether injected 502/503/504 answers are an HTML page (the emulator's ``strict``
        #: profile sets this) unless a rule says otherwise with ``html=``.
        self.html_gateway_errors = False

    def _add(self, fault: Fault) -> Fault:
        with self._lock:
            self._rules.append(fault)
        return fault

    def fail_next(
        self,
        n: int = 1,
        status: int = 503,
        method: str | None = None,
        path: str | None = None,
        html: bool | None = None,
    ) -> Fault:
        """``html``: answer 502/503/504 with an HTML page instead of JSON (None: as the
        emulator's profile says; ``strict`` sends HTML)."""
        if n < 1 or not 400 <= status <= 599:
            raise ValueError("fail_next needs n >= 1 and a 4xx/5xx status")
        if html is not None and not isinstance(html, bool):
            raise ValueError("html must be true, false or null")
        return self._add(Fault("fail_next", method, path, remaining=n, status=status, html=html))

    def delay(
        self,
        seconds: float,
        method: str | None = None,
        path: str | None = None,
        count: int | None = None,
        after_processing: bool = False,
    ) -> Fault:
        if seconds < 0 or (count is not None and count < 1):
            raise ValueError("delay needs seconds >= 0 and count >= 1 (or None)")
        return self._add(
            Fault(
                "delay",
                method,
                path,
                remaining=count,
                seconds=float(seconds),
                after_processing=after_processing,
            )
        )

    def drop_next(
        self,
        n: int = 1,
        method: str | None = None,
        path: str | None = None,
        after_processing: bool = False,
    ) -> Fault:
        if n < 1:
            raise ValueError("drop_next needs n >= 1")
        return self._add(
            Fault("drop_next", method, path, remaining=n, after_processing=after_processing)
        )

    def rate_limit(
        self,
        limit: int,
        window_seconds: float = 10.0,
        method: str | None = None,
        path: str | None = None,
        header: str = "X-Ratelimit-Reset",
    ) -> Fault:
        if limit < 0 or window_seconds <= 0:
            raise ValueError("rate_limit needs limit >= 0 and window_seconds > 0")
        if header.lower() not in ("x-ratelimit-reset", "retry-after"):
            raise ValueError("header must be 'X-Ratelimit-Reset' or 'Retry-After'")
        canonical = "Retry-After" if header.lower() == "retry-after" else "X-Ratelimit-Reset"
        return self._add(
            Fault(
                "rate_limit",
                method,
                path,
                limit=limit,
                window_seconds=float(window_seconds),
                header=canonical,
            )
        )

    def add(self, spec: dict[str, Any]) -> Fault:
        """Register a fault from a JSON object ``{"kind": ..., <same parameters>}``."""
        params = dict(spec)
        kind = params.pop("kind", None)
        if kind not in _KINDS:
            raise ValueError(f"'kind' must be one of {', '.join(_KINDS)}")
        method: Any = getattr(self, str(kind))
        try:
            fault: Fault = method(**params)
        except TypeError as exc:
            raise ValueError(f"bad parameters for {kind}: {exc}") from None
        return fault

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.describe() for r in self._rules]

    def plan(self, method: str, path: str) -> FaultPlan:
        """Decide (and consume counters) for one incoming request."""
        plan = FaultPlan()
        now = self.clock()
        with self._lock:
            for rule in self._rules:
                if rule.kind != "delay" or not rule.matches(method, path):
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                if rule.after_processing:
                    plan.delay_after += rule.seconds
                else:
                    plan.delay_before += rule.seconds
            for rule in self._rules:
                if rule.kind not in ("fail_next", "drop_next") or not rule.matches(method, path):
                    continue
                assert rule.remaining is not None
                rule.remaining -= 1
                if rule.kind == "drop_next":
                    if rule.after_processing:
                        plan.drop_after = True
                    else:
                        plan.drop_before = True
                else:
                    plan.fail_status = rule.status
                    plan.fail_body = {
                        "code": error_code_for(rule.status),
                        "message": f"Injected fault: HTTP {rule.status} (emulator fail_next)",
                    }
                    html = self.html_gateway_errors if rule.html is None else rule.html
                    plan.fail_html = html and rule.status in GATEWAY_STATUSES
                    if rule.status == 429:
                        plan.fail_headers["Retry-After"] = "1"
                break
            if plan.fail_status is None and not plan.drop_before:
                for rule in self._rules:
                    if rule.kind != "rate_limit" or not rule.matches(method, path):
                        continue
                    if now >= rule.window_start + rule.window_seconds:
                        rule.window_start = now
                        rule.window_count = 0
                    window_end = rule.window_start + rule.window_seconds
                    if rule.window_count >= rule.limit:
                        plan.fail_status = 429
                        plan.fail_body = {
                            "code": "rate_limited",
                            "message": f"Rate limit of {rule.limit} requests per "
                            f"{rule.window_seconds:g}s exceeded; retry later",
                        }
                        if rule.header == "Retry-After":
                            wait = max(1, math.ceil(window_end - now))
                            plan.fail_headers["Retry-After"] = str(wait)
                        else:
                            plan.fail_headers["X-Ratelimit-Reset"] = str(int(window_end * 1000))
                            plan.fail_headers["X-Ratelimit-Route-Remaining"] = "0"
                        break
                    rule.window_count += 1
                    if rule.header == "X-Ratelimit-Reset":
                        plan.extra_headers["X-Ratelimit-Reset"] = str(int(window_end * 1000))
                        plan.extra_headers["X-Ratelimit-Route-Remaining"] = str(
                            rule.limit - rule.window_count
                        )
            self._rules = [r for r in self._rules if r.remaining is None or r.remaining > 0]
        return plan
