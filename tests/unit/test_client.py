"""The HTTP client: headers, error mapping, retry policy, redaction (over httpx.MockTransport)."""

from __future__ import annotations

import json
import logging
import ssl
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from launchdarkly_experiments.core import paths
from launchdarkly_experiments.core.kinds.experiment import api
from launchdarkly_experiments.core.kinds.experiment.state import Address
from launchdarkly_experiments.errors import (
    APIError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    OutcomeUnknown,
    RetryBudgetExceeded,
    ServerError,
    TransportError,
)
from launchdarkly_experiments.http.client import (
    SEMANTIC_PATCH,
    LaunchDarklyClient,
    RetryPolicy,
    redact_headers,
)

TOKEN = "api-0123456789-secret-token"
EXPERIMENT = {
    "_id": "abc",
    "key": "exp",
    "name": "Exp",
    "_maintainerId": "m",
    "_creationDate": 1,
    "environmentKey": "dev",
    "_links": {"self": {"href": "/x"}},
}


EPOCH = 1_800_000_000.0  # the fake wall clock's "now", in seconds
# How long a test waits for its own threads before it gives up: a hang guard, never a timing.
GUARD = 30.0


def make_client(
    handler: Callable[[httpx.Request], httpx.Response], *, deadline: float = 30.0
) -> tuple[LaunchDarklyClient, list[float], list[httpx.Request]]:
    sleeps: list[float] = []
    seen: list[httpx.Request] = []
    now = [0.0]

    def sleep(seconds: float) -> None:  # a fake clock: the test never waits for real
        sleeps.append(seconds)
        now[0] += seconds

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    client = LaunchDarklyClient(
        TOKEN,
        "https://ld.example",
        transport=httpx.MockTransport(recording),
        retry=RetryPolicy(deadline=deadline),
        sleep=sleep,
        clock=lambda: now[0],
        wall_clock=lambda: EPOCH + now[0],
    )
    return client, sleeps, seen


def get(client: LaunchDarklyClient, project: str, env: str) -> Any:
    return client.request("GET", paths.experiment(project, env, "exp"))


def create(client: LaunchDarklyClient, project: str, env: str) -> Any:
    return client.request("POST", paths.experiments(project, env), json={"key": "exp"})


def answers(*responses: httpx.Response) -> Callable[[httpx.Request], httpx.Response]:
    queue = list(responses)
    return lambda request: queue.pop(0)


def error(status: int, code: str, message: str, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "message": message}, headers=headers)


def test_sends_token_without_bearer_and_dated_api_version() -> None:
    client, _, seen = make_client(answers(httpx.Response(200, json=EXPERIMENT)))
    rep = api.get_experiment(client, Address("shop", "dev", "exp"))
    assert rep.key == "exp"
    request = seen[0]
    assert request.headers["Authorization"] == TOKEN
    assert request.headers["LD-API-Version"] == "20240415"
    assert request.url.path == "/api/v2/projects/shop/environments/dev/experiments/exp"
    assert "treatments" in request.url.params["expand"]


def test_patch_uses_semantic_patch_content_type() -> None:
    client, _, seen = make_client(answers(httpx.Response(200, json=EXPERIMENT)))
    api.patch_experiment(client, Address("shop", "dev", "exp"), [{"kind": "archiveExperiment"}])
    assert seen[0].method == "PATCH"
    assert seen[0].headers["Content-Type"] == SEMANTIC_PATCH
    assert json.loads(seen[0].content) == {"instructions": [{"kind": "archiveExperiment"}]}


@pytest.mark.parametrize(
    ("status", "cls"),
    [(400, InvalidRequestError), (404, NotFoundError), (409, ConflictError)],
)
def test_error_answers_map_to_the_tree_with_code_and_message(
    status: int, cls: type[APIError]
) -> None:
    client, _, seen = make_client(answers(error(status, "some_code", "it went wrong")))
    with pytest.raises(cls) as caught:
        get(client, "shop", "dev")
    assert caught.value.status == status
    assert caught.value.code == "some_code"
    assert caught.value.message == "it went wrong"
    assert "it went wrong" in str(caught.value)
    assert len(seen) == 1, "client errors are not retried"


def test_token_echoed_by_server_is_scrubbed_from_errors() -> None:
    client, _, _ = make_client(answers(error(401, "unauthorized", f"bad token {TOKEN}")))
    with pytest.raises(APIError) as caught:
        get(client, "shop", "dev")
    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(caught.value)
    assert TOKEN not in repr(client)


def test_get_retries_5xx_and_429_honouring_retry_after() -> None:
    client, sleeps, seen = make_client(
        answers(
            error(503, "service_unavailable", "busy"),
            error(429, "rate_limited", "slow down", **{"Retry-After": "2"}),
            httpx.Response(200, json=EXPERIMENT),
        )
    )
    assert get(client, "shop", "dev")["key"] == "exp"
    assert len(seen) == 3
    assert 2.0 <= sleeps[1] <= 2.5, "Retry-After seconds honoured, plus a little jitter"


def test_ratelimit_reset_header_in_epoch_millis_is_honoured() -> None:
    reset = int((EPOCH + 3) * 1000)
    client, sleeps, _ = make_client(
        answers(
            error(429, "rate_limited", "slow", **{"X-Ratelimit-Reset": str(reset)}),
            httpx.Response(200, json=EXPERIMENT),
        )
    )
    get(client, "shop", "dev")
    assert 3.0 <= sleeps[0] <= 3.5, "three seconds to the reset, plus a little jitter"


def test_post_is_retried_on_429_but_not_on_5xx() -> None:
    client, _, seen = make_client(
        answers(
            error(429, "rate_limited", "slow", **{"Retry-After": "0"}),
            httpx.Response(201, json=EXPERIMENT),
        )
    )
    assert create(client, "shop", "dev")["key"] == "exp"
    assert len(seen) == 2

    client, _, seen = make_client(answers(error(502, "bad_gateway", "oops")))
    with pytest.raises(OutcomeUnknown):
        create(client, "shop", "dev")
    assert len(seen) == 1, "a POST whose outcome is unknown is never blindly re-sent"


def test_post_read_timeout_is_outcome_unknown_but_connect_error_is_retried() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    client, _, seen = make_client(timeout)
    with pytest.raises(OutcomeUnknown):
        create(client, "shop", "dev")
    assert len(seen) == 1

    calls = {"n": 0}

    def refuse_once(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(201, json=EXPERIMENT)

    client, _, _ = make_client(refuse_once)
    assert create(client, "shop", "dev")["key"] == "exp"
    assert calls["n"] == 2


def test_retries_stop_at_the_deadline_with_the_last_error() -> None:
    client, sleeps, seen = make_client(
        lambda request: error(503, "service_unavailable", "down", **{"Retry-After": "4"}),
        deadline=10.0,
    )
    with pytest.raises(RetryBudgetExceeded) as caught:
        get(client, "shop", "dev")
    assert "503" in str(caught.value) and "down" in str(caught.value)
    assert isinstance(caught.value, TransportError)
    assert sum(sleeps) <= 10.0
    assert len(seen) >= 2


def test_server_error_class_for_5xx() -> None:
    client, _, _ = make_client(lambda r: error(500, "internal", "boom"), deadline=0)
    with pytest.raises(RetryBudgetExceeded) as caught:
        get(client, "shop", "dev")
    assert isinstance(caught.value.__cause__, ServerError)


def test_debug_log_redacts_authorization(caplog: pytest.LogCaptureFixture) -> None:
    client, _, _ = make_client(answers(httpx.Response(200, json=EXPERIMENT)))
    with caplog.at_level(logging.DEBUG, logger="launchdarkly_experiments"):
        get(client, "shop", "dev")
    assert "<redacted>" in caplog.text
    assert TOKEN not in caplog.text
    assert redact_headers({"Authorization": TOKEN, "X": "y"}) == {
        "Authorization": "<redacted>",
        "X": "y",
    }


def test_client_side_concurrency_limit_caps_requests_in_flight() -> None:
    """Requests are held in the transport until the test lets one go: the limit's two are in
    flight for certain, without timing, and a request let past the limit is counted while
    they are held (the test stops at once when the count exceeds the limit).

    The limit is a semaphore, not a wait: the client's injected clock and sleep do not
    drive it, so the test steps it with a condition instead of sleeping for real.
    """
    limit, total = 2, 8
    state = threading.Condition()
    counts = {"in_flight": 0, "peak": 0, "released": 0, "left": 0}

    def held(request: httpx.Request) -> httpx.Response:
        with state:
            counts["in_flight"] += 1
            counts["peak"] = max(counts["peak"], counts["in_flight"])
            state.notify_all()
            assert state.wait_for(lambda: counts["released"] > counts["left"], GUARD)
            counts["left"] += 1
            counts["in_flight"] -= 1
            state.notify_all()
        return httpx.Response(200, json=EXPERIMENT)

    client = LaunchDarklyClient(
        TOKEN,
        "https://ld.example",
        transport=httpx.MockTransport(held),
        max_concurrent_requests=limit,
    )
    results: list[str] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(get(client, "shop", "dev")["key"]),
            daemon=True,
        )
        for _ in range(total)
    ]
    for thread in threads:
        thread.start()
    for released in range(total):
        with state:
            # Every request let go has left, and as many as the limit allows are in flight.
            expected = min(limit, total - released)
            settled = state.wait_for(
                lambda r=released, e=expected: (
                    counts["peak"] > limit or (counts["left"] == r and counts["in_flight"] == e)
                ),
                GUARD,
            )
            assert counts["peak"] <= limit, f"more requests in flight than the limit: {counts}"
            assert settled, f"after {released} released: {counts}"
            counts["released"] += 1
            state.notify_all()
    for thread in threads:
        thread.join(GUARD)
    assert results == ["exp"] * total
    assert counts["peak"] == limit


# -- answers that are not LaunchDarkly's JSON (a load balancer's page, say) ----------------------

HTML_503 = (
    "<html><head><title>503 Service Temporarily Unavailable</title></head><body>"
    + ("<center><h1>503 Service Temporarily Unavailable</h1></center>" * 50)
    + "</body></html>"
)


def test_an_html_error_body_is_described_not_pasted() -> None:
    client, _sleeps, _ = make_client(
        lambda r: httpx.Response(503, text=HTML_503, headers={"Content-Type": "text/html"}),
        deadline=1.0,
    )
    with pytest.raises(RetryBudgetExceeded) as caught:
        get(client, "p", "e")
    message = str(caught.value)
    assert "<html>" not in message and "<center>" not in message
    assert "text/html body of" in message
    assert "503 Service Temporarily Unavailable" in message
    assert len(message) < 600


def test_a_write_answered_2xx_with_a_non_json_body_has_an_unknown_outcome() -> None:
    client, _, seen = make_client(
        lambda r: httpx.Response(200, text="<html>ok</html>", headers={"Content-Type": "text/html"})
    )
    with pytest.raises(OutcomeUnknown, match="may or may not have applied it"):
        create(client, "p", "e")
    assert len(seen) == 1, "a write is never sent twice on an unreadable answer"


def test_a_read_answered_2xx_with_a_non_json_body_is_retried() -> None:
    answers = iter(
        [
            httpx.Response(200, text="<html>gateway</html>"),
            httpx.Response(200, json=EXPERIMENT),
        ]
    )
    client, sleeps, seen = make_client(lambda r: next(answers))
    assert get(client, "p", "e")["key"] == "exp"
    assert len(seen) == 2 and len(sleeps) == 1


@pytest.mark.parametrize(
    ("host", "verified"),
    [("https://app.launchdarkly.com", True), ("http://127.0.0.1:8080", False)],
)
def test_certificates_are_verified_on_https_and_not_loaded_for_plain_http(
    host: str, verified: bool
) -> None:
    client = LaunchDarklyClient(TOKEN, host)
    try:
        context = client._http._transport._pool._ssl_context  # type: ignore[attr-defined]
        assert (context.verify_mode == ssl.CERT_REQUIRED) is verified
        assert (context.cert_store_stats()["x509_ca"] > 0) is verified
    finally:
        client.close()
