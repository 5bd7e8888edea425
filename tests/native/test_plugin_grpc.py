"""The plugin executable over gRPC, as the engine drives it (tests/support/engine.py).

What the engine relies on: the console script starts, prints its port, answers GetPluginInfo
and GetSchema, accepts secrets, supports preview, and sends a detailed diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2

from launchdarkly_experiments.native.schema import EXPERIMENT_TOKEN
from launchdarkly_experiments.version import VERSION
from ld_emulator import Emulator
from tests.support.declarations import declaration
from tests.support.engine import ProviderCallError, ProviderHost, normalize_numbers
from tests.support.tools import native_plugin

TOKEN = "native-grpc-token-77e2"


def plugin_command() -> list[str]:
    return [native_plugin()]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(tokens=(TOKEN,)) as emu:
        yield emu


@pytest.fixture(scope="module")
def plugin(emulator: Emulator) -> Iterator[ProviderHost]:
    env = {k: "" for k in os.environ if k.startswith("LAUNCHDARKLY_")}
    with ProviderHost(None, command=plugin_command(), env=env, type_token=EXPERIMENT_TOKEN) as host:
        accepts_secrets, supports_preview = host.configure(
            {"accessToken": TOKEN, "apiHost": emulator.url}, secret_keys={"accessToken"}
        )
        assert accepts_secrets and supports_preview
        yield host


def test_plugin_info_and_schema(plugin: ProviderHost) -> None:
    assert plugin.plugin_version == VERSION
    answer = plugin._call("GetSchema", provider_pb2.GetSchemaRequest(version=0))
    assert EXPERIMENT_TOKEN in json.loads(answer.schema)["resources"]
    plugin._call("Cancel", empty_pb2.Empty())


def test_lifecycle_over_grpc(plugin: ProviderHost, emulator: Emulator) -> None:
    inputs, failures = plugin.check("grpc", {}, declaration(key="over-grpc"))
    assert failures == []
    id_, outputs = plugin.create("grpc", inputs)
    assert id_ == "shop/dev/over-grpc"
    assert "__provider" not in outputs

    renamed, _ = plugin.check("grpc", inputs, declaration(key="over-grpc", name="Renamed"))
    diff = plugin.diff(id_, "grpc", olds=outputs, news=renamed)
    assert (diff.changes, diff.detailed) == ("some", {"name": "UPDATE"})
    moved, _ = plugin.check("grpc", inputs, declaration(key="over-grpc-2"))
    diff = plugin.diff(id_, "grpc", olds=outputs, news=moved)
    assert diff.replaces == ["key"] and diff.detailed == {"key": "UPDATE_REPLACE"}

    # What `pulumi import` sends: the id, nothing else.
    read_id, _, rebuilt = plugin.read(id_, "grpc", outputs=None, inputs=None)
    assert read_id == id_
    assert normalize_numbers(rebuilt) == normalize_numbers(inputs)

    plugin.delete(id_, "grpc", outputs=outputs)
    assert emulator.experiments("shop", "dev")[-1]["archivedDate"]


def test_check_failures_name_properties(plugin: ProviderHost) -> None:
    _, failures = plugin.check("bad", {}, declaration(key="bad key", name=""))
    assert {f.property for f in failures} == {"key", "name"}


def test_no_artifact_of_a_lifecycle_contains_the_token(emulator: Emulator) -> None:
    """As tests/reliability/test_secrets.py for the dynamic host: outputs, inputs, errors and
    debug logs (every request logged, headers included) never hold the token."""
    env = {k: "" for k in os.environ if k.startswith("LAUNCHDARKLY_")}
    env["LAUNCHDARKLY_LOG_LEVEL"] = "debug"
    with ProviderHost(None, command=plugin_command(), env=env, type_token=EXPERIMENT_TOKEN) as host:
        host.configure({"accessToken": TOKEN, "apiHost": emulator.url}, secret_keys={"accessToken"})
        inputs, _ = host.check("exp", {}, declaration(key="grep"))
        emulator.faults.fail_next(1, status=429, method="POST")  # a retry gets logged
        id_, outputs = host.create("exp", inputs)
        _, read_outputs, read_inputs = host.read(id_, "exp", outputs=None, inputs=None)
        twin, _ = host.check("twin", {}, declaration(key="grep", name="Other"))
        with pytest.raises(ProviderCallError) as conflict:
            host.create("twin", twin)
        host.delete(id_, "exp", outputs=outputs)
        stderr = host.wait_for_stderr("PATCH")
    artifacts = [json.dumps(x) for x in (inputs, outputs, read_outputs, read_inputs)]
    artifacts += [conflict.value.details, stderr]
    assert "<redacted>" in stderr and "retrying" in stderr
    assert all(TOKEN not in artifact for artifact in artifacts)
