"""The experiments service: every provider operation as plain data, for any adapter.

It holds the settings (or the configuration error they raised, reported at ``check``), builds
and holds the one thread-safe ``LaunchDarklyClient`` (on first use, so a missing token fails at
the first API call, not at preview), and owns the ``Reconciler``. Its operations take and give
plain dicts and core values: ``check`` (inputs and problems, with the project and environment
defaults from the settings and the reference lookups of ``launchdarkly:validateReferences``),
``diff`` (a ``plan.Difference``) and create/read/update/delete (the reconciler's results).

The Pulumi adapters (``dynamic.adapter`` and ``native.provider``) sit side by side over it and
only translate: the engine's values in, the SDK's result types out. Values not known yet at
preview are the adapter's to recognise: ``check`` takes its ``is_unknown`` predicate.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ..config import Settings, resolve_settings
from ..errors import ConfigurationError, LaunchDarklyError, Problem, UnauthorizedError
from ..http.client import LaunchDarklyClient, RetryPolicy
from . import plan, state
from .reconcile import Observed, Reconciler, Written
from .references import check_references
from .rules import IsUnknown, holds_unknown, nothing_is_unknown

logger = logging.getLogger(__name__)


class ExperimentService:
    """Check, diff, create, read, update and delete experiments, Pulumi-free."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings: Settings | None = None
        self._settings_error: ConfigurationError | None = None
        self._unchecked_noted = False
        self._client: LaunchDarklyClient | None = None
        self._reconciler = Reconciler(self.client, lambda: self.settings)

    # -- settings and client ---------------------------------------------------------------

    def use_settings(self, settings: Settings) -> None:
        """Settings resolved by a host; the client is rebuilt from them at its next use."""
        with self._lock:
            self._settings, self._settings_error = settings, None
            self._client = None

    def use_settings_error(self, error: ConfigurationError) -> None:
        """Settings that failed to resolve: ``check`` reports ``error`` as one failure, and
        every other use of the settings raises it."""
        with self._lock:
            self._settings, self._settings_error, self._client = None, error, None

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

    # -- check and diff: no I/O beyond the cached reference lookups --------------------------

    def check(
        self,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        is_unknown: IsUnknown = nothing_is_unknown,
    ) -> plan.Checked:
        """The inputs to store and every problem, as (property, message) pairs."""
        # Unset inputs arrive as None; computed outputs are seeded as None by the resource class.
        props = {k: v for k, v in state.declared_part(news).items() if v is not None}
        try:
            settings = self.settings
        except ConfigurationError as exc:
            # One clear line at preview, naming every invalid setting, instead of a traceback.
            return plan.Checked(props, [Problem("", f"provider configuration: {exc}")])
        for name, default in (
            ("projectKey", settings.project_key),
            ("environmentKey", settings.environment_key),
        ):
            if props.get(name) is None and default:
                props[name] = default
        checked = plan.check(state.declared_part(olds), props, is_unknown)
        problems = list(checked.problems)
        if not holds_unknown(checked.inputs, is_unknown):
            problems += self._reference_problems(settings, checked.inputs)
        return plan.Checked(checked.inputs, problems)

    def _reference_problems(self, settings: Settings, inputs: dict[str, Any]) -> list[Problem]:
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
            problems = check_references(inputs, self._reconciler.lookups(), settings)
        except LaunchDarklyError as exc:
            if settings.validate_references == "always":
                return [Problem("", f"references could not be checked: {exc}")]
            logger.warning("references were not checked: %s", exc)
            return []
        return problems

    def diff(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> plan.Difference:
        """Stored outputs against checked inputs (``iterationChange`` included, if any)."""
        old = state.declared_part(olds)
        new = state.declared_part(news)
        if news.get(state.ITERATION_CHANGE):
            new[state.ITERATION_CHANGE] = news[state.ITERATION_CHANGE]
        return plan.diff(old, new)

    # -- create, read, update, delete: the reconciler ---------------------------------------

    def create(self, props: Mapping[str, Any]) -> Written:
        return self._reconciler.create(state.spec_from_inputs(props))

    def read(self, id_: str, props: Mapping[str, Any]) -> Observed | None:
        """The experiment as LaunchDarkly has it, or None when it is gone."""
        with _token_from_last_update():
            return self._reconciler.read(state.Address.from_state(id_, props), props)

    def update(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        """The outputs after making LaunchDarkly match ``news``."""
        return self._reconciler.update(state.spec_from_inputs(news), olds)

    def delete(self, id_: str, props: Mapping[str, Any]) -> None:
        with _token_from_last_update():
            self._reconciler.archive(state.Address.from_state(id_, props))


#: Why a token set (or rotated) since the last ``pulumi up`` is not used by refresh and destroy.
TOKEN_FROM_LAST_UPDATE = (
    "`pulumi refresh` and `pulumi destroy` configure the provider from the settings recorded in "
    "the stack's state at the last `pulumi up`, so a token set or rotated since then is not "
    "used. Run `pulumi up` first, or add `--run-program` to `pulumi refresh` / "
    "`pulumi destroy`, or export LAUNCHDARKLY_ACCESS_TOKEN (read afresh on every run)."
)


@contextmanager
def _token_from_last_update() -> Iterator[None]:
    """Explain a missing or refused token in the operations refresh and destroy make."""
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
