"""Tests of the gRPC engine driver (tests/support/engine.py) against the real provider host."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dill
import grpc
import pytest

from tests.support.echo_provider import EchoProvider
from tests.support.engine import (
    PROVIDER_KEY,
    UNKNOWN,
    UNKNOWN_WIRE_VALUE,
    CheckFailureInfo,
    DiffOutcome,
    HostStartError,
    ProviderCallError,
    ProviderHost,
    from_struct,
    normalize_numbers,
    secret,
    to_struct,
)

TOKEN = "api-0123456789abcdef"
API_HOST = "http://127.0.0.1:9"
CONFIG = {"launchdarkly:accessToken": TOKEN, "launchdarkly:apiHost": API_HOST}
SECRET_KEYS = {"launchdarkly:accessToken"}
UNKNOWN_TYPE = "pulumi.output.Unknown"


def user_props(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != PROVIDER_KEY}


@pytest.fixture(scope="module")
def host() -> Iterator[ProviderHost]:
    with ProviderHost(EchoProvider()) as running:
        accept_secrets, supports_preview = running.configure(CONFIG, secret_keys=SECRET_KEYS)
        # The Python host never accepts secrets (so the engine strips them) and never
        # advertises preview support.
        assert (accept_secrets, supports_preview) == (False, False)
        yield running


@pytest.fixture
def created(host: ProviderHost) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A freshly created resource: (id, outputs, checked inputs)."""
    inputs, failures = host.check("res", olds={}, news={"name": "res", "count": 3})
    assert failures == []
    id_, outputs = host.create("res", inputs)
    return id_, outputs, inputs


# -- pure conversion helpers (no host) ------------------------------------------------------


def test_struct_round_trip_turns_numbers_into_floats() -> None:
    value = {
        "s": "x",
        "i": 3,
        "f": 1.5,
        "b": True,
        "n": None,
        "nested": {"list": [1, "two", None, False, {"deep": 4}], "empty": {}},
        "u": UNKNOWN,
    }
    struct = to_struct(value)
    assert struct.fields["u"].string_value == UNKNOWN_WIRE_VALUE
    assert struct.fields["b"].WhichOneof("kind") == "bool_value"
    back = from_struct(struct)
    assert back["i"] == 3.0 and isinstance(back["i"], float)
    assert back["nested"]["list"][4]["deep"] == 4.0
    assert back["u"] is UNKNOWN
    assert normalize_numbers(back) == value
    assert isinstance(normalize_numbers(back)["i"], int)


def test_normalize_numbers_keeps_bools_and_fractions() -> None:
    assert normalize_numbers([True, 2.0, 2.5, "3.0", (1.0,)]) == [True, 2, 2.5, "3.0", [1]]
    assert normalize_numbers(True) is True


def test_to_struct_rejects_unsupported_values() -> None:
    with pytest.raises(TypeError, match=r"bytes at a\.b\[1\]"):
        to_struct({"a": {"b": [1, b"raw"]}})


def test_secret_wire_form() -> None:
    assert secret("v") == {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        "value": "v",
    }


def test_serialized_provider_is_by_reference_and_token_free() -> None:
    host = ProviderHost(EchoProvider(label="x"))  # not started: serialization happens eagerly
    raw = base64.b64decode(host.serialized_provider)
    assert b"tests.support.echo_provider" in raw and b"EchoProvider" in raw
    assert b"def " not in raw and TOKEN.encode() not in raw
    restored = dill.loads(raw)
    assert isinstance(restored, EchoProvider) and restored.label == "x"
    # Deterministic, like the SDK's sorted pickling.
    assert ProviderHost(EchoProvider(label="x")).serialized_provider == host.serialized_provider
    assert host.urn("n") == (
        "urn:pulumi:dev::pulumi-launchdarkly-experiments::"
        "pulumi-python:dynamic/launchdarkly:Experiment::n"
    )


# -- against the real host ------------------------------------------------------------------


def test_host_started_and_configured(host: ProviderHost) -> None:
    assert host.plugin_version == "0.1.0"
    # The host configures the provider lazily, when a call first unpickles it.
    host.check("c", olds={}, news={"name": "c"})
    stderr = host.wait_for_stderr("echo provider configured (token present: True)")
    assert TOKEN not in stderr


def test_configure_delivers_unwrapped_secret(
    created: tuple[str, dict[str, Any], dict[str, Any]],
) -> None:
    _, outputs, _ = created
    assert outputs["configured"] is True
    assert outputs["tokenType"] == "builtins.str"  # unwrapped, not a secret dict
    assert normalize_numbers(outputs["tokenLength"]) == len(TOKEN)
    assert outputs["apiHost"] == API_HOST
    assert TOKEN not in repr(outputs)


def test_check_passes_inputs_through_and_adds_provider(host: ProviderHost) -> None:
    inputs, failures = host.check("c", olds={}, news={"name": "c", "count": 2, "tags": ["a"]})
    assert failures == []
    assert inputs[PROVIDER_KEY] == host.serialized_provider
    assert normalize_numbers(user_props(inputs)) == {
        "name": "c",
        "count": 2,
        "tags": ["a"],
        "greeting": "hello",
        "hadOlds": False,
        "seenTypes": {
            # The provider sees Struct numbers as floats too.
            "count": "builtins.float",
            "name": "builtins.str",
            "tags": ["builtins.str"],
        },
    }
    # Old inputs (as stored by the engine) get __provider as well and reach the provider.
    again, _ = host.check("c", olds=user_props(inputs), news={"name": "c"})
    assert again["hadOlds"] is True


def test_check_reports_failures(host: ProviderHost) -> None:
    inputs, failures = host.check("c", olds={}, news={"name": "c", "fail": "nope"})
    assert failures == [CheckFailureInfo(property="fail", reason="refusing 'nope'")]
    assert inputs["name"] == "c"


def test_unknowns_reach_check_as_output_unknown(host: ProviderHost) -> None:
    news = {"name": "c", "u": UNKNOWN, "nested": {"u": UNKNOWN, "k": 1}, "list": [UNKNOWN, 2]}
    inputs, _ = host.check("c", olds={}, news=news)
    # Check deserializes with keep_unknowns=True: unknowns arrive as pulumi.output.Unknown
    # instances at any depth (never as the wire string) ...
    assert inputs["seenTypes"] == {
        "list": [UNKNOWN_TYPE, "builtins.float"],
        "name": "builtins.str",
        "nested": {"k": "builtins.float", "u": UNKNOWN_TYPE},
        "u": UNKNOWN_TYPE,
    }
    # ... and the host serializes them back to the unknown string when they are returned.
    assert inputs["u"] is UNKNOWN
    assert inputs["nested"]["u"] is UNKNOWN
    assert inputs["list"][0] is UNKNOWN


def test_create_drops_unknowns(host: ProviderHost) -> None:
    # Create deserializes without keep_unknowns: unknown map entries vanish, list items become None.
    _, outputs = host.create(
        "c", {"name": "c", "u": UNKNOWN, "nested": {"u": UNKNOWN}, "list": [UNKNOWN]}
    )
    assert "u" not in outputs
    assert outputs["nested"] == {}
    assert outputs["list"] == [None]


def test_diff_none_some_unknown(
    host: ProviderHost, created: tuple[str, dict[str, Any], dict[str, Any]]
) -> None:
    id_, outputs, inputs = created
    same = host.diff(id_, "res", olds=outputs, news=inputs, old_inputs=inputs)
    assert same == DiffOutcome(changes="none", replaces=[], delete_before_replace=False)

    changed_inputs, _ = host.check("res", olds=inputs, news={"name": "res", "count": 4})
    some = host.diff(id_, "res", olds=outputs, news=changed_inputs, old_inputs=inputs)
    assert some == DiffOutcome(changes="some")

    unknown_inputs, _ = host.check("res", olds=inputs, news={"name": "res", "diffUnknown": True})
    unknown = host.diff(id_, "res", olds=outputs, news=unknown_inputs, old_inputs=inputs)
    assert unknown.changes == "unknown"


def test_diff_replaces_and_delete_before_replace(
    host: ProviderHost, created: tuple[str, dict[str, Any], dict[str, Any]]
) -> None:
    id_, outputs, inputs = created
    news, _ = host.check(
        "res",
        olds=inputs,
        news={"name": "renamed", "count": 3, "replaceOn": ["name"], "deleteBeforeReplace": True},
    )
    outcome = host.diff(id_, "res", olds=outputs, news=news, old_inputs=inputs)
    assert outcome == DiffOutcome(changes="some", replaces=["name"], delete_before_replace=True)


def test_create_read_update_delete_round_trip(host: ProviderHost, tmp_path: Path) -> None:
    marker = tmp_path / "deleted.txt"
    inputs, _ = host.check("rt", olds={}, news={"name": "rt", "deleteMarker": str(marker)})
    id_, outputs = host.create("rt", inputs)
    assert id_ == "echo-rt"
    assert outputs[PROVIDER_KEY] == host.serialized_provider
    assert outputs["operation"] == "create"

    read_id, read_outputs, read_inputs = host.read(id_, "rt", outputs=outputs, inputs=inputs)
    assert read_id == id_
    assert normalize_numbers(read_outputs["readCount"]) == 1
    assert read_inputs is not None
    assert read_inputs["name"] == "rt" and read_inputs[PROVIDER_KEY] == host.serialized_provider

    # A get-style read sends only inputs; the host finds __provider there.
    get_id, get_outputs, _ = host.read(id_, "rt", outputs=None, inputs=inputs)
    assert get_id == id_ and get_outputs["name"] == "rt"

    new_inputs, _ = host.check(
        "rt", olds=inputs, news={"name": "rt", "greeting": "hi", "deleteMarker": str(marker)}
    )
    assert host.diff(id_, "rt", olds=outputs, news=new_inputs, old_inputs=inputs).changes == "some"
    updated = host.update(id_, "rt", olds=outputs, news=new_inputs, old_inputs=inputs)
    assert updated["operation"] == "update"
    assert updated["greeting"] == "hi"
    assert updated["previousGreeting"] == "hello"  # update got the old outputs
    assert updated[PROVIDER_KEY] == host.serialized_provider

    host.delete(id_, "rt", outputs=updated, old_inputs=new_inputs)
    # delete got the old outputs (operation=update), not the inputs.
    assert marker.read_text() == "echo-rt operation=update\n"


def test_read_of_vanished_resource_gives_empty_id(
    host: ProviderHost, created: tuple[str, dict[str, Any], dict[str, Any]]
) -> None:
    _, outputs, inputs = created
    id_, read_outputs, read_inputs = host.read("gone-1", "res", outputs=outputs, inputs=inputs)
    assert id_ == ""
    assert user_props(read_outputs) == {}
    assert read_inputs is None


@pytest.mark.parametrize("operation", ["create", "update"])
def test_provider_exception_surfaces_as_call_error(host: ProviderHost, operation: str) -> None:
    inputs, _ = host.check("boom", olds={}, news={"name": "boom", "raise": "kaboom"})
    with pytest.raises(ProviderCallError, match=f"{operation} exploded: kaboom") as info:
        if operation == "create":
            host.create("boom", inputs)
        else:
            host.update("echo-boom", "boom", olds={"name": "boom"}, news=inputs)
    err = info.value
    assert err.method == operation.capitalize()
    assert err.code == grpc.StatusCode.UNKNOWN
    assert "Traceback (most recent call last)" in err.details
    assert f"RuntimeError: {operation} exploded: kaboom" in str(err)


def test_process_is_reaped_after_exit() -> None:
    with ProviderHost(EchoProvider(), env={"ECHO_EXTRA": "1"}) as running:
        running.configure({})
        inputs, _ = running.check("x", olds={}, news={"name": "x"})
        _, outputs = running.create("x", inputs)
        assert outputs["configured"] is False  # no token configured in this host
        process = running.process
        assert process.poll() is None
    assert process.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.kill(process.pid, 0)  # reaped: no zombie left behind
    with pytest.raises(RuntimeError, match="not running"):
        running.check("x", olds={}, news={})
    running.close()  # idempotent


def test_host_that_dies_at_startup_reports_stderr(tmp_path: Path) -> None:
    # Shadow the pulumi package so `python -m pulumi.dynamic` fails immediately.
    fake = tmp_path / "pulumi"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('shadowed pulumi for the test')\n")
    host = ProviderHost(EchoProvider(), env={"PYTHONPATH": str(tmp_path)}, start_timeout=20)
    with pytest.raises(HostStartError, match="shadowed pulumi for the test"), host:
        pass
    assert host.stderr_text()
