"""The plugin's log lines, sent to the engine so that the user sees them.

The engine hides a native plugin's stderr (only the dynamic provider host's is shown), so the
warnings the domain code logs (retries, an experiment restored from the archive) would be lost.
This handler forwards them with the engine's ``Log`` call, which `pulumi up` prints under the
resource the call was about (``CURRENT_URN``). Errors go out as warnings: an error-level engine
log fails the deployment, and failures are already reported by the failing call itself.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar

import grpc  # type: ignore[import-untyped]  # grpcio ships no type stubs
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

#: The resource the current call is about: its log lines are shown under it. Set per call by the
#: provider; worker threads get it too (``asyncio.to_thread`` copies the context).
CURRENT_URN: ContextVar[str] = ContextVar("launchdarkly_experiments_urn", default="")

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
                engine_pb2.LogRequest(
                    severity=severity, message=self.format(record), urn=CURRENT_URN.get()
                ),
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
