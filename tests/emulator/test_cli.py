"""The ``ld-emulator`` command, run as a real subprocess."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ld_emulator.cli import parse_rate_limit
from tests.support.fixture_ids import MEMBER_CI

from .conftest import EXPERIMENTS, experiment


def _spawn(*args: str, cwd: Path) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ld_emulator", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl+C"):
            return proc, lines
    proc.kill()
    raise AssertionError(
        f"emulator did not start: {lines} {proc.stderr.read() if proc.stderr else ''}"
    )


def test_cli_serves_and_exits_cleanly_on_sigint(tmp_path: Path) -> None:
    proc, lines = _spawn(
        "--port",
        "0",
        "--token",
        "cli-token",
        "--read-only-token",
        "ro",
        "--data",
        "emu.db",
        cwd=tmp_path,
    )
    try:
        url_line = next(line for line in lines if "listening on" in line)
        url = re.search(r"http://127\.0\.0\.1:(\d+)", url_line)
        assert url is not None and url.group(1) != "0"
        base = url.group(0)
        assert f"  export LAUNCHDARKLY_API_HOST={base}" in lines
        assert "  export LAUNCHDARKLY_ACCESS_TOKEN=cli-token" in lines
        response = httpx.post(
            base + EXPERIMENTS, json=experiment(), headers={"Authorization": "cli-token"}
        )
        assert response.status_code == 201
        ro = httpx.post(base + EXPERIMENTS, json=experiment("x"), headers={"Authorization": "ro"})
        assert ro.status_code == 403
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "stopped" in out
    assert (tmp_path / "emu.db").exists()


def test_cli_in_memory_with_rate_limit_and_sigterm(tmp_path: Path) -> None:
    proc, lines = _spawn("--port", "0", "--in-memory", "--rate-limit", "1/30s", cwd=tmp_path)
    try:
        base = re.search(r"http://[\d.]+:\d+", lines[0])
        assert base is not None
        headers = {"Authorization": "dev-token"}
        assert httpx.get(base.group(0) + EXPERIMENTS, headers=headers).status_code == 200
        limited = httpx.get(base.group(0) + EXPERIMENTS, headers=headers)
        assert limited.status_code == 429 and "X-Ratelimit-Reset" in limited.headers
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert not list(tmp_path.iterdir())


def test_cli_strict_profile_bounded_log_and_verbose(tmp_path: Path) -> None:
    proc, lines = _spawn(
        *("--port", "0", "--in-memory", "--profile", "strict"),
        *("--request-log-size", "2", "--verbose"),
        cwd=tmp_path,
    )
    try:
        assert "Profile: strict (see docs/emulator.md, or --list-strict-points)." in lines
        base = re.search(r"http://[\d.]+:\d+", lines[0])
        assert base is not None
        health = httpx.get(base.group(0) + "/_emulator/health").json()
        assert health["profile"] == "strict"
        headers = {"Authorization": "dev-token"}
        for offset in range(3):
            params = {"offset": str(offset)}
            httpx.get(base.group(0) + EXPERIMENTS, headers=headers, params=params)
        logged = httpx.get(base.group(0) + "/_emulator/requests").json()
        assert [e["query"]["offset"] for e in logged["items"]] == ["1", "2"]
        assert logged["evicted"] == 1
        too_many = httpx.get(base.group(0) + EXPERIMENTS, headers=headers, params={"limit": "21"})
        assert too_many.status_code == 400
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert f"GET {EXPERIMENTS}?offset=2 -> 200" in err


def test_parse_rate_limit() -> None:
    assert parse_rate_limit("100/10s") == (100, 10.0)
    assert parse_rate_limit("5/1.5") == (5, 1.5)
    with pytest.raises(Exception, match="invalid rate limit"):
        parse_rate_limit("fast")


def test_cli_service_token(tmp_path: Path) -> None:
    proc, lines = _spawn("--port", "0", "--in-memory", "--service-token", "ci-svc", cwd=tmp_path)
    try:
        base = re.search(r"http://[\d.]+:\d+", lines[0])
        assert base is not None
        assert "  export LAUNCHDARKLY_ACCESS_TOKEN=ci-svc" in lines
        assert any(line.startswith("Service tokens") and "ci-svc" in line for line in lines)
        url = base.group(0) + EXPERIMENTS
        # without --token there is no member token: dev-token is unknown
        assert httpx.get(url, headers={"Authorization": "dev-token"}).status_code == 401
        service = {"Authorization": "ci-svc"}
        refused = httpx.post(url, json=experiment(), headers=service)
        assert refused.status_code == 400 and "maintainerId" in refused.json()["message"]
        body = experiment(maintainerId=MEMBER_CI)
        assert httpx.post(url, json=body, headers=service).status_code == 201
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    assert proc.returncode == 0
