"""Every exception this package raises, in one tree.

::

    LaunchDarklyError                   base class; never carries the access token
    ├── ConfigurationError              settings are missing or invalid (``problems``: each one)
    ├── CatalogError                    an experiments file has problems (``problems``: each one)
    ├── ChangeRefused                   a declared change cannot be made (``property``, ``message``)
    ├── OperationFailed                 the native plugin's report of any failed operation: the
    │                                   message is the whole story (notes folded in)
    ├── ReferenceProblem                one referenced name matches nothing (``prop``, ``message``)
    ├── UnresolvedReferences            names that match nothing at create/update (``problems``)
    ├── TransportError                  no usable HTTP answer: connect/read failure, timeout
    │   ├── OutcomeUnknown              a write may or may not have landed (timeout, cut off, 5xx)
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

``check`` reports a ``ChangeRefused`` as a failure on its ``property``; raised during an update
(the live state refuses the change), it reaches the user as a ``LaunchDarklyError`` naming the
operation and the experiment. The reconciler catches ``OutcomeUnknown``, reads the experiment back
and decides again (see the README's "Reliability").

No other module defines an exception class (tests/unit/test_public_surface.py checks it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class LaunchDarklyError(Exception):
    """Base class of every error raised by this package."""


@dataclass(frozen=True)
class Location:
    """A place in a file: ``file[:line[:column]]`` (1-based)."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        place = self.file
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        return place


@dataclass(frozen=True)
class Problem:
    """One thing wrong, as data: where (a property path such as
    ``iteration.treatments[1].name``, a setting such as ``requestTimeout``, or a place in an
    experiments file) and what; ``location`` is the file position when there is one.

    The one problem type of validation rules, reference checks, settings and the catalog.
    """

    property: str
    message: str
    location: Location | None = None

    def __str__(self) -> str:
        where = f"{self.property}: " if self.property else ""
        return (
            f"{where}{self.message}"
            if self.location is None
            else (f"{self.location}: {where}{self.message}")
        )


class ConfigurationError(LaunchDarklyError):
    """Settings are missing or invalid; ``problems`` has one ``Problem`` per setting, at its
    name (``requestTimeout``), so an adapter reports each where it belongs."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(p.message for p in self.problems))

    def with_message(self, message: str) -> ConfigurationError:
        """The same problems, told with ``message`` (an operation named in front)."""
        error = ConfigurationError(self.problems)
        error.args = (message,)
        return error


class CatalogError(LaunchDarklyError, ValueError):
    """An experiments file has problems; ``problems`` lists every one of them (``catalog``)."""

    def __init__(self, path: str, problems: Sequence[Problem]) -> None:
        self.path = path
        self.problems = list(problems)
        count = len(self.problems)
        header = f"{path}: {count} problem{'s' if count != 1 else ''} in the experiments file"
        super().__init__("\n".join([header, *(f"  {p}" for p in self.problems)]))


class ChangeRefused(LaunchDarklyError):
    """The declared change cannot be made; the message says what to do instead."""

    def __init__(self, prop: str, message: str) -> None:
        self.property = prop
        self.message = message
        super().__init__(f"{prop}: {message}")


class OperationFailed(LaunchDarklyError):
    """A native-plugin operation failed; the message is what the user reads (notes folded in)."""


class ReferenceProblem(LaunchDarklyError):
    """One reference that cannot be resolved: the property and the message (core.references)."""

    def __init__(self, prop: str, message: str) -> None:
        super().__init__(f"{prop}: {message}")
        self.prop = prop
        self.message = message


class UnresolvedReferences(LaunchDarklyError):
    """Names that match nothing; ``problems`` lists every one as a ``Problem``."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class TransportError(LaunchDarklyError):
    """The request got no usable HTTP answer (connection failure, timeout, dropped socket)."""


class OutcomeUnknown(TransportError):
    """A write may or may not have been applied (timeout, dropped connection, 5xx)."""


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
