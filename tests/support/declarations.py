"""The one valid experiment declaration the test suites and benchmarks start from.

It uses the emulator's default fixtures (flag ``checkout-button`` and its variations, metrics
``checkout-completed`` and ``revenue-per-user``).
"""

from __future__ import annotations

import copy
from typing import Any

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
                        "variationId": "a1b2c3d4-0000-4000-8000-000000000001",
                    }
                ],
            },
            {
                "name": "Bottom",
                "allocationPercent": "50",
                "parameters": [
                    {
                        "flagKey": "checkout-button",
                        "variationId": "a1b2c3d4-0000-4000-8000-000000000002",
                    }
                ],
            },
        ],
        "flags": {"checkout-button": {"ruleId": "fallthrough", "flagConfigVersion": 3}},
    },
}


def declaration(**overrides: Any) -> dict[str, Any]:
    data = copy.deepcopy(DECLARATION)
    data.update(overrides)
    return data
