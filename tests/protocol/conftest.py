"""Shared fixtures for protocol tests: one emulator and one real provider host per module."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from launchdarkly_experiments.provider import ExperimentProvider
from ld_emulator import Emulator
from tests.support.engine import ProviderHost

TOKEN = "api-protocol-test-token-7f3a"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(tokens=(TOKEN,)) as emu:
        yield emu


@pytest.fixture(scope="module")
def host(emulator: Emulator) -> Iterator[ProviderHost]:
    env = {k: "" for k in os.environ if k.startswith("LAUNCHDARKLY_")}
    with ProviderHost(ExperimentProvider(), env=env) as running:
        # These tests count the requests of each operation: reference lookups at check are
        # covered by test_references_protocol.py.
        running.configure(
            {
                "launchdarkly:accessToken": TOKEN,
                "launchdarkly:apiHost": emulator.url,
                "launchdarkly:validateReferences": "never",
            },
            secret_keys={"launchdarkly:accessToken"},
        )
        yield running


@pytest.fixture(autouse=True)
def clean(emulator: Emulator) -> None:
    emulator.reset()


def api_calls(emulator: Emulator) -> list[tuple[str, str]]:
    """(method, path) of every API request the emulator saw since the last reset."""
    return [(r["method"], r["path"]) for r in emulator.requests()]
