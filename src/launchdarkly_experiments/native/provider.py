"""The native provider plugin: Pulumi's provider protocol over the same domain code.

``launchdarkly-experiments:index:Experiment`` is served by the very code the dynamic provider
runs: both adapters sit side by side over ``core.service.ExperimentService`` (models, plan,
client, create/converge/read/archive); this one only translates the protocol. What the native
protocol adds over the dynamic one:

* a detailed diff per property path, replacements marked (``projectKey``, ``environmentKey``,
  ``key``), so ``pulumi preview --diff`` names exactly what changes;
* Read with only an id rebuilds the declaration, so ``pulumi import`` works;
* secrets: inputs arrive still marked secret and the outputs they feed stay secret;
* no provider blob in state: settings come from the provider's own configuration (one explicit
  provider instance per environment works), falling back to the environment variables.

The engine calls in on one asyncio loop; the domain code is synchronous (httpx), so every call
that may reach the network runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)
from pulumi.runtime import rpc

from ..config import SETTINGS, Settings, resolve_settings
from ..core import kinds as resource_kinds
from ..core.kind import Observed, ResourceKind, Written
from ..core.rules import holds_unknown
from ..core.service import Service, explaining_the_token, log_to_stderr
from ..errors import ConfigurationError, OperationFailed
from .diff import detailed_diff
from .engine_log import CURRENT_URN
from .schema import PACKAGE, resource_token, schema_json
from .values import is_unknown, plain_map, property_map, secret_keys

T = TypeVar("T")


class NativeProvider(Provider):
    """The ``launchdarkly-experiments`` resource provider: one resource per kind of ``kinds``."""

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        kinds: Sequence[type[ResourceKind[Any]]] | None = None,
    ) -> None:
        self._environ = os.environ if environ is None else environ
        self._service = Service()
        # Every kind by default, each imported when a request first names it: a program using
        # experiments only never loads the models of the other kinds (GetSchema loads them all).
        self._kinds = None if kinds is None else tuple(kinds)
        given = {kind.name: kind for kind in self._kinds or ()}
        self._by_token = {
            resource_token(name): name
            for name in (resource_kinds.KIND_NAMES if self._kinds is None else given)
        }
        self._kind_named: Callable[[str], type[ResourceKind[Any]]] = (
            functools.partial(getattr, resource_kinds) if self._kinds is None else given.__getitem__
        )
        try:
            self._use_settings(resolve_settings({}, self._environ, namespace=PACKAGE))
        except ConfigurationError as exc:
            # Kept for CheckConfig and Check to report (the engine then shows each setting at
            # fault); raising here would kill the plugin before it could say anything.
            self._service.use_settings_error(exc)

    # -- schema and configuration --------------------------------------------------------------

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        return GetSchemaResponse(schema=schema_json(self._kinds))

    async def check_config(self, request: CheckRequest) -> CheckResponse:
        news = request.new_inputs
        plain = plain_map(news)
        failures: list[CheckFailure] = []
        if not holds_unknown(plain, is_unknown):
            try:
                self._settings(plain, {})
            except ConfigurationError as exc:
                failures += [CheckFailure(p.property, p.message) for p in exc.problems]
        return CheckResponse(inputs=dict(news), failures=failures)

    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        settings = self._settings(plain_map(request.args), request.variables)
        self._use_settings(settings)
        return ConfigureResponse(
            accept_secrets=True,
            supports_preview=True,
            accept_resources=False,
            accept_outputs=False,
        )

    def _use_settings(self, settings: Settings) -> None:
        self._service.use_settings(settings)
        log_to_stderr(settings.log_level)

    def _settings(self, args: Mapping[str, Any], variables: Mapping[str, str]) -> Settings:
        """Provider arguments, else stack config variables, else environment, else default."""
        config: dict[str, str] = {}
        for setting in SETTINGS:
            key = setting.key_in(PACKAGE)
            value = args.get(setting.config_name)
            if value is None:
                value = variables.get(key)
            if value is not None and value != "":
                config[key] = _setting_text(value)
        return resolve_settings(config, self._environ, namespace=PACKAGE)

    # -- check and diff (no I/O beyond the cached reference lookups) --------------------------

    def _kind(self, token: str) -> ResourceKind[Any]:
        name = self._by_token.get(token)
        if name is None:
            raise OperationFailed(
                f"unknown resource type {token!r}; this provider serves "
                f"{', '.join(sorted(self._by_token))}"
            )
        return self._service.kind(self._kind_named(name))

    async def check(self, request: CheckRequest) -> CheckResponse:
        kind = self._kind(request.type)
        news = request.new_inputs
        checked = await _run(
            request.urn,
            self._service.check,
            kind,
            plain_map(request.old_inputs),
            plain_map(news),
            is_unknown,
        )
        return CheckResponse(
            inputs=property_map(checked.inputs, secret_keys(news)),
            failures=[CheckFailure(p.property, p.message) for p in checked.problems],
        )

    async def diff(self, request: DiffRequest) -> DiffResponse:
        kind = self._kind(request.type)
        old = plain_map(request.old_state)
        new = plain_map(request.new_inputs)
        difference = kind.diff(old, new)
        details = detailed_diff(
            kind.declared_part(old),
            kind.diff_view(new, old),
            replace_keys=kind.replace_on,
            ignore_keys=kind.steering,
        )
        return DiffResponse(
            changes=difference.changes,
            replaces=list(difference.replaces),
            # A replacement creates the new resource first (nothing is lost if that fails),
            # unless the kind must free what the new one takes.
            delete_before_replace=kind.delete_before_replace,
            diffs=sorted({path.split(".")[0].split("[")[0] for path in details}),
            detailed_diff=details,
        )

    # -- create, read, update, delete: the kind's operations, typed ----------------------------

    async def create(self, request: CreateRequest) -> CreateResponse:
        kind = self._kind(request.type)
        props = plain_map(request.properties)
        hidden = secret_keys(request.properties)
        if request.preview:
            outs = {**kind.declared_part(props), **dict.fromkeys(kind.output_names(), rpc.UNKNOWN)}
            return CreateResponse(resource_id="", properties=property_map(outs, hidden))
        written: Written = await _run(request.urn, kind.create, kind.spec(props))
        return CreateResponse(written.id, property_map(written.outputs, hidden))

    async def read(self, request: ReadRequest) -> ReadResponse:
        kind = self._kind(request.type)
        # `pulumi import` sends only the id: the declaration is rebuilt from LaunchDarkly.
        known = request.properties or request.inputs
        hidden = secret_keys(request.properties, request.inputs)
        observed: Observed | None = await _run(
            request.urn, _explaining_the_token(kind.read), request.resource_id, plain_map(known)
        )
        if observed is None or not observed.id:
            return ReadResponse(resource_id="", properties={}, inputs={})
        return ReadResponse(
            resource_id=observed.id,
            properties=property_map(observed.outputs, hidden),
            inputs=property_map(observed.inputs, hidden),
        )

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        kind = self._kind(request.type)
        olds, news = plain_map(request.olds), plain_map(request.news)
        hidden = secret_keys(request.news)
        if request.preview:
            computed = {k: olds.get(k) for k in kind.output_names()}
            outs = {**kind.declared_part(news), **computed}
            return UpdateResponse(property_map(outs, hidden))
        outputs = await _run(request.urn, kind.update, kind.spec(news), olds)
        return UpdateResponse(property_map(outputs, hidden))

    async def delete(self, request: DeleteRequest) -> None:
        kind = self._kind(request.type)
        await _run(
            request.urn,
            _explaining_the_token(kind.delete),
            request.resource_id,
            plain_map(request.properties),
        )


# -- helpers ------------------------------------------------------------------------------------


async def _run(urn: str, fn: Callable[..., T], *args: Any) -> T:
    """Run blocking domain code in a worker thread, its log lines shown under ``urn``; errors
    keep their message and notes only."""
    CURRENT_URN.set(urn)  # this call's own context: each gRPC call runs in its own task
    try:
        return await asyncio.to_thread(fn, *args)
    except Exception as exc:  # the engine shows the message: make it the whole story
        notes = "\n".join(getattr(exc, "__notes__", ()))
        raise OperationFailed(f"{exc}\n{notes}".strip()) from None


def _explaining_the_token(operation: Callable[..., T]) -> Callable[..., T]:
    """``operation`` with a missing or refused token explained (refresh and destroy use the
    settings of the last ``pulumi up``)."""

    def explained(*args: Any) -> T:
        with explaining_the_token():
            return operation(*args)

    return explained


def _setting_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
