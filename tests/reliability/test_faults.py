"""Every operation under 429 storms, 5xx, slow answers and dropped connections.

The provider runs in-process (the gRPC path is covered by tests/protocol) against the emulator's
fault injection over loopback HTTP. After each case the emulator must hold exactly one
experiment for the key, in the declared state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from launchdarkly_experiments.dynamic.adapter import DynamicAdapter
from launchdarkly_experiments.errors import LaunchDarklyError
from launchdarkly_experiments.http.client import LaunchDarklyClient, RetryPolicy
from launchdarkly_experiments.provider import ExperimentProvider
from ld_emulator import PROFILES, Emulator
from tests.support import fixture_ids as ids
from tests.support.declarations import declaration

TOKEN = "api-reliability-token-91c2"
COLLECTION = r"/api/v2/projects/shop/environments/dev/experiments$"
ITEM = r"/experiments/checkout-button$"


@pytest.fixture(scope="module", params=sorted(PROFILES))
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    with Emulator(tokens=(TOKEN,), profile=request.param) as emu:
        yield emu


@pytest.fixture(autouse=True)
def clean(emulator: Emulator) -> None:
    emulator.reset()


def make_provider(
    emulator: Emulator,
    *,
    deadline: str = "20",
    provider_class: type[DynamicAdapter] = ExperimentProvider,
) -> DynamicAdapter:
    provider = provider_class()
    provider.configure(
        ConfigureRequest(
            Config(
                {
                    "launchdarkly:accessToken": TOKEN,
                    "launchdarkly:apiHost": emulator.url,
                    "launchdarkly:requestTimeout": "0.5",
                    "launchdarkly:retryDeadline": deadline,
                },
                "test",
            )
        )
    )
    # Short backoff keeps the suite fast; server-given waits (Retry-After) still apply.
    settings = provider.settings
    provider.use_client(
        LaunchDarklyClient(
            settings.require_token(),
            settings.api_host,
            timeout=settings.request_timeout,
            retry=RetryPolicy(deadline=settings.retry_deadline, min_backoff=0.02, max_backoff=0.1),
        )
    )
    return provider


def checked(provider: DynamicAdapter, **overrides: Any) -> dict[str, Any]:
    result = provider.check({}, declaration(**overrides))
    assert result.failures == []
    return dict(result.inputs)


FAULTS: dict[str, Callable[[Emulator, str | None, str], Any]] = {
    "429 storm": lambda e, m, p: e.faults.rate_limit(
        0, window_seconds=0.3, method=m, path=p, header="X-Ratelimit-Reset"
    ),
    "429 retry-after": lambda e, m, p: e.faults.fail_next(2, status=429, method=m, path=p),
    "500": lambda e, m, p: e.faults.fail_next(2, status=500, method=m, path=p),
    "502": lambda e, m, p: e.faults.fail_next(1, status=502, method=m, path=p),
    "503": lambda e, m, p: e.faults.fail_next(2, status=503, method=m, path=p),
    "slow past timeout": lambda e, m, p: e.faults.delay(
        1.0, method=m, path=p, count=1, after_processing=True
    ),
    "dropped before": lambda e, m, p: e.faults.drop_next(1, method=m, path=p),
    "dropped after applying": lambda e, m, p: e.faults.drop_next(
        1, method=m, path=p, after_processing=True
    ),
}


def clear_storm_later(emulator: Emulator, fault: str) -> None:
    # A storm with limit 0 never lets anything through; it ends when its window is cleared.
    if fault == "429 storm":
        import threading

        threading.Timer(0.8, emulator.faults.clear).start()


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_create_survives_transient_faults_without_duplicates(
    emulator: Emulator, fault: str
) -> None:
    provider = make_provider(emulator)
    inputs = checked(provider)
    FAULTS[fault](emulator, "POST", COLLECTION)
    clear_storm_later(emulator, fault)
    result = provider.create(inputs)
    assert result.id == "shop/dev/checkout-button"
    assert result.outs is not None and result.outs["experimentId"]
    experiments = emulator.experiments("shop", "dev")
    assert [e["key"] for e in experiments] == ["checkout-button"]
    assert experiments[0]["_id"] == result.outs["experimentId"]


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_update_read_delete_survive_transient_faults(emulator: Emulator, fault: str) -> None:
    provider = make_provider(emulator)
    created = provider.create(checked(provider))
    assert created.outs is not None
    outputs = created.outs

    FAULTS[fault](emulator, "PATCH", ITEM)
    clear_storm_later(emulator, fault)
    news = checked(provider, name="Renamed", state="running")
    outputs = provider.update(created.id, outputs, news).outs or {}
    live = emulator.experiment("shop", "dev", "checkout-button")
    assert live is not None
    assert live["name"] == "Renamed"
    assert live["currentIteration"]["status"] == "running"
    assert not live.get("previousIterations"), "the change was applied once"
    assert outputs["currentIteration"]["status"] == "running"

    emulator.faults.clear()
    FAULTS[fault](emulator, "GET", ITEM)
    clear_storm_later(emulator, fault)
    read = provider.read(created.id, outputs)
    assert read.id == created.id and read.outs is not None
    assert read.outs["name"] == "Renamed"

    emulator.faults.clear()
    FAULTS[fault](emulator, "PATCH", ITEM)
    clear_storm_later(emulator, fault)
    provider.delete(created.id, outputs)
    live = emulator.experiment("shop", "dev", "checkout-button")
    assert live is not None and live.get("archivedDate")
    assert len(emulator.experiments("shop", "dev")) == 1


@pytest.mark.parametrize(
    ("operation", "method", "path"),
    [("create", "POST", COLLECTION), ("update", "PATCH", ITEM), ("read", "GET", ITEM)],
)
def test_persistent_failures_end_with_a_clear_error(
    emulator: Emulator, operation: str, method: str, path: str
) -> None:
    provider = make_provider(emulator, deadline="1")
    created = None
    if operation != "create":
        created = provider.create(checked(provider))
    emulator.faults.fail_next(1000, status=503, method=method, path=path)
    with pytest.raises(LaunchDarklyError) as caught:
        if created is None:
            provider.create(checked(provider))
        elif operation == "update":
            provider.update(created.id, created.outs or {}, checked(provider, name="New"))
        else:
            provider.read(created.id, created.outs or {})
    message = str(caught.value)
    assert f"{operation} experiment shop/dev/checkout-button" in message
    assert "503" in message
    assert TOKEN not in message and TOKEN not in repr(caught.value)
    assert len(emulator.experiments("shop", "dev")) <= 1


def test_refused_change_fails_at_once_with_launchdarklys_message(emulator: Emulator) -> None:
    provider = make_provider(emulator)
    inputs = checked(provider)
    inputs["iteration"]["flags"] = {
        "dormant-flag": {"ruleId": "fallthrough", "flagConfigVersion": 1}
    }
    dormant = (ids.DORMANT_OFF, ids.DORMANT_ON)
    for arm, variation in zip(inputs["iteration"]["treatments"], dormant, strict=True):
        arm["parameters"] = [{"flagKey": "dormant-flag", "variationId": variation}]
    created = provider.create(inputs)
    emulator.clear_requests()
    with pytest.raises(LaunchDarklyError) as caught:
        provider.update(created.id, created.outs or {}, {**inputs, "state": "running"})
    message = str(caught.value)
    assert message.startswith(
        "update experiment shop/dev/checkout-button: LaunchDarkly answered 400"
    )
    assert "dormant-flag" in message
    methods = [r["method"] for r in emulator.requests()]
    assert methods.count("PATCH") == 1, "a 400 is not sent again"
