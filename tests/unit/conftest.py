from __future__ import annotations

import copy
from typing import Any

import pytest

VALID: dict[str, Any] = {
    "projectKey": "shop",
    "environmentKey": "dev",
    "key": "checkout-button",
    "name": "Checkout button placement",
    "iteration": {
        "hypothesis": "A bottom button converts better",
        "metrics": [{"key": "checkout-completed"}, {"key": "revenue-per-user"}],
        "primarySingleMetricKey": "checkout-completed",
        "treatments": [
            {
                "name": "Top",
                "baseline": True,
                "allocationPercent": "50",
                "parameters": [{"flagKey": "checkout-button", "variationId": "var-top"}],
            },
            {
                "name": "Bottom",
                "allocationPercent": "50",
                "parameters": [{"flagKey": "checkout-button", "variationId": "var-bottom"}],
            },
        ],
        "flags": {"checkout-button": {"ruleId": "fallthrough", "flagConfigVersion": 3}},
    },
}


@pytest.fixture
def valid() -> dict[str, Any]:
    return copy.deepcopy(VALID)
