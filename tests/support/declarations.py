"""The one valid experiment declaration the test suites and benchmarks start from.

It uses the emulator's default fixtures (flag ``checkout-button`` and its variations, metrics
``checkout-completed`` and ``revenue-per-user``; ids from :mod:`tests.support.fixture_ids`).
"""

from __future__ import annotations

from typing import Any

from tests.support.fixture_ids import BOTTOM, TOP

DECLARATION: dict[str, Any] = {
    "projectKey": "shop",
    "environmentKey": "dev",
    "key": "checkout-button",
    "name": "Checkout button placement",
    "tags": ["checkout", "web"],
    "iteration": {
        "hypothesis": "A bottom button converts better",
        "metrics": [{"key": "checkout-completed"}, {"key": "revenue-per-user"}],
        "primarySingleMetricKey": "checkout-completed",
        "treatments": [
            {
                "name": "Top",
                "baseline": True,
                "allocationPercent": "50",
                "parameters": [
                    {
                        "flagKey": "checkout-button",
                        "variationId": TOP,
                    }
                ],
            },
            {
                "name": "Bottom",
                "allocationPercent": "50",
                "parameters": [
                    {
                        "flagKey": "checkout-button",
                        "variationId": BOTTOM,
                    }
                ],
            },
        ],
        "flags": {"checkout-button": {"ruleId": "fallthrough", "flagConfigVersion": 3}},
    },
}


def _copied(value: Any) -> Any:
    """Dicts and lists copied all the way down; other values kept as they are (a test's
    sentinel for an unknown value keeps its identity)."""
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    return value


def _with(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = _copied(base)
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = _copied(value)
    return data


def declaration(**overrides: Any) -> dict[str, Any]:
    """A copy of the declaration with top-level overrides; ``None`` removes a field."""
    return _with(DECLARATION, overrides)


def iteration(**overrides: Any) -> dict[str, Any]:
    """A copy of the declaration's iteration with overrides; ``None`` removes a field."""
    return _with(DECLARATION["iteration"], overrides)
