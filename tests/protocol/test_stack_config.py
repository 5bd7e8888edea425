"""The stack-config path: what the engine hands to Configure reaches the provider, with the
precedence the README states (stack config > environment variable > default)."""

from __future__ import annotations

import os

from launchdarkly_experiments.provider import ExperimentProvider
from ld_emulator import Emulator
from tests.support.declarations import declaration
from tests.support.engine import ProviderCallError, ProviderHost

TOKEN = "api-stack-config-token"


def blank_launchdarkly_env() -> dict[str, str]:
    return {k: "" for k in os.environ if k.startswith("LAUNCHDARKLY_")}


def test_stack_config_beats_environment_and_fills_project_and_environment() -> None:
    with Emulator(tokens=(TOKEN,)) as emulator:
        env = blank_launchdarkly_env()
        # The environment points elsewhere and carries a wrong token: stack config must win.
        env["LAUNCHDARKLY_API_HOST"] = "http://127.0.0.1:9"
        env["LAUNCHDARKLY_ACCESS_TOKEN"] = "wrong-token"
        env["LAUNCHDARKLY_ENVIRONMENT_KEY"] = "production"
        with ProviderHost(ExperimentProvider(), env=env) as host:
            host.configure(
                {
                    "launchdarkly:accessToken": TOKEN,
                    "launchdarkly:apiHost": emulator.url,
                    "launchdarkly:projectKey": "shop",
                    "launchdarkly:environmentKey": "staging",
                },
                secret_keys={"launchdarkly:accessToken"},
            )
            props = declaration()
            del props["projectKey"], props["environmentKey"]
            inputs, failures = host.check("exp", {}, props)
            assert failures == []
            assert (inputs["projectKey"], inputs["environmentKey"]) == ("shop", "staging")
            id_, _ = host.create("exp", inputs)
        assert id_ == "shop/staging/checkout-button"
        assert emulator.experiment("shop", "staging", "checkout-button") is not None


def test_environment_variables_apply_when_stack_config_is_silent() -> None:
    with Emulator(tokens=(TOKEN,)) as emulator:
        env = blank_launchdarkly_env()
        env.update(
            LAUNCHDARKLY_API_HOST=emulator.url,
            LAUNCHDARKLY_ACCESS_TOKEN=TOKEN,
            LAUNCHDARKLY_PROJECT_KEY="shop",
            LAUNCHDARKLY_ENVIRONMENT_KEY="production",
        )
        with ProviderHost(ExperimentProvider(), env=env) as host:
            host.configure({})
            props = declaration()
            del props["projectKey"], props["environmentKey"]
            inputs, failures = host.check("exp", {}, props)
            assert failures == []
            host.create("exp", inputs)
        assert emulator.experiment("shop", "production", "checkout-button") is not None


def test_no_token_previews_fine_and_fails_clearly_on_create() -> None:
    with Emulator(tokens=(TOKEN,)) as emulator:
        env = blank_launchdarkly_env()
        with ProviderHost(ExperimentProvider(), env=env) as host:
            host.configure({"launchdarkly:apiHost": emulator.url})
            inputs, failures = host.check("exp", {}, declaration())
            assert failures == []
            assert host.diff("x", "exp", olds=inputs, news=inputs).changes == "none"
            try:
                host.create("exp", inputs)
            except ProviderCallError as exc:
                details = exc.details
            else:  # pragma: no cover
                raise AssertionError("create without a token must fail")
        assert "create experiment shop/dev/checkout-button" in details
        assert "launchdarkly:accessToken" in details and "LAUNCHDARKLY_ACCESS_TOKEN" in details
        assert emulator.requests() == []


def test_an_invalid_setting_is_one_line_at_check_and_no_traceback() -> None:
    env = blank_launchdarkly_env()
    env["LAUNCHDARKLY_REQUEST_TIMEOUT"] = "abc"
    with ProviderHost(ExperimentProvider(), env=env) as host:
        host.configure({"launchdarkly:retryDeadline": "-1"})
        _, failures = host.check("exp", {}, declaration())
    (failure,) = failures
    reason = failure[1] if isinstance(failure, tuple) else str(failure)
    assert "\n" not in reason and "Traceback" not in reason
    assert "launchdarkly:requestTimeout / LAUNCHDARKLY_REQUEST_TIMEOUT" in reason
    assert "got 'abc'" in reason
    # Every invalid setting, not only the first.
    assert "launchdarkly:retryDeadline / LAUNCHDARKLY_RETRY_DEADLINE" in reason
