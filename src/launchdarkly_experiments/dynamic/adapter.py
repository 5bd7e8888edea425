"""The dynamic-provider adapter: Pulumi's ``ResourceProvider`` calls onto one resource kind.

Each method turns the engine's dicts into the kind's typed declaration (``spec``) once, calls the
kind's operation (``core.kind.ResourceKind``: check through ``core.service.Service``, diff,
create, read, update, delete) and wraps the answer into the SDK's result type; the native plugin
(``native.provider``) sits beside it over the same kinds. What is specific
to Pulumi's dynamic providers stays here: unknown values at preview (``unknowns``),
``configure`` with stack config, logging to stderr, one-line errors, and pickling.

Pickling: the engine stores the provider pickled *by reference* in every resource's state. Only
the classes of ``launchdarkly_experiments.provider`` (``ExperimentProvider``, one subclass of
``DynamicAdapter`` per kind) may be pickled: their module path and class names are what users'
stacks hold. Nothing credential-like
lives on a pickled instance: ``__getstate__`` keeps no attributes, and the service (settings,
token included, and the HTTP client) is built per provider-host process, in ``configure()`` or
on first use.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, ClassVar

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from ..config import SETTINGS, Settings, resolve_settings
from ..core.kind import ResourceKind
from ..core.service import HostMemory, Service, explaining_the_token, log_to_stderr
from ..errors import ConfigurationError
from ..http.client import LaunchDarklyClient
from .unknowns import is_unknown

#: The dynamic host runs every kind's provider in one process: one memory for all of them (each
#: note said once; a declaration of one kind known to the others).
HOST_MEMORY = HostMemory()


class KindAt:
    """A provider class's ``kind`` named (``"Experiment"``), imported on first use from
    ``core.kinds``, which loads that kind's module alone: a provider host serving one kind
    imports the models of that kind only."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __get__(self, instance: object, owner: type | None = None) -> type[ResourceKind[Any]]:
        kind: type[ResourceKind[Any]] = getattr(
            importlib.import_module("..core.kinds", __package__), self._name
        )
        return kind


class DynamicAdapter(ResourceProvider):
    """CRUD for one resource kind (``kind``) over LaunchDarkly's API, as a dynamic provider."""

    #: The resource kind this provider serves; each pickled provider class sets its own (a
    #: kind, or a ``KindAt`` naming one).
    kind: ClassVar[type[ResourceKind[Any]] | KindAt]

    def __init__(self) -> None:
        self._setup()

    def _setup(self) -> None:
        self._service = Service(HOST_MEMORY)
        self._kind = self._service.kind(self.kind)

    # The instance is pickled into state: keep nothing (no token, client or lock).
    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._setup()

    # -- settings and client ---------------------------------------------------------------

    def configure(self, req: ConfigureRequest) -> None:
        config: dict[str, str] = {}
        for setting in SETTINGS:
            value = req.config.get(setting.config_key)
            if value is not None:
                config[setting.config_key] = str(value)
        try:
            settings = resolve_settings(config, os.environ)
        except ConfigurationError as exc:
            # Kept for check to report as one line: an exception raised here reaches the user as
            # a traceback. Read and delete (refresh, destroy) raise it at their first use.
            _one_line_errors("warning")
            self._service.use_settings_error(exc)
            return
        self.use_settings(settings)
        _one_line_errors(settings.log_level)

    def use_settings(self, settings: Settings) -> None:
        """Settings resolved by a host (this adapter's configure, or a test's)."""
        self._service.use_settings(settings)
        log_to_stderr(settings.log_level)

    @property
    def settings(self) -> Settings:
        return self._service.settings

    def use_client(self, client: LaunchDarklyClient) -> None:
        """Serve every call with ``client`` rather than one built from the settings.

        For tests and embedding (a client with a mock transport or short retry waits). Like the
        built one, it lives in this process only: the pickled provider never carries it.
        """
        self._service.use_client(client)

    def client(self) -> LaunchDarklyClient:
        """The shared client, built on first use (a missing token fails here, not at preview)."""
        return self._service.client()

    # -- check and diff: no I/O beyond the cached reference lookups --------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checked = self._service.check(self._kind, _olds, news, is_unknown)
        return CheckResult(
            checked.inputs, [CheckFailure(p.property, p.message) for p in checked.problems]
        )

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        difference = self._kind.diff(_olds, _news)
        # A replacement creates the new resource first, then deletes the old one: the address
        # differs, so both can exist, and nothing is lost if the create fails (unless the kind
        # must free what the new one takes).
        return DiffResult(
            changes=difference.changes,
            replaces=list(difference.replaces),
            delete_before_replace=self.kind.delete_before_replace,
        )

    # -- create, read, update, delete: the kind's operations, typed -------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        written = self._kind.create(self._kind.spec(props))
        return CreateResult(written.id, written.outputs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with explaining_the_token():
            observed = self._kind.read(id_, props)
        if observed is None:
            return ReadResult(None, {})
        return ReadResult(observed.id, observed.outputs, observed.inputs)

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._kind.update(self._kind.spec(_news), _olds))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        with explaining_the_token():
            self._kind.delete(_id, _props)


def _one_line_errors(level: str) -> None:
    """Show the user our error messages, not Python frames.

    The dynamic-provider host reports a failed call as ``traceback.format_exc()`` and the engine
    prints it verbatim. Our errors name the operation, the experiment and what to do, so frames
    are noise: with ``sys.tracebacklimit = 0`` the host prints only ``Type: message``. The limit is
    process-wide and the SDK's resource registration reads the stack, so it is set only inside
    the provider host (``python -m pulumi.dynamic``), which registers no resources. At the debug
    log level tracebacks stay whole, and the reconciler logs unexpected ones in full.
    """
    if not _in_provider_host():
        return  # e.g. a test calling configure in-process: leave that process alone
    if level == "debug":
        if hasattr(sys, "tracebacklimit"):
            del sys.tracebacklimit
    else:
        sys.tracebacklimit = 0


def _in_provider_host() -> bool:
    main_spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return getattr(main_spec, "name", None) == "pulumi.dynamic.__main__"
