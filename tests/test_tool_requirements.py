"""Tests of tests/support/tools.py: a missing tool skips, except under E2E_REQUIRED=1 (CI),
where it fails with its reason; every place that looks a tool up goes through it."""

from __future__ import annotations

import pytest

from tests.e2e.native.support import require_tool
from tests.support import tools

ABSENT = "no-such-tool-5c0e"


@pytest.mark.parametrize(
    ("setting", "outcome"),
    [("1", pytest.fail.Exception), ("", pytest.skip.Exception), ("0", pytest.skip.Exception)],
)
def test_a_missing_tool_fails_only_where_every_tool_is_required(
    monkeypatch: pytest.MonkeyPatch, setting: str, outcome: type[BaseException]
) -> None:
    monkeypatch.setenv("E2E_REQUIRED", setting)
    with pytest.raises(outcome, match=f"needs {ABSENT} \\(the test's tool\\)"):
        require_tool(ABSENT, "the test's tool")
    monkeypatch.setattr(tools, "NATIVE_PLUGIN", ABSENT)
    with pytest.raises(outcome, match=f"{ABSENT} is not installed"):
        tools.native_plugin()


def test_the_failure_says_why_it_is_not_a_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("E2E_REQUIRED", "1")
    with pytest.raises(pytest.fail.Exception) as failed:
        tools.missing("needs Go")
    assert str(failed.value) == "needs Go (E2E_REQUIRED=1: it must be there)"


def test_a_tool_that_is_there_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("E2E_REQUIRED", "1")
    assert require_tool("python3", "any Python").name.startswith("python")
