"""HTTP/1.1 transport of the emulator: sockets and threads here, framing by ``h11``.

``h11`` (the sans-I/O HTTP/1.1 implementation under httpx and uvicorn) parses request lines,
headers, ``Content-Length`` and chunked bodies, and rejects malformed ones with a named
:class:`h11.RemoteProtocolError`. This module owns the sockets, so the application can still do
what a server library would hide from it: close a connection without an answer (fault
injection), answer a framing error with a JSON body instead of a plain-text page, and read away
an oversized body so the client sees the 413 instead of a reset.

One thread per connection (``socketserver.ThreadingTCPServer``): handlers may block (SQLite,
injected delays) without stalling other clients. Keep-alive is supported.

The application is one callable ``(HttpRequest) -> HttpAnswer``. A request the transport could
not read carries ``problem = (status, message)`` and an empty body; the application decides how
to render it (it is always answered, then the connection is closed).
"""

from __future__ import annotations

import contextlib
import re
import socket
import socketserver
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus

import h11

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_HEADER_BYTES",
    "HttpAnswer",
    "HttpRequest",
    "HttpServer",
]

#: Largest request body the emulator reads; a larger one is answered 413.
MAX_BODY_BYTES = 1024 * 1024
#: Largest request line plus headers; larger is answered 431.
MAX_HEADER_BYTES = 64 * 1024
#: How much of an oversized body is read and thrown away so the 413 reaches the client on a
#: connection that stays usable. Past this the answer is sent and the connection closed.
DISCARD_LIMIT = 64 * 1024 * 1024
#: An idle keep-alive connection (or a client that stops sending mid-request) is closed after this.
IDLE_TIMEOUT = 120.0
#: After an answer that closes the connection, how long the server keeps reading (and dropping)
#: what the client still sends, so that closing does not reset the connection under the answer.
LINGER_SECONDS = 2.0

SERVER_NAME = "ld-emulator"

_RECV = 64 * 1024
_REQUEST_LINE = re.compile(rb"^([A-Za-z]{1,20}) (/\S*) HTTP/1\.[01]\r?\n")


@dataclass
class HttpRequest:
    """One request as read from the wire (``headers`` keep their order; names are lower-case)."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    problem: tuple[int, str] | None = None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key == wanted:
                return value
        return None


@dataclass
class HttpAnswer:
    """What to send back. ``drop`` closes the connection without sending anything."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    payload: bytes = b""
    drop: bool = False


Application = Callable[[HttpRequest], HttpAnswer]


def _reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode("ascii")
    except ValueError:
        return b""


def _decode(value: bytes) -> str:
    return value.decode("latin-1")


class _Handler(socketserver.BaseRequestHandler):
    server: HttpServer
    request: socket.socket
    #: The first bytes of the request being read, to name it if h11 refuses its head.
    _start: bytes = b""

    def setup(self) -> None:
        self.request.settimeout(IDLE_TIMEOUT)
        with contextlib.suppress(OSError):
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.request, True)

    def finish(self) -> None:
        self.server.track(self.request, False)

    def handle(self) -> None:
        sock = self.request
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADER_BYTES)
        while True:
            partial = HttpRequest("", "", [])
            self._start = b""
            try:
                request = self._read_request(conn, sock, partial)
            except h11.RemoteProtocolError as exc:
                # Malformed framing: answer it (JSON, from the application), then close.
                if not partial.method:
                    found = _REQUEST_LINE.match(self._start)
                    if found:
                        partial.method, partial.target = (_decode(g) for g in found.groups())
                partial.body = b""
                partial.problem = (exc.error_status_hint, str(exc))
                answer = self._call(partial)
                with contextlib.suppress(OSError):
                    if answer.drop:
                        _drop(sock)
                    else:
                        _send_raw(sock, answer, head_only=partial.method == "HEAD")
                        _linger(sock)
                return
            except OSError:
                return  # timeout or reset: nobody left to answer
            if request is None:
                return  # the client closed the connection between requests
            answer = self._call(request)
            if answer.drop:
                _drop(sock)
                return
            body_unread = conn.their_state is not h11.DONE
            try:
                self._send(conn, sock, request, answer, close=body_unread)
            except (OSError, h11.LocalProtocolError):
                return
            if body_unread or conn.our_state is h11.MUST_CLOSE:
                _linger(sock)
                return
            try:
                conn.start_next_cycle()
            except h11.LocalProtocolError:
                return

    def _call(self, request: HttpRequest) -> HttpAnswer:
        """The application's answer; a JSON 500 if it fails (a request is always answered)."""
        try:
            return self.server.app(request)
        except Exception:
            traceback.print_exc()
            return HttpAnswer(
                500,
                [("Content-Type", "application/json")],
                b'{"code": "internal_server_error", "message": "emulator error (see its log)"}',
            )

    def _read_request(
        self, conn: h11.Connection, sock: socket.socket, request: HttpRequest
    ) -> HttpRequest | None:
        """Read one request into ``request``; None when the client closed between requests.

        A body over :data:`MAX_BODY_BYTES` is not kept: ``request.problem`` becomes a 413. It
        is read away (up to :data:`DISCARD_LIMIT`) unless the client waits for
        ``100 Continue`` or declared a length past that limit.
        """
        event = _next_event(conn, sock, self)
        if isinstance(event, h11.ConnectionClosed):
            return None
        assert isinstance(event, h11.Request), event
        request.method = _decode(event.method)
        request.target = _decode(event.target)
        request.headers = [(_decode(k).lower(), _decode(v)) for k, v in event.headers]
        head = len(event.target) + sum(len(k) + len(v) + 4 for k, v in event.headers)
        if head > MAX_HEADER_BYTES:
            # h11 only bounds a head that arrives incomplete; one that arrived whole is checked
            request.problem = (
                431,
                f"request line and headers take {head} bytes; at most {MAX_HEADER_BYTES} are "
                "accepted",
            )
            return request
        try:
            declared = int(request.header("content-length") or 0)  # h11 has validated it
        except ValueError:  # pragma: no cover - h11 refuses a non-integer length
            declared = 0
        if declared > MAX_BODY_BYTES and (
            conn.they_are_waiting_for_100_continue or declared > DISCARD_LIMIT
        ):
            request.problem = (413, _too_large(declared))
            return request
        if conn.they_are_waiting_for_100_continue:
            sock.sendall(conn.send(h11.InformationalResponse(status_code=100, headers=[])))
        chunks: list[bytes] = []
        size = 0
        while True:
            event = _next_event(conn, sock, self)
            if isinstance(event, h11.EndOfMessage):
                break
            assert isinstance(event, h11.Data), event
            size += len(event.data)
            if size <= MAX_BODY_BYTES:
                chunks.append(bytes(event.data))
                continue
            chunks.clear()
            if size > DISCARD_LIMIT:
                request.problem = (413, _too_large(size, complete=False))
                return request
        if size > MAX_BODY_BYTES:
            request.problem = (413, _too_large(size))
            return request
        request.body = b"".join(chunks)
        return request

    def _send(
        self,
        conn: h11.Connection,
        sock: socket.socket,
        request: HttpRequest,
        answer: HttpAnswer,
        *,
        close: bool,
    ) -> None:
        skip = ("content-length", "connection") if close else ("content-length",)
        headers = [(k, v) for k, v in answer.headers if k.lower() not in skip]
        headers.append(("Content-Length", str(len(answer.payload))))
        headers.append(("Server", SERVER_NAME))
        if close:
            headers.append(("Connection", "close"))
        data = conn.send(
            h11.Response(status_code=answer.status, headers=headers, reason=_reason(answer.status))
        )
        if request.method != "HEAD" and answer.payload:
            data += conn.send(h11.Data(data=answer.payload))
        data += conn.send(h11.EndOfMessage())
        sock.sendall(data)


def _too_large(size: int, complete: bool = True) -> str:
    amount = f"{size} bytes" if complete else f"more than {size} bytes"
    return (
        f"Request body too large: {amount}; the emulator accepts at most {MAX_BODY_BYTES} bytes "
        "(1 MiB)"
    )


def _next_event(conn: h11.Connection, sock: socket.socket, handler: _Handler) -> object:
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = sock.recv(_RECV)
            if len(handler._start) < 512:
                handler._start += data[:512]
            conn.receive_data(data)
            continue
        if event is h11.PAUSED:  # pragma: no cover - only after a complete request
            raise h11.RemoteProtocolError("pipelined request before the answer")
        return event


def _send_raw(sock: socket.socket, answer: HttpAnswer, *, head_only: bool) -> None:
    """Write an answer without h11, for requests h11 refused: it always closes the connection."""
    lines = [b"HTTP/1.1 %d %s" % (answer.status, _reason(answer.status))]
    for name, value in answer.headers:
        if name.lower() not in ("content-length", "connection"):
            lines.append(f"{name}: {value}".encode("latin-1"))
    lines.append(b"Content-Length: %d" % len(answer.payload))
    lines.append(b"Server: " + SERVER_NAME.encode())
    lines.append(b"Connection: close")
    data = b"\r\n".join(lines) + b"\r\n\r\n"
    if not head_only:
        data += answer.payload
    sock.sendall(data)


def _linger(sock: socket.socket) -> None:
    """Close after an answer without resetting it: stop writing, read away what is in flight."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + LINGER_SECONDS
        sock.settimeout(0.2)
        while time.monotonic() < deadline:
            try:
                if not sock.recv(_RECV):
                    break
            except TimeoutError:
                continue


def _drop(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class HttpServer(socketserver.ThreadingTCPServer):
    """A threaded HTTP/1.1 server around one application callable."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: Application) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, conn: socket.socket, alive: bool) -> None:
        with self._conns_lock:
            if alive:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
            self._conns.clear()
        for conn in conns:
            _drop(conn)
