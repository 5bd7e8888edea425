"""Shared fixtures for protocol tests: one emulator and one real provider host per module."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from launchdarkly_experiments.native.schema import EXPERIMENT_TOKEN
from launchdarkly_experiments.provider import ExperimentProvider
from ld_emulator import Emulator
from tests.support.engine import ProviderHost

TOKEN = "api-protocol-test-token-7f3a"
NATIVE_PLUGIN = "pulumi-resource-launchdarkly-experiments"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(tokens=(TOKEN,)) as emu:
        yield emu


@pytest.fixture(scope="module", params=["dynamic", "native"])
def host(emulator: Emulator, request: pytest.FixtureRequest) -> Iterator[ProviderHost]:
    """Each scenario runs against both adapters: the dynamic provider host and the native
    plugin executable (tests/native/test_plugin_grpc.py), which share the domain code."""
    env = {k: "" for k in os.environ if k.startswith("LAUNCHDARKLY_")}
    if request.param == "dynamic":
        with ProviderHost(ExperimentProvider(), env=env) as running:
            running.configure(
                {"launchdarkly:accessToken": TOKEN, "launchdarkly:apiHost": emulator.url},
                secret_keys={"launchdarkly:accessToken"},
            )
            yield running
        return
    with ProviderHost(
        None, command=[native_plugin()], env=env, type_token=EXPERIMENT_TOKEN
    ) as running:
        running.configure(
            {"accessToken": TOKEN, "apiHost": emulator.url}, secret_keys={"accessToken"}
        )
        yield running


def native_plugin() -> str:
    beside_python = Path(sys.executable).parent / NATIVE_PLUGIN
    found = str(beside_python) if beside_python.exists() else shutil.which(NATIVE_PLUGIN)
    if found is None:
        pytest.skip(f"{NATIVE_PLUGIN} is not installed (pip install -e .)")
    return found


@pytest.fixture(autouse=True)
def clean(emulator: Emulator) -> None:
    emulator.reset()


def api_calls(emulator: Emulator) -> list[tuple[str, str]]:
    """(method, path) of every API request the emulator saw since the last reset."""
    return [(r["method"], r["path"]) for r in emulator.requests()]
