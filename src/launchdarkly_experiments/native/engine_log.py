"""The plugin's log lines, sent to the engine so that the user sees them.

The engine hides a native plugin's stderr (only the dynamic provider host's is shown), so the
warnings the domain code logs (retries, an experiment restored from the archive) would be lost.
This handler forwards them with the engine's ``Log`` call, which `pulumi up` prints under the
resource's diagnostics. Errors go out as warnings: an error-level engine log fails the
deployment, and failures are already reported by the failing call itself.
"""

from __future__ import annotations

import logging
import sys

import grpc  # type: ignore[import-untyped]  # grpcio ships no type stubs
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

_SEVERITIES = (
    (logging.WARNING, engine_pb2.WARNING),
    (logging.INFO, engine_pb2.INFO),
    (logging.NOTSET, engine_pb2.DEBUG),
)


class EngineLogHandler(logging.Handler):
    """A logging handler that calls the engine's ``Log`` for each record."""

    def __init__(self, engine_address: str, timeout: float = 5.0) -> None:
        super().__init__()
        self._channel = grpc.insecure_channel(engine_address)
        self._engine = engine_pb2_grpc.EngineStub(self._channel)
        self._timeout = timeout
        self.setFormatter(logging.Formatter("launchdarkly: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        severity = next(s for level, s in _SEVERITIES if record.levelno >= level)
        try:
            self._engine.Log(
                engine_pb2.LogRequest(severity=severity, message=self.format(record)),
                timeout=self._timeout,
            )
        except grpc.RpcError:
            # No engine to talk to (a test harness): stderr, which the engine keeps, will do.
            sys.stderr.write(self.format(record) + "\n")

    def close(self) -> None:
        self._channel.close()
        super().close()


def forward_to_engine(engine_address: str) -> EngineLogHandler:
    """Send the package's log records to the engine at ``engine_address``."""
    handler = EngineLogHandler(engine_address)
    logging.getLogger("launchdarkly_experiments").addHandler(handler)
    return handler
