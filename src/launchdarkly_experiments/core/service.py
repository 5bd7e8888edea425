"""The service a provider host runs its kinds in: the settings, the one client, the lookups.

``Service`` holds the settings (or the configuration error they raised, reported at ``check``),
builds the one thread-safe ``LaunchDarklyClient`` on first use (so a missing token fails at the
first API call, not at preview) and the ``CachedLookups`` over it, and binds each resource kind
to itself (``kind``). It is the ``Context`` of every kind's operations.

``check`` is the one operation it adds around a kind's own: provider settings fill in left-out
inputs (``settings_defaults``), and the kind's reference lookups run when a token is there and
``launchdarkly:validateReferences`` allows them. Everything else the adapters call on the kind
directly, with typed values.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from ..config import Settings, resolve_settings
from ..errors import ConfigurationError, LaunchDarklyError, Problem, UnauthorizedError
from ..http.client import LaunchDarklyClient, RetryPolicy
from .kind import Checked, ResourceKind
from .lookups import CachedLookups
from .rules import IsUnknown, holds_unknown, nothing_is_unknown

logger = logging.getLogger(__name__)

KindT = TypeVar("KindT", bound=ResourceKind[Any])


class HostMemory:
    """What one provider host keeps across its services: the notes it said, the declarations
    it checked, and a client with its cache of reference reads per connection. The native
    plugin has one service; the dynamic host runs one service per kind in one process, and they
    share one memory: a note is said once, a declaration of one kind (a metric) is known to
    another (the group naming it), and a project or member is read once for every kind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._said: set[str] = set()
        self._declared: set[tuple[str, str]] = set()
        # Held in this process only (the token is part of the key): never pickled.
        self._connections: dict[tuple[Any, ...], tuple[LaunchDarklyClient, CachedLookups]] = {}

    def connection(self, settings: Settings) -> tuple[LaunchDarklyClient, CachedLookups]:
        """The client of these settings and its lookups, built on first use (a missing token
        fails here, not at preview), the same for every service asking with the same ones."""
        key = (
            settings.access_token,
            settings.api_host,
            settings.request_timeout,
            settings.retry_deadline,
            settings.max_concurrent_requests,
        )
        with self._lock:
            found = self._connections.get(key)
            if found is None:
                client = LaunchDarklyClient(
                    settings.require_token(),
                    settings.api_host,
                    timeout=settings.request_timeout,
                    retry=RetryPolicy(deadline=settings.retry_deadline),
                    max_concurrent_requests=settings.max_concurrent_requests,
                )
                found = self._connections[key] = (client, CachedLookups(client))
            return found

    def first(self, note: str) -> bool:
        """True the first time ``note`` is asked about, False after."""
        with self._lock:
            if note in self._said:
                return False
            self._said.add(note)
            return True

    def declare(self, kind: str, id_: str) -> None:
        with self._lock:
            self._declared.add((kind, id_))

    def declared(self, kind: str, id_: str) -> bool:
        with self._lock:
            return (kind, id_) in self._declared


class Service:
    """Settings, the one client and the lookups of one provider host; the kinds bound to them.

    ``memory`` is shared with the host's other services, if it has any.
    """

    def __init__(self, memory: HostMemory | None = None) -> None:
        self._lock = threading.Lock()
        self._settings: Settings | None = None
        self._settings_error: ConfigurationError | None = None
        self._memory = HostMemory() if memory is None else memory
        self._client: LaunchDarklyClient | None = None
        self._lookups: CachedLookups | None = None
        self._kinds: dict[type[ResourceKind[Any]], ResourceKind[Any]] = {}

    # -- settings, client and lookups --------------------------------------------------------

    def use_settings(self, settings: Settings) -> None:
        """Settings resolved by a host; the client is rebuilt from them at its next use."""
        with self._lock:
            self._settings, self._settings_error = settings, None
            self._client = self._lookups = None

    def use_settings_error(self, error: ConfigurationError) -> None:
        """Settings that failed to resolve: ``check`` reports ``error``, and every other use of
        the settings raises it."""
        with self._lock:
            self._settings, self._settings_error = None, error
            self._client = self._lookups = None

    @property
    def settings(self) -> Settings:
        """The settings in use: those given, else resolved from the environment on first use."""
        with self._lock:
            if self._settings_error is not None:
                raise ConfigurationError(self._settings_error.problems)
            if self._settings is None:
                self._settings = resolve_settings({}, os.environ)
            return self._settings

    def use_client(self, client: LaunchDarklyClient) -> None:
        """Serve every call with ``client`` rather than one built from the settings.

        For tests and embedding (a client with a mock transport or short retry waits). Like the
        built one, it lives in this process only.
        """
        with self._lock:
            self._client, self._lookups = client, None

    def client(self) -> LaunchDarklyClient:
        """The client, built on first use (a missing token fails here, not at preview) and
        shared with the host's other services that have the same settings."""
        return self._connection()[0]

    def lookups(self) -> CachedLookups:
        """Reference lookups shared by every call of this host (one GET per distinct read)."""
        return self._connection()[1]

    def _connection(self) -> tuple[LaunchDarklyClient, CachedLookups]:
        settings = self.settings
        with self._lock:
            if self._client is not None:  # given by use_client, or taken before
                if self._lookups is None:
                    self._lookups = CachedLookups(self._client)
                return self._client, self._lookups
        client, lookups = self._memory.connection(settings)
        with self._lock:
            self._client, self._lookups = client, lookups
        return client, lookups

    def kind(self, kind: type[KindT]) -> KindT:
        """The kind's operations, bound to this service (one instance per kind)."""
        with self._lock:
            bound = self._kinds.get(kind)
            if bound is None:
                bound = self._kinds[kind] = kind(self)
        return bound  # type: ignore[return-value]

    def declared_here(self, kind: str, id_: str) -> bool:
        """Whether this provider host checked a declaration of that kind and id: an object the
        program creates, which a preview must not report missing (the engine checks a resource
        after those whose outputs it takes)."""
        return self._memory.declared(kind, id_)

    # -- check: the kind's own, with settings defaults and reference lookups --------------------

    def check(
        self,
        kind: ResourceKind[Any],
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        is_unknown: IsUnknown = nothing_is_unknown,
    ) -> Checked:
        """The inputs to store and every problem."""
        # Unset inputs arrive as None; computed outputs are seeded as None by the resource class.
        props = {k: v for k, v in kind.declared_part(news).items() if v is not None}
        try:
            settings = self.settings
        except ConfigurationError as exc:
            # One clear line at preview, naming every invalid setting, instead of a traceback.
            return Checked(props, [Problem("", f"provider configuration: {exc}")])
        for name, setting in kind.settings_defaults.items():
            default = getattr(settings, setting)
            if props.get(name) is None and default:
                props[name] = default
        checked = kind.check(olds, props, is_unknown)
        problems = list(checked.problems)
        # Declared once its id is known, whatever else is still unknown (an experiment whose
        # holdout is created in the same program is still one a layer may reserve).
        id_parts = [checked.inputs.get(part) for part in kind.id_format.parts]
        if not problems and all(isinstance(p, str) and not is_unknown(p) for p in id_parts):
            self._memory.declare(kind.name, kind.id_format.format(checked.inputs))
        if not holds_unknown(checked.inputs, is_unknown):
            problems += self._reference_problems(kind, settings, checked.inputs)
        return Checked(checked.inputs, problems)

    def _reference_problems(
        self, kind: ResourceKind[Any], settings: Settings, inputs: dict[str, Any]
    ) -> list[Problem]:
        """The kind's reference lookups, as ``launchdarkly:validateReferences`` says."""
        if not settings.references_checked():
            first = self._memory.first("references unchecked")
            if first and settings.validate_references == "auto":
                logger.warning(
                    "references (flags, variations, rules, metrics, holdouts) were not checked: "
                    "no access token; `pulumi up` will check them"
                )
            return []
        try:
            return kind.references(inputs)
        except LaunchDarklyError as exc:
            if settings.validate_references == "always":
                return [Problem("", f"references could not be checked: {exc}")]
            logger.warning("references were not checked: %s", exc)
            return []


#: Why a token set (or rotated) since the last ``pulumi up`` is not used by refresh and destroy.
TOKEN_FROM_LAST_UPDATE = (
    "`pulumi refresh` and `pulumi destroy` configure the provider from the settings recorded in "
    "the stack's state at the last `pulumi up`, so a token set or rotated since then is not "
    "used. Run `pulumi up` first, or add `--run-program` to `pulumi refresh` / "
    "`pulumi destroy`, or export LAUNCHDARKLY_ACCESS_TOKEN (read afresh on every run)."
)


@contextmanager
def explaining_the_token() -> Iterator[None]:
    """Around the reads and deletes refresh and destroy make: a missing or refused token gets
    the note above."""
    try:
        yield
    except (ConfigurationError, UnauthorizedError) as exc:
        if isinstance(exc, UnauthorizedError) or any(
            p.property == "accessToken" for p in exc.problems
        ):
            exc.add_note(TOKEN_FROM_LAST_UPDATE)
        raise


def log_to_stderr(level: str) -> None:
    """Set the package's log level and log to stderr, once; adapters call it with the settings.

    The engine shows a dynamic provider's stderr to the user; a native plugin's it hides, so
    the plugin also forwards the records to the engine (``native.engine_log``).
    """
    package_logger = logging.getLogger("launchdarkly_experiments")
    package_logger.setLevel(level.upper())
    if not any(getattr(h, "_launchdarkly", False) for h in package_logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("launchdarkly: %(levelname)s %(message)s"))
        handler._launchdarkly = True  # type: ignore[attr-defined]
        package_logger.addHandler(handler)
