"""A small resource kind declared in the test suite only, over a stub API of its own.

It proves that a kind is one declaration: nothing outside this module names it, yet both
adapters serve it (``ToyProvider`` for the dynamic host, ``NativeProvider(kinds=(Toy,))`` for a
plugin process started with ``python -m tests.support.toy_kind``) and the schema generator
describes it. ``ToyApi`` is the stub: toys in memory at ``/toys/<project>/<key>``, behind a
token.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator, Mapping
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import Field

from launchdarkly_experiments.core.kind import IdFormat, Observed, ResourceKind, Written
from launchdarkly_experiments.core.models import InputModel, Key, NonEmpty, OutputModel
from launchdarkly_experiments.core.rules import RuleSet
from launchdarkly_experiments.dynamic.adapter import DynamicAdapter
from launchdarkly_experiments.errors import NotFoundError, Problem

TOKEN = "toy-token"


class Color(StrEnum):
    RED = "red"
    BLUE = "blue"


class ToyInputs(InputModel):
    """A toy."""

    schema_name = "ToyInputs"
    args_name = "ToyArgs"

    project_key: Key = Field(description="The toy box.")
    key: Key = Field(description="The toy's key; changing it replaces the toy.")
    name: NonEmpty = Field(description="What the toy is called.")
    size: int | None = Field(default=None, ge=0, description="How big it is.")
    color: Color | None = Field(default=None, description="Its color.")


class ToyOutputs(OutputModel):
    """What the toy API computes."""

    toy_id: str = Field(description="The API's id of the toy.")
    version: int = Field(description="Bumped by every change.")


RULES = RuleSet(ToyInputs)


@RULES.rule("color", "size")
def red_toys_have_a_size(color: Color | None, size: int | None) -> Iterator[Problem]:
    if color == Color.RED and size is None:
        yield Problem("size", "required when color is 'red'")


def _path(project: str, key: str = "") -> str:
    return f"/toys/{project}" + (f"/{key}" if key else "")


class Toy(ResourceKind[ToyInputs]):
    name = "Toy"
    description = "A toy in a toy box (declared by the test suite only)."
    inputs = ToyInputs
    outputs = ToyOutputs
    replace_on = ("projectKey", "key")
    id_format = IdFormat(("projectKey", "key"))
    rules = RULES
    settings_defaults = {"projectKey": "project_key"}

    def _state(self, spec_form: dict[str, Any], answer: Mapping[str, Any]) -> dict[str, Any]:
        return {**spec_form, "toyId": answer["id"], "version": answer["version"]}

    def create(self, spec: ToyInputs) -> Written:
        body = self.declared(spec)
        answer = self.context.client().request("POST", _path(spec.project_key), json=body)
        return Written(self.id_format.format(body), self._state(body, answer))

    def read(self, id_: str, stored: Mapping[str, Any]) -> Observed | None:
        address = self.id_format.address(id_, stored)
        try:
            answer = self.context.client().request(
                "GET", _path(address["projectKey"], address["key"])
            )
        except NotFoundError:
            return None
        declared = {k: v for k, v in answer.items() if k not in ("id", "version")}
        return Observed(id_, self._state(declared, answer), declared)

    def update(self, spec: ToyInputs, stored: Mapping[str, Any]) -> dict[str, Any]:
        body = self.declared(spec)
        answer = self.context.client().request("PUT", _path(spec.project_key, spec.key), json=body)
        return self._state(body, answer)

    def delete(self, id_: str, stored: Mapping[str, Any]) -> None:
        address = self.id_format.address(id_, stored)
        self.context.client().request("DELETE", _path(address["projectKey"], address["key"]))


class ToyProvider(DynamicAdapter):
    """The toy's dynamic provider (pickled by reference: this module's path)."""

    kind = Toy


class ToyApi:
    """The stub API: ``POST /toys/<project>``, ``GET|PUT|DELETE /toys/<project>/<key>``."""

    def __init__(self) -> None:
        self.toys: dict[tuple[str, str], dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _answer(self, status: int, body: Any = None) -> None:
                payload = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _handle(self) -> None:
                api.requests.append((self.command, self.path))
                if self.headers.get("Authorization") != TOKEN:
                    return self._answer(401, {"code": "unauthorized", "message": "no"})
                parts = self.path.strip("/").split("/")
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                if self.command == "POST" and len(parts) == 2:
                    key = (parts[1], body["key"])
                    if key in api.toys:
                        return self._answer(409, {"code": "conflict", "message": "exists"})
                    api.toys[key] = {**body, "id": f"toy-{len(api.toys) + 1}", "version": 1}
                    return self._answer(201, api.toys[key])
                key = (parts[1], parts[2]) if len(parts) == 3 else ("", "")
                if key not in api.toys:
                    return self._answer(404, {"code": "not_found", "message": "no such toy"})
                toy = api.toys[key]
                if self.command == "GET":
                    return self._answer(200, toy)
                if self.command == "PUT":
                    toy.update({**body, "version": toy["version"] + 1})
                    for name in [n for n in toy if n not in body and n not in ("id", "version")]:
                        del toy[name]
                    return self._answer(200, toy)
                if self.command == "DELETE":
                    del api.toys[key]
                    return self._answer(204)
                return self._answer(405, {"code": "method_not_allowed", "message": "no"})

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ToyApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def serve() -> None:
    """A native plugin of the toy kind alone (what the engine would start)."""
    from pulumi.provider.experimental.server import main

    from launchdarkly_experiments.native.provider import NativeProvider

    main(sys.argv[1:], "0.0.1", NativeProvider(kinds=(Toy,)))


if __name__ == "__main__":
    serve()
