"""Malformed and abusive HTTP always gets a JSON answer, and never an echo of what was sent.

These talk to the emulator over raw sockets, so that the bytes on the wire are exactly the
broken ones (httpx would refuse to send most of them).
"""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any

import httpx
import pytest

from ld_emulator import Emulator
from ld_emulator.errors import MAX_MESSAGE
from ld_emulator.messages import MAX_JSON_DEPTH
from ld_emulator.server import MAX_BODY_BYTES

from .conftest import EXPERIMENTS, HEADERS, TOKEN, assert_error, experiment

MiB = 1024 * 1024


def _exchange(emu: Emulator, raw: bytes) -> tuple[http.client.HTTPResponse, bytes]:
    """Send ``raw`` on a fresh connection and read one answer."""
    with socket.create_connection((emu.host, emu.port), timeout=10) as sock:
        sock.sendall(raw)
        response = http.client.HTTPResponse(sock, method=raw.split(b" ", 1)[0].decode("latin-1"))
        response.begin()
        return response, response.read()


def _head(method: str, path: str, *extra: str, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", f"Authorization: {TOKEN}", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _json_error(response: http.client.HTTPResponse, payload: bytes, status: int) -> Any:
    assert response.status == status, payload[:500]
    assert response.getheader("Content-Type") == "application/json"
    body = json.loads(payload)
    assert set(body) == {"code", "message"}
    return body


@pytest.mark.parametrize(
    ("length", "needle"),
    [("abc", "Content-Length"), ("-5", "Content-Length"), ("1e3", "Content-Length")],
)
def test_bad_content_length_is_400_json(emu: Emulator, length: str, needle: str) -> None:
    raw = _head("POST", EXPERIMENTS, f"Content-Length: {length}", body=b"{}")
    body = _json_error(*_exchange(emu, raw), 400)
    assert body["code"] == "invalid_request"
    assert needle in body["message"]


def test_conflicting_content_lengths_are_400(emu: Emulator) -> None:
    raw = _head("POST", EXPERIMENTS, "Content-Length: 2", "Content-Length: 3", body=b"{}")
    assert "Content-Length" in _json_error(*_exchange(emu, raw), 400)["message"]


@pytest.mark.parametrize("size_line", [b"zz", b"-1", b"ffffffffffffffffffffffffffff", b""])
def test_bad_chunk_size_is_400_json(emu: Emulator, size_line: bytes) -> None:
    raw = _head("POST", EXPERIMENTS, "Transfer-Encoding: chunked")
    raw += size_line + b"\r\n{}\r\n0\r\n\r\n"
    assert "chunk" in _json_error(*_exchange(emu, raw), 400)["message"]


def test_chunk_shorter_than_announced_is_400(emu: Emulator) -> None:
    raw = _head("POST", EXPERIMENTS, "Transfer-Encoding: chunked") + b"5\r\n{}\r\n0\r\n\r\n"
    assert "chunk" in _json_error(*_exchange(emu, raw), 400)["message"]


def test_unsupported_transfer_encoding_is_answered(emu: Emulator) -> None:
    raw = _head("POST", EXPERIMENTS, "Transfer-Encoding: gzip") + b"{}"
    body = _json_error(*_exchange(emu, raw), 501)
    assert "Transfer-Encoding" in body["message"]


def test_garbage_request_line_is_400_json(emu: Emulator) -> None:
    body = _json_error(*_exchange(emu, b"NOT HTTP AT ALL\r\n\r\n"), 400)
    assert "request line" in body["message"]


def test_missing_host_is_400_json(emu: Emulator) -> None:
    raw = f"GET {EXPERIMENTS} HTTP/1.1\r\nAuthorization: {TOKEN}\r\n\r\n".encode()
    assert "Host" in _json_error(*_exchange(emu, raw), 400)["message"]


def test_oversized_headers_are_431_json(emu: Emulator) -> None:
    raw = _head("GET", EXPERIMENTS, "X-Padding: " + "a" * (70 * 1024))
    _json_error(*_exchange(emu, raw), 431)


def test_the_emulator_keeps_serving_after_abuse(emu: Emulator, client: httpx.Client) -> None:
    for raw in (b"\x00\xff garbage\r\n\r\n", _head("POST", EXPERIMENTS, "Content-Length: x")):
        _exchange(emu, raw)
    # a client that announces a body and hangs up half-way
    with socket.create_connection((emu.host, emu.port), timeout=5) as sock:
        sock.sendall(_head("POST", EXPERIMENTS, "Content-Length: 100", body=b'{"na'))
    assert client.get(EXPERIMENTS).status_code == 200


# -- body size -------------------------------------------------------------------------------


def test_body_over_one_mib_is_413(client: httpx.Client) -> None:
    big = b"[" + b"1," * (MAX_BODY_BYTES // 2) + b"1]"
    response = client.post(EXPERIMENTS, content=big, headers={"Content-Type": "application/json"})
    assert_error(response, 413, "request_too_large", "1 MiB")
    assert len(response.content) < 500
    # the body was read away: the same connection goes on serving
    assert client.get(EXPERIMENTS).status_code == 200


def test_twenty_megabyte_array_is_413_and_not_echoed(client: httpx.Client) -> None:
    big = json.dumps(list(range(2_500_000))).encode()
    assert len(big) > 19 * MiB
    response = client.post(EXPERIMENTS, content=big, headers={"Content-Type": "application/json"})
    assert_error(response, 413, "request_too_large")
    assert len(response.content) < 500


def test_chunked_body_over_one_mib_is_413(emu: Emulator) -> None:
    chunk = b"x" * 65536
    parts = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * 20
    raw = _head("POST", EXPERIMENTS, "Transfer-Encoding: chunked") + b"".join(parts) + b"0\r\n\r\n"
    body = _json_error(*_exchange(emu, raw), 413)
    assert body["code"] == "request_too_large"


def test_expect_continue_with_large_length_is_refused_before_the_body(emu: Emulator) -> None:
    raw = _head("POST", EXPERIMENTS, f"Content-Length: {2 * MiB}", "Expect: 100-continue")
    response, payload = _exchange(emu, raw)
    _json_error(response, payload, 413)
    assert response.getheader("Connection") == "close"


def test_expect_continue_with_small_body_is_served(emu: Emulator) -> None:
    with httpx.Client(base_url=emu.url, headers={**HEADERS, "Expect": "100-continue"}) as c:
        assert c.post(EXPERIMENTS, json=experiment()).status_code == 201


def test_body_of_exactly_one_mib_is_read(client: httpx.Client) -> None:
    padding = MAX_BODY_BYTES - len(json.dumps({"pad": ""}))
    body = json.dumps({"pad": "x" * padding}).encode()
    assert len(body) == MAX_BODY_BYTES
    response = client.post(EXPERIMENTS, content=body, headers={"Content-Type": "application/json"})
    message = assert_error(response, 400, "invalid_request")
    assert len(message) <= MAX_MESSAGE + 60


# -- JSON ------------------------------------------------------------------------------------


def test_ten_thousand_levels_of_nesting_is_400(client: httpx.Client) -> None:
    deep = b"[" * 10_000 + b"]" * 10_000
    response = client.post(EXPERIMENTS, content=deep, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "invalid_request", "nested too deeply")
    deep_object = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
    response = client.post(
        EXPERIMENTS, content=deep_object, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "invalid_request", "nested too deeply")


def test_nesting_just_over_the_limit_is_400_and_at_the_limit_is_read(
    client: httpx.Client,
) -> None:
    over = b'{"a":' * MAX_JSON_DEPTH + b"[1]" + b"}" * MAX_JSON_DEPTH
    response = client.post(EXPERIMENTS, content=over, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "invalid_request", f"at most {MAX_JSON_DEPTH} levels")
    at = b'{"a":' * (MAX_JSON_DEPTH - 1) + b"[1]" + b"}" * (MAX_JSON_DEPTH - 1)
    response = client.post(EXPERIMENTS, content=at, headers={"Content-Type": "application/json"})
    message = assert_error(response, 400, "invalid_request")
    assert "nested" not in message


def test_invalid_body_error_never_echoes_the_body(client: httpx.Client) -> None:
    # just under the size limit, the wrong type: the schema error must not quote it whole
    items = list(range(120_000))
    body = json.dumps(items).encode()
    assert len(body) < MAX_BODY_BYTES
    response = client.post(EXPERIMENTS, content=body, headers={"Content-Type": "application/json"})
    message = assert_error(response, 400, "invalid_request")
    assert len(response.content) < MAX_MESSAGE + 200
    assert "119999" not in message
    assert message.endswith("is not of type 'object'")
    bad_key = experiment(key="!" * 500_000)  # the key is quoted in the message
    response = client.post(EXPERIMENTS, json=bad_key)
    assert_error(response, 400, "invalid_request", "field 'key'")
    assert len(response.content) < MAX_MESSAGE + 200


def test_long_query_values_are_not_echoed_whole(client: httpx.Client) -> None:
    for params in ({"expand": "x" * 20_000}, {"filter": "y" * 20_000}, {"limit": "9" * 20_000}):
        response = client.get(EXPERIMENTS, params=params)
        assert response.status_code == 400
        assert len(response.content) < MAX_MESSAGE + 200


# -- methods ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["TRACE", "OPTIONS", "CONNECT", "BREW", "PROPFIND"])
def test_unserved_methods_are_json_405_with_allow(emu: Emulator, method: str) -> None:
    response, payload = _exchange(emu, _head(method, EXPERIMENTS))
    body = _json_error(response, payload, 405)
    assert body["code"] == "method_not_allowed"
    assert method in body["message"]
    assert response.getheader("Allow") == "GET, POST"


def test_unserved_method_needs_no_token(emu: Emulator) -> None:
    raw = f"OPTIONS {EXPERIMENTS}/x HTTP/1.1\r\nHost: h\r\n\r\n".encode()
    response, payload = _exchange(emu, raw)
    _json_error(response, payload, 405)
    assert response.getheader("Allow") == "GET, PATCH"


def test_head_is_405_with_allow_and_no_body(emu: Emulator, client: httpx.Client) -> None:
    response = client.head(EXPERIMENTS)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == b""
    assert client.get(EXPERIMENTS).status_code == 200  # keep-alive survives the HEAD


def test_unserved_method_on_unknown_path_is_404(emu: Emulator) -> None:
    response, payload = _exchange(emu, _head("TRACE", "/api/v2/nowhere"))
    assert _json_error(response, payload, 404)["code"] == "not_found"


def test_admin_paths_answer_405_with_allow(emu: Emulator) -> None:
    response, payload = _exchange(emu, _head("OPTIONS", "/_emulator/faults"))
    _json_error(response, payload, 405)
    assert response.getheader("Allow") == "DELETE, GET, POST"


def test_malformed_requests_are_logged_with_their_status(emu: Emulator) -> None:
    _exchange(emu, _head("POST", EXPERIMENTS, "Content-Length: nope"))
    _exchange(emu, _head("TRACE", EXPERIMENTS))
    statuses = [(entry["method"], entry["status"]) for entry in emu.requests()]
    assert statuses == [("POST", 400), ("TRACE", 405)]


def test_an_application_failure_is_still_answered(
    emu: Emulator, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> list[dict[str, Any]]:
        raise RuntimeError("boom")

    monkeypatch.setattr(emu, "requests", broken)
    response = client.get("/_emulator/requests")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_server_error"
    assert client.get(EXPERIMENTS).status_code == 200
