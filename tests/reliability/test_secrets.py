"""The token never appears in any artifact: __provider, outputs, inputs, logs, errors."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator

import pytest

from launchdarkly_experiments.provider import ExperimentProvider
from ld_emulator import PROFILES, Emulator
from tests.support.declarations import declaration
from tests.support.engine import ProviderCallError, ProviderHost

TOKEN = "api-grep-me-0d5c9e7a-token"


@pytest.fixture(params=sorted(PROFILES))
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    with Emulator(tokens=(TOKEN,), profile=request.param) as emu:
        yield emu


def test_no_artifact_of_a_full_lifecycle_contains_the_token(emulator: Emulator) -> None:
    env = {k: "" for k in os.environ if k.startswith("LAUNCHDARKLY_")}
    env["LAUNCHDARKLY_LOG_LEVEL"] = "debug"  # log every request, headers included
    artifacts: list[str] = []
    with ProviderHost(ExperimentProvider(), env=env) as host:
        host.configure(
            {"launchdarkly:accessToken": TOKEN, "launchdarkly:apiHost": emulator.url},
            secret_keys={"launchdarkly:accessToken"},
        )
        artifacts.append(host.serialized_provider)
        artifacts.append(base64.b64decode(host.serialized_provider).decode("latin-1"))
        inputs, _ = host.check("exp", {}, declaration())
        emulator.faults.fail_next(1, status=429, method="POST")  # a retry gets logged
        id_, outputs = host.create("exp", inputs)
        news, _ = host.check("exp", inputs, declaration(state="running"))
        outputs = host.update(id_, "exp", olds=outputs, news=news, old_inputs=inputs)
        _, outputs, live_inputs = host.read(id_, "exp", outputs=outputs, inputs=news)
        artifacts += [json.dumps(inputs), json.dumps(outputs), json.dumps(live_inputs)]
        twin, _ = host.check("twin", {}, declaration(name="Other"))
        with pytest.raises(ProviderCallError) as conflict:
            host.create("twin", twin)
        artifacts.append(conflict.value.details)
        host.delete(id_, "exp", outputs=outputs, old_inputs=news)
        host.wait_for_stderr("PATCH")
        stderr = host.stderr_text()
        artifacts.append(stderr)
    assert "<redacted>" in stderr, "debug logging ran and redacted the header"
    assert "retrying" in stderr
    for artifact in artifacts:
        assert TOKEN not in artifact
    # Only the emulator saw it, in the header where it belongs.
    assert all(r["headers"].get("Authorization") != TOKEN for r in emulator.requests())


def test_wrong_token_error_does_not_echo_the_token(emulator: Emulator) -> None:
    provider = ExperimentProvider()
    from pulumi.dynamic import Config, ConfigureRequest

    wrong = "api-wrong-token-5b1e"
    provider.configure(
        ConfigureRequest(
            Config({"launchdarkly:accessToken": wrong, "launchdarkly:apiHost": emulator.url}, "p")
        )
    )
    inputs = dict(provider.check({}, declaration()).inputs)
    with pytest.raises(Exception) as caught:
        provider.create(inputs)
    text = f"{caught.value} {caught.value!r}"
    assert "401" in text and "create experiment shop/dev/checkout-button" in text
    assert wrong not in text
