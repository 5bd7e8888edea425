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
from tests.support.relay import recording_relay

TOKEN = "api-grep-me-0d5c9e7a-token"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(tokens=(TOKEN,)) as emu:
        yield emu


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_no_artifact_of_a_full_lifecycle_contains_the_token(profile: str) -> None:
    """Under each profile: they answer this lifecycle's writes, its archive of a running
    experiment and its duplicate key differently (other requests, other answers), and the
    requests and answers are what end up on the wire, in outputs, logs and errors."""
    env = {k: "" for k in os.environ if k.startswith("LAUNCHDARKLY_")}
    env["LAUNCHDARKLY_LOG_LEVEL"] = "debug"  # log every request, headers included
    artifacts: list[str] = []
    with (
        Emulator(tokens=(TOKEN,), profile=profile) as emulator,
        recording_relay(emulator.url) as relay,
        ProviderHost(ExperimentProvider(), env=env) as host,
    ):
        host.configure(
            {"launchdarkly:accessToken": TOKEN, "launchdarkly:apiHost": relay.url},
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
    # Only the server saw it, in the header where it belongs: every request sent it there
    # once, and it is nowhere else on the wire (request line, other headers, bodies).
    sent = relay.requests()
    assert len(sent) == len(emulator.requests()) >= 6, "every request the server had is read"
    for request in sent:
        assert [v for k, v in request.headers if k == "authorization"] == [TOKEN], request
    assert relay.sent().count(TOKEN.encode()) == len(sent), "the token went out elsewhere too"


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
