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


def api_iteration(**overrides: Any) -> dict[str, Any]:
    """The declaration's iteration as the API's ``IterationInput``: every treatment says
    whether it is the baseline (the API requires it; the declaration leaves ``False`` out).
    Overrides as in :func:`iteration`; given ``treatments`` are left as they are."""
    data = iteration(**overrides)
    if "treatments" not in overrides:
        for treatment in data["treatments"]:
            treatment.setdefault("baseline", False)
    return data


def experiment_post(key: str = DECLARATION["key"], **overrides: Any) -> dict[str, Any]:
    """The declaration as the API's ``ExperimentPost`` with the fields it requires (name, key,
    iteration) and nothing else, so the API's defaults show; overrides as in
    :func:`declaration`."""
    body = {"name": DECLARATION["name"], "key": key, "iteration": api_iteration()}
    return _with(body, overrides)


def fifty_fifty(flag: str, baseline: str, other: str) -> list[dict[str, Any]]:
    """Two treatments, A (the baseline) and B, each serving one variation of ``flag`` to half
    the traffic, as the API's ``TreatmentInput`` has them."""
    return [
        {
            "name": name,
            "baseline": is_baseline,
            "allocationPercent": "50",
            "parameters": [{"flagKey": flag, "variationId": variation}],
        }
        for name, is_baseline, variation in (("A", True, baseline), ("B", False, other))
    ]
