"""One provider instance serving parallel calls, as the host does (up to 4 at once)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from launchdarkly_experiments.provider import ExperimentProvider
from ld_emulator import PROFILES, Emulator
from tests.support.declarations import declaration

TOKEN = "api-concurrency-token"


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_parallel_creates_updates_and_deletes_lose_and_duplicate_nothing(profile: str) -> None:
    with Emulator(tokens=(TOKEN,), profile=profile) as emulator:
        provider = ExperimentProvider()
        provider.configure(
            ConfigureRequest(
                Config(
                    {"launchdarkly:accessToken": TOKEN, "launchdarkly:apiHost": emulator.url},
                    "p",
                )
            )
        )
        keys = [f"exp-{i:02d}" for i in range(24)]
        # Some requests fail transiently while the pool is busy.
        emulator.faults.fail_next(6, status=503, method="GET")
        emulator.faults.fail_next(4, status=429, method="POST")

        def create(key: str) -> str:
            inputs = dict(provider.check({}, declaration(key=key)).inputs)
            result = provider.create(inputs)
            assert result.outs is not None
            renamed = dict(provider.check(inputs, declaration(key=key, name=f"N {key}")).inputs)
            outs = provider.update(result.id, result.outs, renamed).outs or {}
            if key.endswith(("0", "5")):
                provider.delete(result.id, outs)
            return result.id

        with ThreadPoolExecutor(max_workers=4) as pool:
            ids = list(pool.map(create, keys))

        assert ids == [f"shop/dev/{key}" for key in keys]
        stored = {e["key"]: e for e in emulator.experiments("shop", "dev")}
        assert sorted(stored) == keys, "exactly one experiment per key"
        for key in keys:
            assert stored[key]["name"] == f"N {key}"
            assert bool(stored[key].get("archivedDate")) == key.endswith(("0", "5"))
        posts = [r for r in emulator.requests() if r["method"] == "POST" and r["status"] == 201]
        assert len(posts) == len(keys)
