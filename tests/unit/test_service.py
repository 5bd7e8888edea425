"""The core's service: the context of every kind, and the check around the kind's own."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from launchdarkly_experiments.config import resolve_settings
from launchdarkly_experiments.core.kind import Difference
from launchdarkly_experiments.core.kinds import Experiment
from launchdarkly_experiments.core.service import HostMemory, Service
from launchdarkly_experiments.dynamic import adapter
from launchdarkly_experiments.errors import ConfigurationError, Problem
from launchdarkly_experiments.provider import ExperimentProvider, MetricProvider


def service_with(config: dict[str, str]) -> Service:
    service = Service()
    service.use_settings(resolve_settings(config, {}))
    return service


def test_check_fills_defaults_from_settings_and_builds_no_client(valid: dict[str, Any]) -> None:
    service = service_with({"launchdarkly:environmentKey": "production"})
    del valid["environmentKey"]
    experiment = service.kind(Experiment)
    checked = service.check(experiment, {}, {**valid, "__provider": "blob", "description": None})
    assert checked.problems == []
    assert checked.inputs["environmentKey"] == "production"
    assert "__provider" not in checked.inputs and "description" not in checked.inputs
    assert service._client is None


def test_a_settings_error_is_one_check_problem_and_raised_elsewhere(
    valid: dict[str, Any],
) -> None:
    service = Service()
    service.use_settings_error(ConfigurationError([Problem("apiHost", "apiHost: not a URL")]))
    checked = service.check(service.kind(Experiment), {}, valid)
    assert checked.problems == [Problem("", "provider configuration: apiHost: not a URL")]
    with pytest.raises(ConfigurationError, match="apiHost"):
        service.client()


def test_unchecked_references_are_noted_once(
    valid: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    service = service_with({})
    with caplog.at_level(logging.WARNING, logger="launchdarkly_experiments"):
        service.check(service.kind(Experiment), {}, valid)
        service.check(service.kind(Experiment), {}, valid)
    assert len([r for r in caplog.records if "were not checked" in r.getMessage()]) == 1


def test_unchecked_references_are_noted_once_for_every_kind_of_a_dynamic_host(
    valid: dict[str, Any], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dynamic host serves each kind with its own provider and service, in one process:
    a program of six kinds previewed without a token hears the note once, not six times."""
    monkeypatch.delenv("LAUNCHDARKLY_ACCESS_TOKEN", raising=False)
    monkeypatch.setattr(adapter, "HOST_MEMORY", HostMemory())
    metric = {"projectKey": "shop", "key": "m", "name": "M", "kind": "custom"}
    metric.update(eventKey="e", isNumeric=False)
    with caplog.at_level(logging.WARNING, logger="launchdarkly_experiments"):
        for provider, news in ((ExperimentProvider(), valid), (MetricProvider(), metric)):
            assert provider.check({}, news).failures == []
    assert len([r for r in caplog.records if "were not checked" in r.getMessage()]) == 1


def test_the_kinds_diff_compares_declared_forms(valid: dict[str, Any]) -> None:
    service = service_with({})
    experiment = service.kind(Experiment)
    inputs = service.check(experiment, {}, valid).inputs
    assert experiment.diff(inputs, inputs) == Difference()
    changed = experiment.diff(inputs, {**inputs, "key": "other"})
    assert changed.changes and changed.replaces == ("key",)
    assert service.kind(Experiment) is experiment, "one instance per kind and service"
