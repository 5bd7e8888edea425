"""Fault injection (Python API and admin HTTP endpoints) and the request log."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pytest

from ld_emulator import Emulator

from .conftest import EXPERIMENTS, HEADERS, TOKEN, Api, assert_error, assert_schema, experiment


def test_fail_next_then_recovers(emu: Emulator, client: httpx.Client) -> None:
    emu.faults.fail_next(2, status=503)
    assert_error(client.get(EXPERIMENTS), 503, "service_unavailable", "Injected")
    assert_error(client.get(EXPERIMENTS), 503, "service_unavailable")
    assert client.get(EXPERIMENTS).status_code == 200
    assert emu.faults.active() == []


def test_fail_next_matches_method_and_path(emu: Emulator, client: httpx.Client, api: Api) -> None:
    emu.faults.fail_next(1, status=500, method="POST", path=r"/experiments$")
    assert client.get(EXPERIMENTS).status_code == 200
    assert_error(api.create(), 500, "internal_server_error")
    assert emu.experiment("shop", "dev", "button-test") is None
    assert_schema(api.create(), 201, "Experiment")


def test_fail_next_429_sets_retry_after(emu: Emulator, client: httpx.Client) -> None:
    emu.faults.fail_next(1, status=429)
    response = client.get(EXPERIMENTS)
    assert_error(response, 429, "rate_limited")
    assert response.headers["Retry-After"] == "1"


class FakeTime:
    """The fault plan's clock and sleep, stepped by the test: nothing waits for real.

    ``sleep`` records what a delay asked for and, while ``gate`` is closed, blocks the request
    there, so a test can look at the store while a request is held before or after it was
    applied, then let it go (``release``)."""

    def __init__(self, emu: Emulator) -> None:
        self.now = EPOCH
        self.sleeps: list[float] = []
        self.gate = threading.Event()
        self.gate.set()
        self.held = threading.Event()
        emu.faults.clock = lambda: self.now
        emu.faults.sleep = self.sleep

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.held.set()
        assert self.gate.wait(timeout=10), "the test never released the held request"

    def hold(self) -> None:
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()


EPOCH = 1_800_000_000.0  # the fake clock's start, in epoch seconds


def _until(condition: Callable[[], bool]) -> None:
    """Wait for the server thread to get somewhere (no duration is asserted)."""
    for _ in range(1000):
        if condition():
            return
        time.sleep(0.005)
    raise AssertionError("the condition never held")


@pytest.fixture
def fake_time(emu: Emulator) -> FakeTime:
    return FakeTime(emu)


def test_rate_limit_with_reset_header(
    emu: Emulator, client: httpx.Client, fake_time: FakeTime
) -> None:
    emu.faults.rate_limit(2, window_seconds=30)
    first = client.get(EXPERIMENTS)
    assert first.status_code == 200
    window_end_ms = str(int((EPOCH + 30) * 1000))
    assert first.headers["X-Ratelimit-Route-Remaining"] == "1"
    assert first.headers["X-Ratelimit-Reset"] == window_end_ms
    fake_time.now += 10
    assert client.get(EXPERIMENTS).status_code == 200
    limited = client.get(EXPERIMENTS)
    assert_error(limited, 429, "rate_limited")
    assert limited.headers["X-Ratelimit-Reset"] == window_end_ms
    assert limited.headers["X-Ratelimit-Route-Remaining"] == "0"
    assert "Retry-After" not in limited.headers
    fake_time.now += 20  # the window ends: a new one starts with this request
    renewed = client.get(EXPERIMENTS)
    assert renewed.status_code == 200
    assert renewed.headers["X-Ratelimit-Reset"] == str(int((EPOCH + 60) * 1000))


def test_rate_limit_with_retry_after_and_window_reset(
    emu: Emulator, client: httpx.Client, fake_time: FakeTime
) -> None:
    emu.faults.rate_limit(1, window_seconds=30, header="Retry-After", method="GET")
    assert client.get(EXPERIMENTS).status_code == 200
    limited = client.get(EXPERIMENTS)
    assert_error(limited, 429, "rate_limited")
    assert limited.headers["Retry-After"] == "30"
    assert "X-Ratelimit-Reset" not in limited.headers
    assert client.post(EXPERIMENTS, json=experiment()).status_code == 201  # method filter
    fake_time.now += 29.5
    assert client.get(EXPERIMENTS).headers["Retry-After"] == "1"  # whole seconds, at least 1
    fake_time.now += 0.5
    assert client.get(EXPERIMENTS).status_code == 200


def test_rate_limit_rejects_unknown_header(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="header"):
        emu.faults.rate_limit(1, header="X-Other")


def test_delay_before_processing(
    emu: Emulator, client: httpx.Client, api: Api, fake_time: FakeTime
) -> None:
    emu.faults.delay(0.3, method="POST", count=1)
    original = fake_time.sleep
    stored_while_delayed: list[bool] = []

    def before(seconds: float) -> None:
        stored_while_delayed.append(emu.experiment("shop", "dev", "button-test") is not None)
        original(seconds)

    emu.faults.sleep = before
    assert_schema(api.create(), 201, "Experiment")
    assert fake_time.sleeps == [0.3]
    assert stored_while_delayed == [False]  # the delay came before the request was applied
    assert client.get(EXPERIMENTS).status_code == 200
    api.patch({"kind": "updateName", "value": "Again"})
    assert fake_time.sleeps == [0.3]  # count=1: the delay is used up
    assert emu.faults.active() == []


def test_delay_before_processing_times_out_without_effect(
    emu: Emulator, api: Api, fake_time: FakeTime
) -> None:
    emu.faults.delay(0.6, method="POST", count=1)
    fake_time.hold()
    with pytest.raises(httpx.ReadTimeout):
        api.client.post(EXPERIMENTS, json=experiment(), timeout=0.2)
    # the request is held before processing while the client gave up: nothing applied
    assert fake_time.held.wait(timeout=10)
    assert emu.experiment("shop", "dev", "button-test") is None
    fake_time.release()
    _until(lambda: emu.experiment("shop", "dev", "button-test") is not None)
    assert fake_time.sleeps == [0.6]


def test_delay_after_processing_applies_first(emu: Emulator, api: Api, fake_time: FakeTime) -> None:
    emu.faults.delay(0.6, method="POST", count=1, after_processing=True)
    fake_time.hold()
    with pytest.raises(httpx.ReadTimeout):
        api.client.post(EXPERIMENTS, json=experiment(), timeout=0.2)
    assert fake_time.held.wait(timeout=10)
    assert emu.experiment("shop", "dev", "button-test") is not None
    fake_time.release()
    _until(lambda: [e["status"] for e in emu.requests()] == [201])
    assert fake_time.sleeps == [0.6]


def test_drop_next_before_processing(emu: Emulator, api: Api) -> None:
    emu.faults.drop_next(1, method="POST")
    with pytest.raises(httpx.RemoteProtocolError):
        api.create()
    assert emu.experiment("shop", "dev", "button-test") is None
    assert_schema(api.create(), 201, "Experiment")
    log = emu.requests()
    assert [entry["status"] for entry in log] == [None, 201]


def test_drop_next_after_processing_applies_the_request(emu: Emulator, api: Api) -> None:
    emu.faults.drop_next(1, method="POST", path="experiments$", after_processing=True)
    with pytest.raises(httpx.RemoteProtocolError):
        api.create()
    stored = emu.experiment("shop", "dev", "button-test")
    assert stored is not None and stored["key"] == "button-test"
    assert_error(api.create(), 409, "conflict")


def test_faults_clear_and_reset(emu: Emulator, client: httpx.Client, api: Api) -> None:
    api.created()
    emu.faults.fail_next(5)
    emu.faults.clear()
    assert client.get(EXPERIMENTS).status_code == 200
    emu.faults.fail_next(5)
    emu.reset()
    assert emu.requests() == []
    assert emu.experiments("shop", "dev") == []
    assert client.get(EXPERIMENTS).json()["items"] == []
    assert client.get("/api/v2/flags/shop/checkout-button").status_code == 200


def test_admin_endpoints(emu: Emulator, client: httpx.Client, api: Api) -> None:
    admin = httpx.Client(base_url=emu.url)
    assert admin.get("/_emulator/health").json()["status"] == "ok"
    api.created()
    assert admin.get("/_emulator/requests").json()["items"][0]["status"] == 201
    assert admin.delete("/_emulator/requests").status_code == 200
    assert emu.requests() == []

    created = admin.post(
        "/_emulator/faults", json={"kind": "fail_next", "n": 1, "status": 502, "method": "GET"}
    )
    assert created.status_code == 201 and created.json()["fault"]["status"] == 502
    assert_error(client.get(EXPERIMENTS), 502, "bad_gateway")
    admin.post(
        "/_emulator/faults", json={"kind": "rate_limit", "limit": 0, "header": "Retry-After"}
    )
    assert admin.get("/_emulator/faults").json()["items"][0]["kind"] == "rate_limit"
    assert client.get(EXPERIMENTS).status_code == 429
    assert admin.delete("/_emulator/faults").status_code == 200
    assert client.get(EXPERIMENTS).status_code == 200
    admin.post("/_emulator/faults", json={"kind": "delay", "seconds": 0.01, "count": 1})
    admin.post("/_emulator/faults", json={"kind": "drop_next", "n": 1, "method": "PUT"})
    assert len(emu.faults.active()) == 2

    bad = admin.post("/_emulator/faults", json={"kind": "explode"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_request"
    bad = admin.post("/_emulator/faults", json={"kind": "fail_next", "bogus": 1})
    assert bad.status_code == 400
    assert admin.post("/_emulator/faults", content=b"nope").status_code == 400
    assert admin.put("/_emulator/health").status_code == 405
    assert admin.get("/_emulator/nothing").status_code == 404

    assert admin.post("/_emulator/reset").status_code == 200
    assert emu.experiments("shop", "dev") == [] and emu.faults.active() == []
    # admin calls need no token and are never logged
    assert emu.requests() == []
    admin.close()


def test_faults_do_not_touch_admin_paths(emu: Emulator) -> None:
    emu.faults.fail_next(3)
    assert httpx.get(emu.url + "/_emulator/health").status_code == 200
    assert len(emu.faults.active()) == 1


def test_request_log_content_and_redaction(emu: Emulator, client: httpx.Client, api: Api) -> None:
    api.created()
    client.get(EXPERIMENTS, params={"limit": "5", "expand": "treatments"})
    httpx.get(emu.url + EXPERIMENTS, headers={"Authorization": "wrong-secret"})
    api.patch({"kind": "updateName", "value": "N"})
    client.post(EXPERIMENTS, content=b"{oops", headers={"Content-Type": "application/json"})
    log = emu.requests()
    assert [(e["method"], e["status"]) for e in log] == [
        ("POST", 201),
        ("GET", 200),
        ("GET", 401),
        ("PATCH", 200),
        ("POST", 400),
    ]
    create, listing, unauthorized, patch, broken = log
    assert create["path"] == EXPERIMENTS and create["query"] == {}
    assert create["body"]["key"] == "button-test"
    assert create["headers"]["Content-Type"] == "application/json"
    assert create["headers"]["LD-API-Version"] == HEADERS["LD-API-Version"]
    assert create["headers"]["User-Agent"].startswith("python-httpx")
    assert listing["query"] == {"limit": "5", "expand": "treatments"}
    assert listing["body"] is None
    assert "semanticpatch" in patch["headers"]["Content-Type"]
    assert broken["body"] is None
    for entry in log:
        assert set(entry) == {"method", "path", "query", "status", "body", "headers"}
        assert entry["headers"]["Authorization"] == "<redacted>"
        assert TOKEN not in str(entry) and "wrong-secret" not in str(entry)
    assert unauthorized["status"] == 401
    emu.clear_requests()
    assert emu.requests() == []
