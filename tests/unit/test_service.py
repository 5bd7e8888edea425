"""The core's service: every provider operation on plain data, without Pulumi."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from launchdarkly_experiments.config import resolve_settings
from launchdarkly_experiments.core.plan import Difference
from launchdarkly_experiments.core.service import ExperimentService
from launchdarkly_experiments.errors import ConfigurationError, Problem


def service_with(config: dict[str, str]) -> ExperimentService:
    service = ExperimentService()
    service.use_settings(resolve_settings(config, {}))
    return service


def test_check_fills_defaults_from_settings_and_builds_no_client(valid: dict[str, Any]) -> None:
    service = service_with({"launchdarkly:environmentKey": "production"})
    del valid["environmentKey"]
    checked = service.check({}, {**valid, "__provider": "blob", "description": None})
    assert checked.problems == []
    assert checked.inputs["environmentKey"] == "production"
    assert "__provider" not in checked.inputs and "description" not in checked.inputs
    assert service._client is None


def test_a_settings_error_is_one_check_problem_and_raised_elsewhere(
    valid: dict[str, Any],
) -> None:
    service = ExperimentService()
    service.use_settings_error(ConfigurationError([Problem("apiHost", "apiHost: not a URL")]))
    checked = service.check({}, valid)
    assert checked.problems == [Problem("", "provider configuration: apiHost: not a URL")]
    with pytest.raises(ConfigurationError, match="apiHost"):
        service.client()


def test_unchecked_references_are_noted_once(
    valid: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    service = service_with({})
    with caplog.at_level(logging.WARNING, logger="launchdarkly_experiments"):
        service.check({}, valid)
        service.check({}, valid)
    assert len([r for r in caplog.records if "were not checked" in r.getMessage()]) == 1


def test_diff_is_the_core_difference(valid: dict[str, Any]) -> None:
    service = service_with({})
    inputs = service.check({}, valid).inputs
    assert service.diff(inputs, inputs) == Difference()
    changed = service.diff(inputs, {**inputs, "key": "other"})
    assert changed.changes and changed.replaces == ("key",)
