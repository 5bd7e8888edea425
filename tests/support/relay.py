"""A TCP relay that records every byte a client sends to a server, as it went over the wire.

The emulator's request log redacts the Authorization header, so it cannot show where a secret
travelled. Put a relay between the client and the emulator (:func:`recording_relay`, then point
the client at ``relay.url``): :meth:`RecordingRelay.sent` holds the raw bytes (request lines,
every header as sent, bodies) and :meth:`RecordingRelay.requests` the requests read from them.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import h11


@dataclass(frozen=True)
class SentRequest:
    """One request as the client sent it (header names lower-case, values as sent)."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes


@contextlib.contextmanager
def recording_relay(upstream: str) -> Iterator[RecordingRelay]:
    """A running :class:`RecordingRelay` to ``upstream``, closed on the way out."""
    relay = RecordingRelay(upstream)
    relay.start()
    try:
        yield relay
    finally:
        relay.close()


class RecordingRelay:
    """Relays loopback connections to ``upstream`` (``http://host:port``) and records them."""

    def __init__(self, upstream: str) -> None:
        host, _, port = upstream.removeprefix("http://").rstrip("/").partition(":")
        self._upstream = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._sent: list[bytearray] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> None:
        self._accepting.start()

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()
        for thread in self._threads:
            thread.join(5)

    def sent(self) -> bytes:
        """Everything clients sent, one connection after another."""
        with self._lock:
            return b"".join(bytes(stream) for stream in self._sent)

    def requests(self) -> list[SentRequest]:
        """The requests clients sent, read from the recorded bytes with h11."""
        with self._lock:
            streams = [bytes(stream) for stream in self._sent]
        found: list[SentRequest] = []
        for stream in streams:
            conn = h11.Connection(h11.SERVER)
            conn.receive_data(stream)
            head: h11.Request | None = None
            body = b""
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA or isinstance(event, h11.ConnectionClosed):
                    break
                if isinstance(event, h11.Request):
                    head, body = event, b""
                elif isinstance(event, h11.Data):
                    body += bytes(event.data)
                elif isinstance(event, h11.EndOfMessage) and head is not None:
                    found.append(
                        SentRequest(
                            head.method.decode("ascii"),
                            head.target.decode("latin-1"),
                            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in head.headers],
                            body,
                        )
                    )
                    # h11 reads the next request once this one is answered: answer it here.
                    conn.send(h11.Response(status_code=204, headers=[]))
                    conn.send(h11.EndOfMessage())
                    conn.start_next_cycle()
        return found

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self._upstream)
            record = bytearray()
            with self._lock:
                self._sent.append(record)
                self._sockets += [client, server]
            for source, target, into in ((client, server, record), (server, client, None)):
                thread = threading.Thread(
                    target=self._pump, args=(source, target, into), daemon=True
                )
                self._threads.append(thread)
                thread.start()

    def _pump(self, source: socket.socket, target: socket.socket, into: bytearray | None) -> None:
        try:
            while chunk := source.recv(65536):
                if into is not None:
                    with self._lock:
                        into += chunk
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            # Pass the end of the stream on, so each side sees the other close.
            with contextlib.suppress(OSError):
                target.shutdown(socket.SHUT_WR)
