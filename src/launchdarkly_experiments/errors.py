"""Every exception this package raises, in one tree.

::

    LaunchDarklyError                   base class; never carries the access token
    ├── ConfigurationError              settings are missing or invalid (no token, bad host, ...)
    ├── TransportError                  no usable HTTP answer: connect/read failure, timeout
    │   └── RetryBudgetExceeded         transient failures outlasted the retry deadline
    └── APIError                        LaunchDarkly answered with a non-2xx status
        ├── InvalidRequestError         400  the body or instruction was refused
        ├── UnauthorizedError           401  missing or unknown token
        ├── ForbiddenError              403  the token lacks access (or beta route without beta)
        ├── NotFoundError               404  unknown project, environment or experiment
        ├── ConflictError               409  duplicate key or optimistic-locking conflict
        ├── RateLimitedError            429  rate limit hit (retried by the client first)
        └── ServerError                 5xx  LaunchDarkly failed (retried by the client first)

``APIError`` keeps LaunchDarkly's error body (``code`` and ``message``), the HTTP status and
the request that failed (method and path only: never headers, so never the token). Messages are
written for the person running ``pulumi up``: they name the operation and the experiment.
"""

from __future__ import annotations


class LaunchDarklyError(Exception):
    """Base class of every error raised by this package."""


class ConfigurationError(LaunchDarklyError):
    """A required setting is missing or invalid."""


class TransportError(LaunchDarklyError):
    """The request got no usable HTTP answer (connection failure, timeout, dropped socket)."""


class RetryBudgetExceeded(TransportError):
    """Transient failures kept happening until the configured retry deadline ran out."""


class APIError(LaunchDarklyError):
    """LaunchDarkly answered with an error status."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        method: str,
        path: str,
        context: str = "",
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.method = method
        self.path = path
        self.context = context
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f"{self.context}: " if self.context else ""
        return (
            f"{where}LaunchDarkly answered {self.status} {self.code}: {self.message} "
            f"({self.method} {self.path})"
        )

    def with_context(self, context: str) -> APIError:
        """Return a copy whose message starts with ``context`` (operation and experiment)."""
        return type(self)(
            self.status,
            self.code,
            self.message,
            method=self.method,
            path=self.path,
            context=context,
        )


class InvalidRequestError(APIError):
    """400: LaunchDarkly refused the request body or instruction."""


class UnauthorizedError(APIError):
    """401: the access token is missing or not recognised."""


class ForbiddenError(APIError):
    """403: the access token has no permission for this action."""


class NotFoundError(APIError):
    """404: the project, environment or experiment does not exist."""


class ConflictError(APIError):
    """409: the key already exists, or a concurrent change conflicted."""


class RateLimitedError(APIError):
    """429: a LaunchDarkly rate limit was hit."""


class ServerError(APIError):
    """5xx: LaunchDarkly failed to answer the request."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: InvalidRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitedError,
}


def error_class_for(status: int) -> type[APIError]:
    """The most specific ``APIError`` subclass for an HTTP status."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, APIError)
