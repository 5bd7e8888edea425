"""The request log is a bounded ring buffer: memory stays flat however long the emulator runs."""

from __future__ import annotations

import httpx
import pytest

from ld_emulator import Emulator
from ld_emulator.cli import main
from ld_emulator.request_log import DEFAULT_REQUEST_LOG_SIZE

from .conftest import EXPERIMENTS, HEADERS


def _get(client: httpx.Client, n: int) -> None:
    for i in range(n):
        assert client.get(EXPERIMENTS, params={"offset": str(i)}).status_code == 200


def test_default_size() -> None:
    assert Emulator().request_log_size == DEFAULT_REQUEST_LOG_SIZE == 10_000


def test_log_keeps_the_newest_entries_and_counts_the_evicted() -> None:
    with (
        Emulator(request_log_size=3) as emu,
        httpx.Client(base_url=emu.url, headers=HEADERS) as client,
    ):
        _get(client, 5)
        assert [e["query"]["offset"] for e in emu.requests()] == ["2", "3", "4"]
        assert emu.evicted_requests() == 2
        admin = client.get("/_emulator/requests").json()
        assert [e["query"]["offset"] for e in admin["items"]] == ["2", "3", "4"]
        assert admin["evicted"] == 2
        emu.clear_requests()
        assert emu.requests() == [] and emu.evicted_requests() == 0
        _get(client, 1)
        assert len(emu.requests()) == 1


def test_size_zero_keeps_nothing_and_none_keeps_everything() -> None:
    with Emulator(request_log_size=0) as emu, httpx.Client(base_url=emu.url, headers=HEADERS) as c:
        _get(c, 3)
        assert emu.requests() == [] and emu.evicted_requests() == 0
    with (
        Emulator(request_log_size=None) as emu,
        httpx.Client(base_url=emu.url, headers=HEADERS) as c,
    ):
        _get(c, 30)
        assert len(emu.requests()) == 30 and emu.request_log_size is None


def test_negative_size_is_refused() -> None:
    with pytest.raises(ValueError, match="request_log_size"):
        Emulator(request_log_size=-1)


def test_cli_refuses_a_negative_size(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--request-log-size", "-1"])
    assert exited.value.code == 2
    assert "--request-log-size" in capsys.readouterr().err
