"""The plugin's warnings reach the engine's Log call (the engine hides a plugin's stderr)."""

from __future__ import annotations

import logging
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

from launchdarkly_experiments.native.engine_log import CURRENT_URN, EngineLogHandler


class FakeEngine(engine_pb2_grpc.EngineServicer):
    def __init__(self) -> None:
        self.logs: list[tuple[int, str]] = []
        self.urns: list[str] = []

    def Log(self, request: Any, context: Any) -> empty_pb2.Empty:
        self.logs.append((request.severity, request.message))
        self.urns.append(request.urn)
        return empty_pb2.Empty()


def test_records_are_sent_with_their_severity() -> None:
    engine = FakeEngine()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    engine_pb2_grpc.add_EngineServicer_to_server(engine, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    logger = logging.getLogger("launchdarkly_experiments.test_engine_log")
    logger.setLevel(logging.DEBUG)
    handler = EngineLogHandler(f"127.0.0.1:{port}")
    logger.addHandler(handler)
    try:
        token = CURRENT_URN.set("urn:pulumi:dev::p::launchdarkly-experiments:index:Experiment::e")
        logger.warning("retrying in %.1fs", 0.5)
        CURRENT_URN.reset(token)
        logger.error("could not archive")
        logger.info("restored")
    finally:
        logger.removeHandler(handler)
        handler.close()
        server.stop(None)
    assert engine.logs == [
        (engine_pb2.WARNING, "launchdarkly: retrying in 0.5s"),
        (engine_pb2.WARNING, "launchdarkly: could not archive"),
        (engine_pb2.INFO, "launchdarkly: restored"),
    ]
    assert engine.urns[0].endswith("::e") and engine.urns[1:] == ["", ""]


def test_without_an_engine_records_go_to_stderr(capsys: Any) -> None:
    handler = EngineLogHandler("127.0.0.1:1", timeout=1)
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "no engine", None, None)
    handler.emit(record)
    handler.close()
    assert "launchdarkly: no engine" in capsys.readouterr().err
