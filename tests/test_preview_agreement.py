"""A green preview means `up` will work: the corpus of bench/preview_agreement.py."""

from __future__ import annotations

import os

import pytest

from bench.preview_agreement import CORPUS, measure, table


def test_preview_catches_what_up_refuses_and_offline_rules_need_no_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A session's own settings: measure() must neither use them nor remove them.
    monkeypatch.setenv("LAUNCHDARKLY_ACCESS_TOKEN", "the-sessions-token")
    monkeypatch.setenv("LAUNCHDARKLY_VALIDATE_REFERENCES", "always")
    verdicts = measure()
    assert os.environ["LAUNCHDARKLY_ACCESS_TOKEN"] == "the-sessions-token"
    assert os.environ["LAUNCHDARKLY_VALIDATE_REFERENCES"] == "always"
    assert len(verdicts) == len(CORPUS) >= 40
    for verdict in verdicts:
        name = verdict.case.name
        if verdict.case.kind == "offline":
            assert verdict.preview_offline, f"{name}: an offline rule must fail without a token"
        else:
            assert not verdict.preview_offline, f"{name}: preview without a token stays offline"
        if verdict.up_refused:
            assert verdict.preview_online, f"{name}: up refuses it, preview with a token must too"
    assert "Offline rules caught by a preview without a token: 32/32" in table(verdicts)
