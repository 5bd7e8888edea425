"""The dynamic-provider adapter: Pulumi's ``ResourceProvider`` calls onto the core.

Each method turns the engine's dicts into core values, calls the core (``plan`` for check and
diff, ``reconcile`` for the rest) and wraps the answer into the SDK's result type. What is
specific to Pulumi's dynamic providers stays here: unknown values at preview (``unknowns``),
``configure`` with stack config, logging to stderr, and pickling.

Pickling: the engine stores the provider pickled *by reference* in every resource's state. Only
``launchdarkly_experiments.provider.ExperimentProvider`` (a subclass of ``DynamicAdapter``) may
be pickled: its module path and class name are what users' stacks hold. Nothing credential-like
lives on a pickled instance: ``__getstate__`` keeps no attributes, and the settings (token
included) and the HTTP client are built per provider-host process, in ``configure()`` or on
first use.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any

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
from ..core import plan, state
from ..core.reconcile import Reconciler
from ..core.references import check_references
from ..core.rules import holds_unknown
from ..errors import ConfigurationError, LaunchDarklyError
from ..http.client import LaunchDarklyClient, RetryPolicy
from .unknowns import is_unknown

logger = logging.getLogger(__name__)


class DynamicAdapter(ResourceProvider):
    """CRUD for ``launchdarkly:Experiment`` over LaunchDarkly's experiments API."""

    def __init__(self) -> None:
        self._setup()

    def _setup(self) -> None:
        self._lock = threading.Lock()
        self._settings: Settings | None = None
        self._settings_error: ConfigurationError | None = None
        self._unchecked_noted = False
        self._client: LaunchDarklyClient | None = None
        self._reconciler = Reconciler(self.client)

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
            with self._lock:
                self._settings, self._settings_error, self._client = None, exc, None
            return
        self.use_settings(settings)
        _one_line_errors(settings.log_level)

    def use_settings(self, settings: Settings) -> None:
        """Settings resolved by a host (this adapter's configure, or the native plugin's)."""
        with self._lock:
            self._settings, self._settings_error = settings, None
            self._client = None
        _log_to_stderr(settings.log_level)

    @property
    def settings(self) -> Settings:
        with self._lock:
            if self._settings_error is not None:
                raise ConfigurationError(str(self._settings_error))
            if self._settings is None:
                self._settings = resolve_settings({}, os.environ)
            return self._settings

    def use_client(self, client: LaunchDarklyClient) -> None:
        """Serve every call with ``client`` rather than one built from the settings.

        For tests and embedding (a client with a mock transport or short retry waits). Like the
        built one, it lives in this process only: the pickled provider never carries it.
        """
        with self._lock:
            self._client = client

    def client(self) -> LaunchDarklyClient:
        """The shared client, built on first use (a missing token fails here, not at preview)."""
        settings = self.settings
        with self._lock:
            if self._client is None:
                self._client = LaunchDarklyClient(
                    settings.require_token(),
                    settings.api_host,
                    timeout=settings.request_timeout,
                    retry=RetryPolicy(deadline=settings.retry_deadline),
                    max_concurrent_requests=settings.max_concurrent_requests,
                )
            return self._client

    # -- check and diff: no I/O ---------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        # Unset inputs arrive as None; computed outputs are seeded as None by the resource class.
        props = {k: v for k, v in state.declared_part(news).items() if v is not None}
        try:
            settings = self.settings
        except ConfigurationError as exc:
            # One clear line at preview, naming every invalid setting, instead of a traceback.
            return CheckResult(props, [CheckFailure("", f"provider configuration: {exc}")])
        for name, default in (
            ("projectKey", settings.project_key),
            ("environmentKey", settings.environment_key),
        ):
            if props.get(name) is None and default:
                props[name] = default
        checked = plan.check(state.declared_part(_olds), props, is_unknown)
        failures = [CheckFailure(p, m) for p, m in checked.problems]
        if not holds_unknown(checked.inputs, is_unknown):
            failures += self._reference_failures(settings, checked.inputs)
        return CheckResult(checked.inputs, failures)

    def _reference_failures(self, settings: Settings, inputs: dict[str, Any]) -> list[CheckFailure]:
        """Look up every referenced object (launchdarkly:validateReferences); cached per host."""
        if not settings.references_checked():
            with self._lock:
                noted, self._unchecked_noted = self._unchecked_noted, True
            if not noted and settings.validate_references == "auto":
                logger.warning(
                    "references (flags, variations, rules, metrics, holdouts) were not checked: "
                    "no access token; `pulumi up` will check them"
                )
            return []
        try:
            problems = check_references(inputs, self._reconciler.lookups())
        except LaunchDarklyError as exc:
            if settings.validate_references == "always":
                return [CheckFailure("", f"references could not be checked: {exc}")]
            logger.warning("references were not checked: %s", exc)
            return []
        return [CheckFailure(prop, message) for prop, message in problems]

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        old = state.declared_part(_olds)
        new = state.declared_part(_news)
        if _news.get(state.ITERATION_CHANGE):
            new[state.ITERATION_CHANGE] = _news[state.ITERATION_CHANGE]
        difference = plan.diff(old, new)
        # A replacement creates the new experiment first, then archives the old one: the address
        # differs, so both can exist, and nothing is lost if the create fails.
        return DiffResult(
            changes=difference.changes,
            replaces=list(difference.replaces),
            delete_before_replace=False,
        )

    # -- create, read, update, delete: the reconciler ---------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        written = self._reconciler.create(state.spec_from_inputs(props))
        return CreateResult(written.id, written.outputs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        observed = self._reconciler.read(state.Address.from_state(id_, props), props)
        if observed is None:
            return ReadResult(None, {})
        return ReadResult(observed.id, observed.outputs, observed.inputs)

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._reconciler.update(state.spec_from_inputs(_news), _olds))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        self._reconciler.archive(state.Address.from_state(_id, _props))


def _log_to_stderr(level: str) -> None:
    """The engine shows a dynamic provider's stderr to the user: log there, once."""
    package_logger = logging.getLogger("launchdarkly_experiments")
    package_logger.setLevel(level.upper())
    if not any(getattr(h, "_launchdarkly", False) for h in package_logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("launchdarkly: %(levelname)s %(message)s"))
        handler._launchdarkly = True  # type: ignore[attr-defined]
        package_logger.addHandler(handler)


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
