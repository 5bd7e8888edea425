"""Drive the real Python dynamic-provider host over gRPC, the way the Pulumi engine does.

The Pulumi CLI (the Go engine) is not available to the test suite, so protocol tests start the
actual provider host, ``python -u -m pulumi.dynamic``, and talk to it over the
``pulumirpc.ResourceProvider`` gRPC service. :class:`ProviderHost` sends what the engine sends:

* ``Configure`` first, with the stack config as ``args`` (secret keys wrapped as Pulumi secrets)
  and as plain-string ``variables``;
* ``__provider`` (the provider pickled exactly as ``pulumi.dynamic.Resource`` pickles it on
  registration) as a plain string in every property struct. The engine strips secrets for this
  host because it answers ``acceptSecrets=False``, so a plain string is what the host really gets;
* old *outputs* as ``olds`` for Diff/Update and as ``properties`` for Delete/Read.

Values crossing the wire are ``google.protobuf.Struct`` values, which only have doubles: every
number comes back as a ``float`` (``3`` becomes ``3.0``). Use :func:`normalize_numbers` before
comparing with integer literals. :data:`UNKNOWN` stands for a value that is unknown during
preview; it is sent as the SDK's unknown sentinel string and decoded back to :data:`UNKNOWN`.

Host behaviour worth knowing when writing protocol tests (pulumi 3.272, all checked by
tests/test_engine_driver.py):

* ``check`` and ``diff`` receive unknowns as ``pulumi.output.Unknown`` instances, at any depth;
  returning them from ``check`` sends the unknown string back. ``create`` and ``update`` drop
  unknowns: a map entry disappears, a list item becomes ``None``.
* The provider is configured lazily, when a call first unpickles ``__provider``; the config
  stored by the last ``Configure`` before that is used, later ones are ignored for that instance.
* Secret config arrives unwrapped. ``Configure`` answers ``acceptSecrets=False`` and
  ``supportsPreview=False``.
* A provider exception becomes ``ProviderCallError`` with code ``UNKNOWN`` and the traceback in
  ``details``. A ``read`` reporting the resource gone yields id ``""``.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, cast

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime._serialization import _serialize
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

__all__ = [
    "PROVIDER_KEY",
    "REPO_ROOT",
    "SECRET_SIG",
    "SPECIAL_SIG_KEY",
    "UNKNOWN",
    "UNKNOWN_WIRE_VALUE",
    "CheckFailureInfo",
    "DiffOutcome",
    "HostStartError",
    "ProviderCallError",
    "ProviderHost",
    "from_struct",
    "normalize_numbers",
    "secret",
    "to_struct",
]

REPO_ROOT: Final = Path(__file__).resolve().parents[2]
PROVIDER_KEY: Final = "__provider"
#: The string the Pulumi SDK uses on the wire for "unknown during preview" (``rpc.UNKNOWN``).
UNKNOWN_WIRE_VALUE: Final = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
#: Key and value marking a map as a special Pulumi value, here a secret.
SPECIAL_SIG_KEY: Final = "4dabf18193072939515e22adb298388d"
SECRET_SIG: Final = "1b47061264138c4ac30d75fd1eb44270"

DEFAULT_PROJECT: Final = "pulumi-launchdarkly-experiments"
DEFAULT_STACK: Final = "dev"
DEFAULT_TYPE_TOKEN: Final = "pulumi-python:dynamic/launchdarkly:Experiment"


class _Unknown:
    """Singleton marking a property value as unknown (computed, not yet known in a preview)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()


def secret(value: Any) -> dict[str, Any]:
    """Wrap ``value`` in the Pulumi secret wire form."""
    return {SPECIAL_SIG_KEY: SECRET_SIG, "value": value}


@dataclass(frozen=True)
class CheckFailureInfo:
    """One ``CheckFailure`` reported by the provider's ``check``."""

    property: str
    reason: str


DiffChanges = Literal["none", "some", "unknown"]


@dataclass(frozen=True)
class DiffOutcome:
    """What the host answered to ``Diff``.

    The Python dynamic host never reports ``stables`` or detailed diffs; a native plugin's
    detailed diff is ``detailed`` (property path -> kind name, such as ``"UPDATE_REPLACE"``).
    """

    changes: DiffChanges
    replaces: list[str] = field(default_factory=list)
    delete_before_replace: bool = False
    detailed: dict[str, str] = field(default_factory=dict)


class ProviderCallError(Exception):
    """A gRPC call to the provider host failed (for a provider exception: code UNKNOWN and the
    full Python traceback in ``details``)."""

    def __init__(self, method: str, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{method} failed with {code.name}: {details}")
        self.method = method
        self.code = code
        self.details = details


class HostStartError(RuntimeError):
    """The provider host process did not come up."""


# --------------------------------------------------------------------------------------------
# Struct conversion
# --------------------------------------------------------------------------------------------


def _to_value(obj: Any, path: str) -> struct_pb2.Value:
    value = struct_pb2.Value()
    if obj is UNKNOWN:
        value.string_value = UNKNOWN_WIRE_VALUE
    elif obj is None:
        value.null_value = struct_pb2.NULL_VALUE
    elif isinstance(obj, bool):  # before int: bool is an int subclass
        value.bool_value = obj
    elif isinstance(obj, int | float):
        value.number_value = float(obj)
    elif isinstance(obj, str):
        value.string_value = obj
    elif isinstance(obj, Mapping):
        value.struct_value.CopyFrom(to_struct(obj, _path=path))
    elif isinstance(obj, list | tuple):
        items = [_to_value(item, f"{path}[{i}]") for i, item in enumerate(obj)]
        value.list_value.values.extend(items)
    else:
        where = path or "<root>"
        raise TypeError(f"cannot encode {type(obj).__name__} at {where} as a Struct value")
    return value


def to_struct(props: Mapping[str, Any], *, _path: str = "") -> struct_pb2.Struct:
    """Encode a dict as a ``Struct``. :data:`UNKNOWN` becomes the SDK's unknown string."""
    struct = struct_pb2.Struct()
    for key, item in props.items():
        if not isinstance(key, str):
            raise TypeError(f"Struct keys must be strings, got {key!r} at {_path or '<root>'}")
        struct.fields[key].CopyFrom(_to_value(item, f"{_path}.{key}" if _path else key))
    return struct


def _from_value(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind is None or kind == "null_value":
        return None
    if kind == "bool_value":
        return value.bool_value
    if kind == "number_value":
        return value.number_value
    if kind == "string_value":
        return UNKNOWN if value.string_value == UNKNOWN_WIRE_VALUE else value.string_value
    if kind == "struct_value":
        return from_struct(value.struct_value)
    if kind == "list_value":
        return [_from_value(item) for item in value.list_value.values]
    raise TypeError(f"unexpected Struct value kind {kind!r}")  # pragma: no cover


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Decode a ``Struct``. Numbers come back as floats; the unknown string as :data:`UNKNOWN`.

    Secret-wrapped values are left in their wire form (see :func:`secret`).
    """
    return {key: _from_value(item) for key, item in struct.fields.items()}


def normalize_numbers(obj: Any) -> Any:
    """Recursively turn integral floats (``3.0``) back into ints, for comparisons in tests."""
    if isinstance(obj, bool):
        return obj
    if isinstance(obj, float) and obj.is_integer():
        return int(obj)
    if isinstance(obj, Mapping):
        return {key: normalize_numbers(item) for key, item in obj.items()}
    if isinstance(obj, list | tuple):
        return [normalize_numbers(item) for item in obj]
    return obj


# --------------------------------------------------------------------------------------------
# The host
# --------------------------------------------------------------------------------------------


def _pythonpath(extra: str | None) -> str:
    entries = [str(REPO_ROOT / "src"), str(REPO_ROOT)]
    if extra:
        entries.extend(part for part in extra.split(os.pathsep) if part)
    unique: list[str] = []
    for entry in entries:
        if entry not in unique:
            unique.append(entry)
    return os.pathsep.join(unique)


class ProviderHost:
    """A running ``python -u -m pulumi.dynamic`` process plus a gRPC client for it.

    Use as a context manager. Call :meth:`configure` before anything else, as the engine does:
    the host configures a provider instance once, when it first unpickles it, with whatever
    config it has at that moment.
    """

    def __init__(
        self,
        provider: ResourceProvider | None,
        *,
        command: list[str] | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        project: str = DEFAULT_PROJECT,
        stack: str = DEFAULT_STACK,
        type_token: str = DEFAULT_TYPE_TOKEN,
        start_timeout: float = 30.0,
        call_timeout: float = 60.0,
    ) -> None:
        self.project = project
        self.stack = stack
        self.type_token = type_token
        self.start_timeout = start_timeout
        self.call_timeout = call_timeout
        self._env = dict(env or {})
        self._cwd = Path(cwd) if cwd is not None else REPO_ROOT
        #: The exact ``__provider`` string sent to the host (and that the engine would store);
        #: empty for a native plugin (``provider=None`` and its ``command``), which has none.
        self.serialized_provider: str = (
            _serialize(True, serialize_provider, provider)[0] if provider is not None else ""
        )
        self._command = command or [sys.executable, "-u", "-m", "pulumi.dynamic"]
        self.plugin_version: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: provider_pb2_grpc.ResourceProviderStub | None = None
        self._stderr_chunks: list[str] = []
        self._stderr_changed = threading.Condition()
        self._readers: list[threading.Thread] = []

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> ProviderHost:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def process(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise RuntimeError("the provider host is not running")
        return self._process

    def start(self) -> None:
        if self._process is not None:
            raise RuntimeError("the provider host is already started")
        env = {**os.environ, "PULUMI_PROJECT": self.project, "PULUMI_STACK": self.stack}
        env.update(self._env)
        env["PYTHONPATH"] = _pythonpath(env.get("PYTHONPATH"))
        self._process = subprocess.Popen(
            [*self._command, "127.0.0.1:0"],
            cwd=self._cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            port = self._read_port()
            self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            try:
                grpc.channel_ready_future(self._channel).result(timeout=self.start_timeout)
            except grpc.FutureTimeoutError:
                raise HostStartError(
                    f"provider host on port {port} never became ready\n"
                    f"stderr:\n{self.stderr_text()}"
                ) from None
            self._stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
            info = self._call("GetPluginInfo", empty_pb2.Empty())
            self.plugin_version = info.version
        except BaseException:
            self.close()
            raise

    def _read_port(self) -> int:
        process = self.process
        assert process.stdout is not None and process.stderr is not None
        lines: queue.Queue[bytes] = queue.Queue()
        stdout_reader = threading.Thread(
            target=_pump_lines, args=(process.stdout, lines.put), daemon=True
        )
        stderr_reader = threading.Thread(
            target=_pump_lines, args=(process.stderr, self._append_stderr), daemon=True
        )
        self._readers = [stdout_reader, stderr_reader]
        for reader in self._readers:
            reader.start()

        waited = 0.0
        step = 0.05
        while waited < self.start_timeout:
            try:
                line = lines.get(timeout=step)
            except queue.Empty:
                waited += step
                if process.poll() is not None:
                    # Give the stderr pump a moment to collect the traceback.
                    stderr_reader.join(timeout=2)
                    raise HostStartError(
                        f"provider host exited with code {process.returncode} before printing "
                        f"its port\nstderr:\n{self.stderr_text()}"
                    ) from None
                continue
            text = line.decode(errors="replace").strip()
            if text.isdigit():
                return int(text)
            raise HostStartError(
                f"provider host printed {text!r} instead of a port\nstderr:\n{self.stderr_text()}"
            )
        raise HostStartError(
            f"provider host did not print its port within {self.start_timeout}s\n"
            f"stderr:\n{self.stderr_text()}"
        )

    def _append_stderr(self, chunk: bytes) -> None:
        with self._stderr_changed:
            self._stderr_chunks.append(chunk.decode(errors="replace"))
            self._stderr_changed.notify_all()

    def stderr_text(self) -> str:
        """Everything the host has written to stderr so far.

        A background thread drains the pipe, so output written during a call may show up a
        moment after the call returns; use :meth:`wait_for_stderr` to wait for a given text.
        """
        with self._stderr_changed:
            return "".join(self._stderr_chunks)

    def wait_for_stderr(self, text: str, timeout: float = 5.0) -> str:
        """Wait until ``text`` appears in the host's stderr; return all stderr so far."""
        with self._stderr_changed:
            found = self._stderr_changed.wait_for(
                lambda: text in "".join(self._stderr_chunks), timeout=timeout
            )
            everything = "".join(self._stderr_chunks)
        if not found:
            raise AssertionError(f"{text!r} not in host stderr after {timeout}s:\n{everything}")
        return everything

    def close(self) -> None:
        """Close the channel and stop the process (terminate, then kill). Safe to call twice."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
            self._stub = None
        process = self._process
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
            for reader in self._readers:
                reader.join(timeout=5)
            for pipe in (process.stdout, process.stderr):
                if pipe is not None:
                    pipe.close()
        self._readers = []

    # -- gRPC plumbing -----------------------------------------------------------------------

    def urn(self, name: str) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::{self.type_token}::{name}"

    def _call(self, method: str, request: Any) -> Any:
        if self._stub is None:
            raise RuntimeError("the provider host is not running; use it as a context manager")
        try:
            return getattr(self._stub, method)(request, timeout=self.call_timeout)
        except grpc.RpcError as err:
            # Every grpc.RpcError raised by a unary call is also a grpc.Call.
            call = cast("grpc.Call", err)
            raise ProviderCallError(method, call.code(), call.details() or "") from None

    def _with_provider(self, props: Mapping[str, Any]) -> dict[str, Any]:
        result = dict(props)
        if self.serialized_provider:
            result.setdefault(PROVIDER_KEY, self.serialized_provider)
        return result

    def _state_struct(self, props: Mapping[str, Any] | None) -> struct_pb2.Struct:
        """Old inputs/outputs as the engine sends them: with ``__provider``; empty stays empty."""
        if not props:
            return struct_pb2.Struct()
        return to_struct(self._with_provider(props))

    # -- the ResourceProvider methods ----------------------------------------------------------

    def configure(
        self, config: Mapping[str, Any], *, secret_keys: Iterable[str] = ()
    ) -> tuple[bool, bool]:
        """Send ``Configure``. Returns the host's ``(acceptSecrets, supportsPreview)``."""
        secret_set = set(secret_keys)
        unknown_secret_keys = secret_set - set(config)
        if unknown_secret_keys:
            raise ValueError(f"secret_keys not in config: {sorted(unknown_secret_keys)}")
        args = {key: secret(value) if key in secret_set else value for key, value in config.items()}
        variables = {key: _config_string(value) for key, value in config.items()}
        request = provider_pb2.ConfigureRequest(
            variables=variables,
            args=to_struct(args),
            acceptSecrets=True,
            acceptResources=True,
            sends_old_inputs=True,
            sends_old_inputs_to_delete=True,
        )
        response = self._call("Configure", request)
        return response.acceptSecrets, response.supportsPreview

    def check(
        self, name: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[CheckFailureInfo]]:
        """``Check``: ``olds`` are the old inputs (``{}`` on create), ``news`` the new inputs."""
        request = provider_pb2.CheckRequest(
            urn=self.urn(name),
            name=name,
            type=self.type_token,
            olds=self._state_struct(olds),
            news=to_struct(self._with_provider(news)),
        )
        response = self._call("Check", request)
        failures = [CheckFailureInfo(f.property, f.reason) for f in response.failures]
        return from_struct(response.inputs), failures

    def diff(
        self,
        id_: str,
        name: str,
        *,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        old_inputs: Mapping[str, Any] | None = None,
        ignore_changes: Iterable[str] = (),
    ) -> DiffOutcome:
        """``Diff``: ``olds`` are the old OUTPUTS, ``news`` the checked new inputs."""
        request = provider_pb2.DiffRequest(
            id=id_,
            urn=self.urn(name),
            name=name,
            type=self.type_token,
            olds=to_struct(self._with_provider(olds)),
            news=to_struct(self._with_provider(news)),
            old_inputs=self._state_struct(old_inputs),
            ignoreChanges=list(ignore_changes),
        )
        response = self._call("Diff", request)
        changes: DiffChanges
        if response.changes == provider_pb2.DiffResponse.DIFF_SOME:
            changes = "some"
        elif response.changes == provider_pb2.DiffResponse.DIFF_NONE:
            changes = "none"
        else:
            changes = "unknown"
        return DiffOutcome(
            changes=changes,
            replaces=list(response.replaces),
            delete_before_replace=response.deleteBeforeReplace,
            detailed={
                path: provider_pb2.PropertyDiff.Kind.Name(d.kind)
                for path, d in response.detailedDiff.items()
            },
        )

    def create(self, name: str, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """``Create`` with the checked inputs. Returns ``(id, outputs)``."""
        request = provider_pb2.CreateRequest(
            urn=self.urn(name),
            name=name,
            type=self.type_token,
            properties=to_struct(self._with_provider(inputs)),
        )
        response = self._call("Create", request)
        return response.id, from_struct(response.properties)

    def read(
        self,
        id_: str,
        name: str,
        *,
        outputs: Mapping[str, Any] | None,
        inputs: Mapping[str, Any] | None = None,
    ) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        """``Read`` as refresh does (old outputs and old inputs).

        Pass ``outputs=None`` for a get-style read, where the engine sends only inputs (and the
        host falls back to them to find ``__provider``). Returns ``(id, outputs, inputs)``; the id
        is ``""`` when the provider says the resource is gone, and ``inputs`` is ``None`` when
        the provider returned none.
        """
        request = provider_pb2.ReadRequest(
            id=id_,
            urn=self.urn(name),
            name=name,
            type=self.type_token,
            properties=self._state_struct(outputs),
            inputs=self._state_struct(inputs),
        )
        response = self._call("Read", request)
        new_inputs = from_struct(response.inputs) if response.HasField("inputs") else None
        return response.id, from_struct(response.properties), new_inputs

    def update(
        self,
        id_: str,
        name: str,
        *,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        old_inputs: Mapping[str, Any] | None = None,
        ignore_changes: Iterable[str] = (),
    ) -> dict[str, Any]:
        """``Update``: ``olds`` are the old OUTPUTS, ``news`` the checked new inputs."""
        request = provider_pb2.UpdateRequest(
            id=id_,
            urn=self.urn(name),
            name=name,
            type=self.type_token,
            olds=to_struct(self._with_provider(olds)),
            news=to_struct(self._with_provider(news)),
            old_inputs=self._state_struct(old_inputs),
            ignoreChanges=list(ignore_changes),
        )
        response = self._call("Update", request)
        return from_struct(response.properties)

    def delete(
        self,
        id_: str,
        name: str,
        *,
        outputs: Mapping[str, Any],
        old_inputs: Mapping[str, Any] | None = None,
    ) -> None:
        """``Delete``: ``outputs`` are the old OUTPUTS (what the provider's ``delete`` gets)."""
        request = provider_pb2.DeleteRequest(
            id=id_,
            urn=self.urn(name),
            name=name,
            type=self.type_token,
            properties=to_struct(self._with_provider(outputs)),
            old_inputs=self._state_struct(old_inputs),
        )
        self._call("Delete", request)

    def cancel(self) -> None:
        """``Cancel`` (a no-op in the Python host)."""
        self._call("Cancel", empty_pb2.Empty())


def _config_string(value: Any) -> str:
    """Config ``variables`` are strings; non-string values are sent JSON-encoded, like the CLI."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _pump_lines(pipe: Any, sink: Any) -> None:
    """Copy lines from ``pipe`` to ``sink`` until EOF (runs in a daemon thread)."""
    try:
        for line in iter(pipe.readline, b""):
            sink(line)
    except (OSError, ValueError):  # pipe closed underneath us
        pass
