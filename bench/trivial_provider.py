"""A provider that imports nothing of ours: the start-up baseline for bench/run.py."""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CheckResult, ResourceProvider


class TrivialProvider(ResourceProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, [])
