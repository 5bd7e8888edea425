"""Shared fixtures for protocol tests: one emulator and one real provider host per module."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest

from launchdarkly_experiments import provider
from launchdarkly_experiments.core.kind import ResourceKind
from launchdarkly_experiments.core.kinds import Experiment
from launchdarkly_experiments.native.schema import resource_token
from ld_emulator import PROFILES, Emulator
from tests.support.engine import ProviderHost, normalize_numbers
from tests.support.profiles import one_profile_checked
from tests.support.tools import native_plugin

TOKEN = "api-protocol-test-token-7f3a"


@pytest.fixture(scope="module", params=sorted(PROFILES))
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """The emulator under each profile: every scenario must pass whichever reading of the spec
    LaunchDarkly takes (docs/emulator.md lists the points where the profiles differ). A test
    whose requests reach none of those points says so with ``one_profile``."""
    with Emulator(tokens=(TOKEN,), profile=request.param) as emu:
        yield emu


@pytest.fixture(scope="module", params=["dynamic", "native"])
def host(emulator: Emulator, request: pytest.FixtureRequest) -> Iterator[ProviderHost]:
    """Each scenario runs against both adapters: the dynamic provider host and the native
    plugin executable (tests/native/test_plugin_grpc.py), which share the domain code."""
    # These tests count the requests of each operation: reference lookups at check are
    # covered by test_references_protocol.py.
    settings = {"accessToken": TOKEN, "apiHost": emulator.url, "validateReferences": "never"}
    # A module serves another kind by naming it: KIND = Holdout.
    with provider_host(
        request.param, settings, getattr(request.module, "KIND", Experiment)
    ) as running:
        yield running


@contextmanager
def provider_host(
    adapter: str, settings: Mapping[str, str], kind: type[ResourceKind[Any]] = Experiment
) -> Iterator[ProviderHost]:
    """A started provider host of ``adapter`` ("dynamic" or "native") serving ``kind``,
    configured with ``settings`` (names without namespace: ``accessToken``,
    ``maintainerId``...), in an environment free of ``LAUNCHDARKLY_*`` variables. The token is
    sent as a secret."""
    env = {k: "" for k in os.environ if k.startswith("LAUNCHDARKLY_")}
    if adapter == "dynamic":
        config = {f"launchdarkly:{k}": v for k, v in settings.items()}
        secrets = {"launchdarkly:accessToken"} & set(config)
        dynamic_provider = getattr(provider, f"{kind.name}Provider")()
        with ProviderHost(dynamic_provider, env=env, type_token=dynamic_token(kind)) as running:
            running.configure(config, secret_keys=secrets)
            yield running
        return
    with ProviderHost(
        None, command=[native_plugin()], env=env, type_token=resource_token(kind.name)
    ) as running:
        running.configure(dict(settings), secret_keys={"accessToken"} & set(settings))
        yield running


def dynamic_token(kind: type[ResourceKind[Any]]) -> str:
    return f"pulumi-python:dynamic/launchdarkly:{kind.name}"


@pytest.fixture(autouse=True)
def clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """A reset emulator for each test that uses the module's; a test that does not (it starts
    its own, or none) is not run once per profile for it."""
    if "emulator" not in request.fixturenames:
        yield
        return
    emulator: Emulator = request.getfixturevalue("emulator")
    emulator.reset()
    with one_profile_checked(request.node, emulator):
        yield


def plain(props: Mapping[str, Any] | None) -> dict[str, Any]:
    """Properties as a kind wrote them: numbers as ints, without the dynamic host's pickled
    provider."""
    return {k: v for k, v in normalize_numbers(dict(props or {})).items() if k != "__provider"}


def checked_and_created(
    host: ProviderHost, name: str, props: Mapping[str, Any]
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Check then create ``props``, which must have no problem: (id, outputs, inputs)."""
    inputs, failures = host.check(name, {}, props)
    assert failures == []
    id_, outputs = host.create(name, inputs)
    return id_, plain(outputs), inputs


def api_calls(emulator: Emulator) -> list[tuple[str, str]]:
    """(method, path) of every API request the emulator saw since the last reset."""
    return [(r["method"], r["path"]) for r in emulator.requests()]


def reads_back(emulator: Emulator) -> bool:
    """Under this profile, does every write's answer lack expansions (so the provider GETs)?"""
    return "write-without-expansions" in emulator.profile


def with_read_backs(
    emulator: Emulator, calls: list[Any], key: str = "checkout-button"
) -> list[Any]:
    """The requests an operation makes under ``emulator``'s profile, given those it makes when
    writes answer in full. Where they do not, each PATCH is read back with one GET; a create's
    POST is planned on from what was sent, so it is read back only when no PATCH follows.

    ``calls`` holds methods (``"POST"``) or (method, path) pairs.
    """
    if not reads_back(emulator):
        return list(calls)

    def method(call: Any) -> str:
        return call if isinstance(call, str) else str(call[0])

    out: list[Any] = []
    for index, call in enumerate(calls):
        out.append(call)
        following = method(calls[index + 1]) if index + 1 < len(calls) else None
        if method(call) == "PATCH" or (method(call) == "POST" and following != "PATCH"):
            if isinstance(call, str):
                out.append("GET")
            else:
                path = call[1] if method(call) == "PATCH" else f"{call[1]}/{key}"
                out.append(("GET", path))
    return out
