"""Settings precedence, configure(), and what the pickled provider carries (nothing)."""

from __future__ import annotations

import base64
from typing import Any

import dill
import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime._serialization import _serialize

from launchdarkly_experiments.config import DEFAULT_API_HOST, resolve_settings
from launchdarkly_experiments.errors import ConfigurationError
from launchdarkly_experiments.provider import ExperimentProvider

TOKEN = "api-secret-token-for-tests"


def test_stack_config_wins_over_environment_which_wins_over_defaults() -> None:
    env = {
        "LAUNCHDARKLY_ACCESS_TOKEN": "env-token",
        "LAUNCHDARKLY_API_HOST": "http://env.example",
        "LAUNCHDARKLY_RETRY_DEADLINE": "5",
    }
    config = {"launchdarkly:accessToken": "config-token", "launchdarkly:projectKey": "shop"}
    settings = resolve_settings(config, env)
    assert settings.access_token == "config-token"
    assert settings.api_host == "http://env.example"
    assert settings.project_key == "shop"
    assert settings.retry_deadline == 5.0
    assert settings.request_timeout == 30.0
    defaults = resolve_settings({}, {})
    assert defaults.api_host == DEFAULT_API_HOST
    assert defaults.access_token is None
    assert defaults.max_concurrent_requests == 4


def test_settings_repr_hides_the_token() -> None:
    assert TOKEN not in repr(resolve_settings({"launchdarkly:accessToken": TOKEN}, {}))


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("launchdarkly:apiHost", "app.launchdarkly.com", "http(s) URL"),
        ("launchdarkly:requestTimeout", "soon", "number more than zero"),
        ("launchdarkly:requestTimeout", "0", "number more than zero"),
        ("launchdarkly:maxConcurrentRequests", "-1", "number more than zero"),
    ],
)
def test_bad_settings_name_the_key(key: str, value: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_settings({key: value}, {})
    assert key in str(caught.value) and fragment in str(caught.value)


def test_missing_token_fails_at_first_api_call_not_before(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAUNCHDARKLY_ACCESS_TOKEN", raising=False)
    provider = ExperimentProvider()
    provider.configure(ConfigureRequest(Config({}, "proj")))
    with pytest.raises(ConfigurationError) as caught:
        provider.client()
    assert "launchdarkly:accessToken" in str(caught.value)
    assert "LAUNCHDARKLY_ACCESS_TOKEN" in str(caught.value)


def test_configure_reads_namespaced_stack_config() -> None:
    provider = ExperimentProvider()
    raw: dict[str, Any] = {
        "launchdarkly:accessToken": TOKEN,
        "launchdarkly:apiHost": "http://127.0.0.1:9",
        "launchdarkly:environmentKey": "production",
    }
    provider.configure(ConfigureRequest(Config(raw, "proj")))
    assert provider.settings.access_token == TOKEN
    assert provider.settings.environment_key == "production"
    client = provider.client()
    assert provider.client() is client, "one shared client per host process"
    assert TOKEN not in repr(client)


def test_pickled_provider_is_by_reference_and_carries_no_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LAUNCHDARKLY_ACCESS_TOKEN", TOKEN)
    provider = ExperimentProvider()
    provider.configure(ConfigureRequest(Config({"launchdarkly:accessToken": TOKEN}, "p")))
    provider.client()  # a live client, a lock and settings are on the instance now
    blob, _ = _serialize(True, serialize_provider, provider)
    raw = base64.b64decode(blob)
    assert TOKEN.encode() not in raw
    assert b"launchdarkly_experiments.provider" in raw and b"ExperimentProvider" in raw
    assert b"httpx" not in raw and b"Lock" not in raw
    clone = dill.loads(raw)
    assert type(clone) is ExperimentProvider
    assert clone._service._client is None and clone._service._settings is None
    # Two instances pickle identically: one blob for every resource and stack.
    assert _serialize(True, serialize_provider, ExperimentProvider())[0] == blob
