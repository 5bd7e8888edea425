"""The one HTTP client for LaunchDarkly's REST API: transport only (the paths are the kinds').

It owns authentication headers, timeouts, the client-side concurrency limit, retries with backoff
and jitter, and the mapping of error answers onto ``errors.APIError``. What it does not own is
injected: ``transport=`` (an ``httpx.BaseTransport``, e.g. ``httpx.MockTransport``), ``retry=``
(deadline and backoff bounds), ``sleep=`` and ``clock=`` (how retries wait and measure the
deadline) and ``wall_clock=`` (epoch seconds, to turn ``X-Ratelimit-Reset`` into a wait).

Retry policy (also stated in the README):

* idempotent requests (GET) are retried on 429, 500, 502, 503, 504, timeouts and connection errors;
* non-idempotent requests (POST, PATCH) are retried only when the request surely was not applied:
  429 and failures to connect. Any other failure leaves the outcome unknown and raises
  ``OutcomeUnknown``; the caller then re-reads before deciding what to send again;
* waits honour ``Retry-After`` (seconds) or ``X-Ratelimit-Reset`` (epoch ms), otherwise exponential
  backoff from 0.2 s to 10 s with full jitter; all retries of one call share one deadline.
"""

from __future__ import annotations

import importlib
import json
import logging
import random
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

from ..errors import (
    APIError,
    OutcomeUnknown,
    RetryBudgetExceeded,
    TransportError,
    error_class_for,
)
from ..version import DISTRIBUTION, VERSION

API_VERSION = "20240415"
SEMANTIC_PATCH = "application/json; domain-model=launchdarkly.semanticpatch"
USER_AGENT = f"{DISTRIBUTION}/{VERSION}"

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
_MIN_BACKOFF = 0.2
_MAX_BACKOFF = 10.0

logger = logging.getLogger("launchdarkly_experiments.http")


def _httpx() -> ModuleType:
    """httpx, imported on first use: a program declaring resources never sends a request.

    httpx's package imports its command-line module, which imports click, rich and pygments
    when they are installed (about 60 ms); it falls back to a stub ``httpx.main`` when that
    import fails, so a ``None`` entry in ``sys.modules`` (an import that fails, by the import
    system's rules) keeps them out for the import of httpx only.
    """
    module = sys.modules.get("httpx")
    if module is None:
        blocked = "httpx._main" not in sys.modules
        if blocked:
            sys.modules["httpx._main"] = None  # type: ignore[assignment]
        try:
            module = importlib.import_module("httpx")
        finally:
            if blocked:
                del sys.modules["httpx._main"]
    return module


@dataclass(frozen=True)
class RetryPolicy:
    deadline: float = 120.0
    min_backoff: float = _MIN_BACKOFF
    max_backoff: float = _MAX_BACKOFF


class RetryWindow:
    """Waits between attempts of one operation, all within one deadline.

    The client uses one per request; the reconciler uses one per operation to space out re-reads
    after an unknown outcome.
    """

    def __init__(
        self, policy: RetryPolicy, sleep: Callable[[float], None], clock: Callable[[], float]
    ) -> None:
        self._policy, self._sleep, self._clock = policy, sleep, clock
        self._started = clock()
        self.attempts = 0

    def wait(self, failure: BaseException, server_wait: float | None = None) -> None:
        """Sleep before the next attempt, or raise ``RetryBudgetExceeded`` naming ``failure``."""
        self.attempts += 1
        elapsed = self._clock() - self._started
        remaining = self._policy.deadline - elapsed
        if server_wait is None:
            ceiling = min(
                self._policy.max_backoff, self._policy.min_backoff * 2 ** (self.attempts - 1)
            )
            delay = random.uniform(self._policy.min_backoff / 2, ceiling)  # full jitter
        else:
            # Jitter on top of the server's wait spreads clients that were limited together.
            delay = server_wait + random.uniform(0, 0.1 * server_wait + 0.05)
        if delay > remaining:
            raise RetryBudgetExceeded(
                f"gave up after {self.attempts} attempt(s) in {elapsed:.1f}s "
                f"(retry deadline {self._policy.deadline:g}s); last failure: {failure}"
            ) from (failure if isinstance(failure, APIError) else None)
        # Warning level: a long wait should be visible in `pulumi up` (the engine shows stderr).
        logger.warning("retrying in %.2fs after: %s (attempt %d)", delay, failure, self.attempts)
        self._sleep(delay)


class LaunchDarklyClient:
    """A thread-safe client; one instance serves every call of a provider host."""

    def __init__(
        self,
        access_token: str,
        api_host: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        max_concurrent_requests: int = 4,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._token = access_token
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._slots = threading.BoundedSemaphore(max(1, int(max_concurrent_requests)))
        httpx = _httpx()
        self._http = httpx.Client(
            base_url=api_host,
            timeout=httpx.Timeout(timeout),
            transport=transport,
            # A plain-HTTP host (the emulator) never uses TLS: no CA bundle to load, which is
            # 30-60 ms of every provider process's first call.
            verify=not api_host.lower().startswith("http://"),
            headers={
                "Authorization": access_token,
                "LD-API-Version": API_VERSION,
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            },
        )

    def __repr__(self) -> str:  # never show the token
        return f"LaunchDarklyClient(api_host={str(self._http.base_url)!r})"

    def close(self) -> None:
        self._http.close()

    def retry_window(self) -> RetryWindow:
        """A fresh window with this client's deadline, for retrying a whole operation."""
        return RetryWindow(self._retry, self._sleep, self._clock)

    # -- experiments ------------------------------------------------------------------------

    # -- transport --------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request with retries; return the decoded JSON body (or None)."""
        httpx = _httpx()
        idempotent = method in ("GET", "HEAD", "OPTIONS")
        window = self.retry_window()
        extra = dict(headers or {})
        headers = {"Content-Type": content_type or "application/json"} if json is not None else {}
        headers.update(extra)
        content = _encode(json) if json is not None else None
        while True:
            server_wait: float | None = None
            try:
                with self._slots:
                    response = self._http.request(
                        method, path, content=content, params=params, headers=headers
                    )
            except httpx.ConnectError as exc:
                # Nothing reached the server: safe to retry any method.
                failure: Exception = TransportError(
                    f"could not connect to {self._http.base_url} ({method} {path}): "
                    f"{type(exc).__name__}"
                )
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "was cut off"
                if not idempotent:
                    raise OutcomeUnknown(
                        f"{method} {path} {kind} ({type(exc).__name__}); "
                        "LaunchDarkly may or may not have applied it"
                    ) from None
                failure = TransportError(f"{method} {path} {kind} ({type(exc).__name__})")
            else:
                _log(method, path, response)
                if response.is_success:
                    if not response.content:
                        return None
                    try:
                        return response.json()
                    except ValueError:
                        # A 2xx that is not LaunchDarkly's JSON: a proxy or gateway page.
                        unreadable = f"{method} {path} answered {_not_json(response)}"
                        if not idempotent:
                            raise OutcomeUnknown(
                                f"{unreadable}; LaunchDarkly may or may not have applied it"
                            ) from None
                        failure = TransportError(unreadable)
                else:
                    error = self._error(method, path, response)
                    if response.status_code not in RETRYABLE_STATUSES:
                        raise error
                    if not idempotent and response.status_code != 429:
                        raise OutcomeUnknown(str(error)) from error
                    failure = error
                    server_wait = _server_wait(response, self._wall_clock())
            window.wait(failure, server_wait)

    def _error(self, method: str, path: str, response: httpx.Response) -> APIError:
        code, message = f"http_{response.status_code}", response.reason_phrase or "error"
        try:
            body = response.json()
        except (json.JSONDecodeError, ValueError):
            body = None
        if isinstance(body, dict):
            code = str(body.get("code") or code)
            message = str(body.get("message") or message)
        elif response.content:
            # Not LaunchDarkly's error shape (a load balancer's HTML page, say): say what came
            # rather than pasting markup into the user's terminal.
            message = f"{message}; the answer was {_not_json(response)}"
        message = message.replace(self._token, "****") if self._token else message
        return error_class_for(response.status_code)(
            response.status_code, code, message, method=method, path=path
        )


def _not_json(response: httpx.Response) -> str:
    """A short description of a body that is not JSON, with a glimpse of its text."""
    kind = response.headers.get("Content-Type", "no Content-Type").split(";")[0].strip()
    text = re.sub(r"<[^>]*>", " ", response.text[:2000])
    glimpse = " ".join(text.split())[:120]
    described = f"{response.status_code} with a {kind} body of {len(response.content)} bytes"
    return f"{described} ({glimpse!r})" if glimpse else described


def _encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _server_wait(response: httpx.Response, now: float) -> float | None:
    """Seconds the server asked us to wait, from Retry-After or X-Ratelimit-Reset (``now``: epoch
    seconds)."""
    retry_after = response.headers.get("Retry-After")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            pass
    reset = response.headers.get("X-Ratelimit-Reset")
    if reset:
        try:
            # Epoch milliseconds; a clock skew can make it look past: wait its absolute distance.
            return abs(int(reset) / 1000.0 - now)
        except ValueError:
            pass
    return None


def _log(method: str, path: str, response: httpx.Response) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        sent = redact_headers(response.request.headers)
        logger.debug("%s %s -> %d headers=%s", method, path, response.status_code, sent)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Request headers with credentials replaced, safe for logs."""
    return {
        name: ("<redacted>" if name.lower() in ("authorization", "cookie") else value)
        for name, value in headers.items()
    }
