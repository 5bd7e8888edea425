"""HTTP layer of the emulator: routing, auth, API versions, handlers, the server and
:class:`Emulator`, the Python handle tests and the CLI use.

Request pipeline for ``/api/v2/...`` paths:

1. fault plan (delay / drop / fail / rate limit, see :mod:`.faults`);
2. ``Authorization`` (401), ``LD-API-Version`` (400);
3. route (404 unknown path, 405 unsupported method), read-only token on a write (403),
   beta-only routes (403);
4. body parsing (400 invalid JSON), handler;
5. request log entry (Authorization redacted).

``/_emulator/...`` admin paths skip all of that (no token, no faults, not logged).
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from . import lifecycle, spec
from .faults import Faults
from .store import ApiError, Catalog, Store, invalid, not_found

__all__ = ["API_VERSIONS", "Emulator", "Request", "Response"]

JSON = dict[str, Any]

DEFAULT_API_VERSION = "20240415"
API_VERSIONS = ("20240415", "beta")
EOL_API_VERSIONS = ("20191212", "20210729", "20220603")
SEMANTIC_PATCH = "domain-model=launchdarkly.semanticpatch"
MAX_LIMIT = 50
LOGGED_HEADERS = ("LD-API-Version", "Content-Type", "User-Agent")
REDACTED = "<redacted>"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    params: dict[str, str] = field(default_factory=dict)
    body: Any = None
    raw_body: bytes = b""
    api_version: str = DEFAULT_API_VERSION
    read_only: bool = False


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    template: str | None = None


Handler = Callable[["Emulator", Request], Response]


@dataclass
class Route:
    pattern: re.Pattern[str]
    template: str
    methods: dict[str, Handler]
    beta: bool = False
    not_emulated: tuple[str, ...] = ()


def _link(href: str) -> JSON:
    return {"href": href, "type": "application/json"}


def _int_param(req: Request, name: str, default: int, low: int, high: int | None) -> int:
    raw = req.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f">= {low}"
        raise invalid(f"query parameter '{name}' must be an integer {bound} (got '{raw}')")
    return value


def _csv(raw: str | None) -> list[str]:
    return [p.strip() for p in (raw or "").split(",") if p.strip()]


def _expand(req: Request) -> set[str]:
    values = set(_csv(req.query.get("expand")))
    unknown = values - lifecycle.KNOWN_EXPANDS
    if unknown:
        raise invalid(
            f"query parameter 'expand': unknown value '{sorted(unknown)[0]}' (supported: "
            f"{', '.join(sorted(lifecycle.KNOWN_EXPANDS))})"
        )
    return values


def _page_links(req: Request, total: int, limit: int, offset: int) -> JSON:
    def href(new_offset: int | None) -> str:
        query = dict(req.query)
        if new_offset is not None:
            query["offset"] = str(new_offset)
            query["limit"] = str(limit)
        return req.path + ("?" + urlencode(query) if query else "")

    links: JSON = {"self": _link(href(None)), "first": _link(href(0))}
    if offset > 0:
        links["prev"] = _link(href(max(0, offset - limit)))
    if offset + limit < total:
        links["next"] = _link(href(offset + limit))
    last = max(0, ((total - 1) // limit) * limit) if total else 0
    links["last"] = _link(href(last))
    return links


# --------------------------------------------------------------------------------------------
# Handlers
# --------------------------------------------------------------------------------------------


def _ctx(emu: Emulator, req: Request) -> lifecycle.Context:
    project = req.params["projectKey"]
    emu.catalog.project(project)
    environment = req.params.get("environmentKey", "")
    if environment:
        emu.catalog.environment(project, environment)
    return lifecycle.Context(emu.catalog, project, environment, emu.catalog.member_id)


_FILTER_FIELDS = ("flagKey", "metricKey", "status")
_STATUSES = ("not_started", "running", "stopped")


def _filter_check(name: str, value: str) -> Callable[[JSON], bool]:
    def check(doc: JSON) -> bool:
        current = doc["current"]
        if name == "flagKey":
            return value in current["flags"]
        if name == "metricKey":
            return value in {m["key"] for m in current["metrics"]}
        return bool(current["status"] == value)

    return check


def _experiment_filter(req: Request) -> Callable[[JSON], bool]:
    checks: list[Callable[[JSON], bool]] = []
    for part in _csv(req.query.get("filter")):
        name, sep, value = part.partition(":")
        if not sep or name not in _FILTER_FIELDS:
            raise invalid(
                f"query parameter 'filter': unsupported filter '{part}' (use field:value with "
                f"field one of {', '.join(_FILTER_FIELDS)})"
            )
        if name == "status" and value not in _STATUSES:
            raise invalid(f"query parameter 'filter': status must be one of {', '.join(_STATUSES)}")
        checks.append(_filter_check(name, value))
    states = set(_csv(req.query.get("lifecycleState"))) or {"active"}
    unknown = states - {"active", "archived"}
    if unknown:
        raise invalid(
            f"query parameter 'lifecycleState': unknown value '{sorted(unknown)[0]}' "
            "(use active, archived or both)"
        )

    def accept(doc: JSON) -> bool:
        state = "archived" if "archivedDate" in doc else "active"
        return state in states and all(check(doc) for check in checks)

    return accept


def _list(emu: Emulator, req: Request, environment: str | None) -> Response:
    ctx = _ctx(emu, req)
    limit = _int_param(req, "limit", 20, 1, MAX_LIMIT)
    offset = _int_param(req, "offset", 0, 0, None)
    expand = _expand(req)
    accept = _experiment_filter(req)
    docs = [s.doc for s in emu.store.list(ctx.project, environment) if accept(s.doc)]
    items = [lifecycle.render_experiment(ctx, d, expand) for d in docs[offset : offset + limit]]
    body = {
        "items": items,
        "total_count": len(docs),
        "_links": _page_links(req, len(docs), limit, offset),
    }
    return Response(200, body)


def list_experiments(emu: Emulator, req: Request) -> Response:
    return _list(emu, req, req.params["environmentKey"])


def list_experiments_any_env(emu: Emulator, req: Request) -> Response:
    return _list(emu, req, None)


def create_experiment(emu: Emulator, req: Request) -> Response:
    ctx = _ctx(emu, req)
    doc = lifecycle.create_document(ctx, req.body)
    emu.store.insert(ctx.project, ctx.environment, doc["key"], doc)
    return Response(201, lifecycle.render_experiment(ctx, doc, lifecycle.WRITE_EXPANDS))


def _load(emu: Emulator, ctx: lifecycle.Context, key: str) -> tuple[JSON, int]:
    stored = emu.store.get(ctx.project, ctx.environment, key)
    if stored is None:
        raise not_found(
            f"Experiment '{key}' not found in environment '{ctx.environment}' of project "
            f"'{ctx.project}'"
        )
    return stored.doc, stored.version


def get_experiment(emu: Emulator, req: Request) -> Response:
    ctx = _ctx(emu, req)
    expand = _expand(req)
    doc, _ = _load(emu, ctx, req.params["experimentKey"])
    return Response(200, lifecycle.render_experiment(ctx, doc, expand))


def patch_experiment(emu: Emulator, req: Request) -> Response:
    ctx = _ctx(emu, req)
    key = req.params["experimentKey"]
    doc, version = _load(emu, ctx, key)
    new = lifecycle.apply_instructions(ctx, doc, req.body)
    if new != doc:
        emu.store.compare_and_swap(ctx.project, ctx.environment, key, version, new)
    return Response(200, lifecycle.render_experiment(ctx, new, lifecycle.WRITE_EXPANDS))


def create_iteration(emu: Emulator, req: Request) -> Response:
    ctx = _ctx(emu, req)
    key = req.params["experimentKey"]
    doc, version = _load(emu, ctx, key)
    new = lifecycle.new_draft_iteration(ctx, doc, req.body)
    emu.store.compare_and_swap(ctx.project, ctx.environment, key, version, new)
    iteration = new["current"] if doc["current"]["status"] == "not_started" else new["draft"]
    return Response(200, lifecycle.render_iteration(ctx, new, iteration, True))


def get_flags(emu: Emulator, req: Request) -> Response:
    project = req.params["projectKey"]
    flags = list(emu.catalog.project(project)["flags"])
    env = req.query.get("env") or None
    limit = _int_param(req, "limit", 20, 1, 100)
    offset = _int_param(req, "offset", 0, 0, None)
    tag = req.query.get("tag")
    items = [emu.catalog.render_flag(project, k, env) for k in flags]
    if tag:
        items = [f for f in items if tag in f["tags"]]
    body = {
        "items": items[offset : offset + limit],
        "totalCount": len(items),
        "_links": _page_links(req, len(items), limit, offset),
    }
    return Response(200, body)


def get_flag(emu: Emulator, req: Request) -> Response:
    env = req.query.get("env") or None
    flag = emu.catalog.render_flag(req.params["projectKey"], req.params["featureFlagKey"], env)
    return Response(200, flag)


def get_metric(emu: Emulator, req: Request) -> Response:
    return Response(
        200, emu.catalog.render_metric(req.params["projectKey"], req.params["metricKey"])
    )


def get_metric_group(emu: Emulator, req: Request) -> Response:
    project, key = req.params["projectKey"], req.params["metricGroupKey"]
    return Response(200, emu.catalog.render_metric_group(project, key))


def get_settings(emu: Emulator, req: Request) -> Response:
    return Response(200, emu.catalog.render_settings(req.params["projectKey"]))


def _holdout_parts(
    emu: Emulator, ctx: lifecycle.Context, key: str
) -> tuple[JSON, JSON, list[JSON]]:
    holdout = emu.catalog.holdouts(ctx.project, ctx.environment).get(key)
    if holdout is None:
        raise not_found(f"Holdout '{key}' not found in environment '{ctx.environment}'")
    created = int(holdout.get("createdAt", 1700000000000))
    base: JSON = {
        "key": key,
        "name": holdout.get("name", key),
        "_maintainerId": emu.catalog.member_id,
        "_creationDate": created,
        "environmentKey": ctx.environment,
        "_links": {
            "self": _link(
                f"/api/v2/projects/{ctx.project}/environments/{ctx.environment}/holdouts/{key}"
            ),
            "parent": _link(f"/api/v2/projects/{ctx.project}/environments/{ctx.environment}"),
        },
        "methodology": "bayesian",
        "dataSource": "launchdarkly",
        "type": "holdout",
        "tags": [],
    }
    if "description" in holdout:
        base["description"] = holdout["description"]
    related = [
        s.doc
        for s in emu.store.list(ctx.project, ctx.environment)
        if s.doc.get("holdoutId") == holdout["_id"] and "archivedDate" not in s.doc
    ]
    return holdout, base, related


def _holdout_rep(emu: Emulator, ctx: lifecycle.Context, key: str) -> JSON:
    holdout, base, related = _holdout_parts(emu, ctx, key)
    created = int(holdout.get("createdAt", 1700000000000))
    return {
        "_id": holdout["_id"],
        "status": holdout.get("status", "running"),
        "holdoutAmount": str(holdout.get("holdoutAmount", "5")),
        "createdAt": created,
        "updatedAt": created,
        "baseExperiment": base,
        "experiments": [
            {"key": d["key"], "name": d["name"], "environment": ctx.environment} for d in related
        ],
    }


def list_holdouts(emu: Emulator, req: Request) -> Response:
    ctx = _ctx(emu, req)
    limit = _int_param(req, "limit", 20, 1, MAX_LIMIT)
    offset = _int_param(req, "offset", 0, 0, None)
    items = []
    for key, holdout in emu.catalog.holdouts(ctx.project, ctx.environment).items():
        rep = _holdout_rep(emu, ctx, key)
        items.append(
            {
                "_id": holdout["_id"],
                "key": key,
                "name": holdout.get("name", key),
                "status": rep["status"],
                "createdAt": rep["createdAt"],
                "updatedAt": rep["updatedAt"],
                "experiments": rep["experiments"],
            }
        )
    body = {
        "items": items[offset : offset + limit],
        "total_count": len(items),
        "_links": _page_links(req, len(items), limit, offset),
    }
    return Response(200, body)


def get_holdout(emu: Emulator, req: Request) -> Response:
    ctx = _ctx(emu, req)
    holdout, base, related = _holdout_parts(emu, ctx, req.params["holdoutKey"])
    created = int(holdout.get("createdAt", 1700000000000))
    body = {
        "_id": holdout["_id"],
        "status": holdout.get("status", "running"),
        "holdoutAmount": str(holdout.get("holdoutAmount", "5")),
        "isDirty": False,
        "createdAt": created,
        "updatedAt": created,
        "baseExperiment": base,
        "relatedExperiments": [lifecycle.render_experiment(ctx, d, set()) for d in related],
    }
    return Response(200, body)


def get_holdout_by_id(emu: Emulator, req: Request) -> Response:
    ctx = _ctx(emu, req)
    holdout_id = req.params["holdoutId"]
    key = emu.catalog.holdout_key_by_id(ctx.project, ctx.environment, holdout_id)
    if key is None:
        raise not_found(f"No holdout with id '{holdout_id}' in environment '{ctx.environment}'")
    return Response(200, _holdout_rep(emu, ctx, key))


_P = r"/api/v2/projects/(?P<projectKey>[^/]+)"
_E = _P + r"/environments/(?P<environmentKey>[^/]+)"
_TP = "/api/v2/projects/{projectKey}"
_TE = _TP + "/environments/{environmentKey}"


def _route(
    pattern: str,
    template: str,
    methods: dict[str, Handler],
    beta: bool = False,
    not_emulated: tuple[str, ...] = (),
) -> Route:
    return Route(re.compile(f"^{pattern}$"), template, methods, beta, not_emulated)


ROUTES: tuple[Route, ...] = (
    _route(
        r"/api/v2/flags/(?P<projectKey>[^/]+)", "/api/v2/flags/{projectKey}", {"GET": get_flags}
    ),
    _route(
        r"/api/v2/flags/(?P<projectKey>[^/]+)/(?P<featureFlagKey>[^/]+)",
        "/api/v2/flags/{projectKey}/{featureFlagKey}",
        {"GET": get_flag},
    ),
    _route(
        r"/api/v2/metrics/(?P<projectKey>[^/]+)/(?P<metricKey>[^/]+)",
        "/api/v2/metrics/{projectKey}/{metricKey}",
        {"GET": get_metric},
    ),
    _route(
        _E + r"/experiments",
        _TE + "/experiments",
        {"GET": list_experiments, "POST": create_experiment},
    ),
    _route(
        _E + r"/experiments/(?P<experimentKey>[^/]+)",
        _TE + "/experiments/{experimentKey}",
        {"GET": get_experiment, "PATCH": patch_experiment},
    ),
    _route(
        _E + r"/experiments/(?P<experimentKey>[^/]+)/iterations",
        _TE + "/experiments/{experimentKey}/iterations",
        {"POST": create_iteration},
    ),
    _route(_E + r"/holdouts", _TE + "/holdouts", {"GET": list_holdouts}, not_emulated=("POST",)),
    _route(
        _E + r"/holdouts/id/(?P<holdoutId>[^/]+)",
        _TE + "/holdouts/id/{holdoutId}",
        {"GET": get_holdout_by_id},
    ),
    _route(
        _E + r"/holdouts/(?P<holdoutKey>[^/]+)",
        _TE + "/holdouts/{holdoutKey}",
        {"GET": get_holdout},
        not_emulated=("PATCH",),
    ),
    _route(
        _P + r"/experimentation-settings",
        _TP + "/experimentation-settings",
        {"GET": get_settings},
        not_emulated=("PUT",),
    ),
    _route(_P + r"/experiments", _TP + "/experiments", {"GET": list_experiments_any_env}),
    _route(
        _P + r"/metric-groups/(?P<metricGroupKey>[^/]+)",
        _TP + "/metric-groups/{metricGroupKey}",
        {"GET": get_metric_group},
        beta=True,
    ),
)


def match_route(path: str) -> tuple[Route, dict[str, str]] | None:
    for route in ROUTES:
        found = route.pattern.match(path)
        if found:
            return route, {k: unquote(v) for k, v in found.groupdict().items()}
    return None


# --------------------------------------------------------------------------------------------
# The emulator
# --------------------------------------------------------------------------------------------


class Emulator:
    """A local LaunchDarkly experiments API (REST v2) on a loopback port.

    ``Emulator(port=0, data_path=None, tokens=("dev-token",), read_only_tokens=(),
    fixtures_path=None, host="127.0.0.1")``; ``start()`` returns ``self`` and serves in a
    background thread; also a context manager. ``validate_responses=True`` checks every API
    answer against the spec's response schema and turns a mismatch into a 500 (for tests).
    """

    def __init__(
        self,
        port: int = 0,
        data_path: str | Path | None = None,
        tokens: Iterable[str] = ("dev-token",),
        read_only_tokens: Iterable[str] = (),
        fixtures_path: str | Path | None = None,
        host: str = "127.0.0.1",
        *,
        validate_responses: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.data_path = None if data_path is None else str(data_path)
        self.tokens = frozenset(tokens)
        self.read_only_tokens = frozenset(read_only_tokens)
        if not self.tokens and not self.read_only_tokens:
            raise ValueError("at least one token is needed")
        self.catalog = Catalog.load(fixtures_path)
        self.validate_responses = validate_responses
        self.faults = Faults()
        self._store: Store | None = None
        self._store_lock = threading.Lock()
        self._log: list[JSON] = []
        self._log_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.verbose = False

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        with self._store_lock:
            if self._store is None:
                self._store = Store(self.data_path)
            return self._store

    def start(self) -> Emulator:
        if self._server is not None:
            return self
        _ = self.store
        server = _Server((self.host, self.port), _Handler)
        server.emulator = self
        self._server = server
        self.port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"ld-emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self.data_path is not None:
            with self._store_lock:
                if self._store is not None:
                    self._store.close()
                    self._store = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host = self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    # -- inspection helpers for tests --------------------------------------------------------

    def requests(self) -> list[JSON]:
        with self._log_lock:
            return copy.deepcopy(self._log)

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    def _record(self, entry: JSON) -> None:
        with self._log_lock:
            self._log.append(entry)

    def _render_ctx(self, project: str, environment: str) -> lifecycle.Context:
        return lifecycle.Context(self.catalog, project, environment, self.catalog.member_id)

    def experiment(self, project: str, environment: str, key: str) -> JSON | None:
        stored = self.store.get(project, environment, key)
        if stored is None:
            return None
        ctx = self._render_ctx(project, environment)
        return lifecycle.render_experiment(ctx, stored.doc, lifecycle.ALL_EXPANDS)

    def experiments(self, project: str, environment: str) -> list[JSON]:
        ctx = self._render_ctx(project, environment)
        return [
            lifecycle.render_experiment(ctx, s.doc, lifecycle.ALL_EXPANDS)
            for s in self.store.list(project, environment)
        ]

    def reset(self) -> None:
        self.store.wipe()
        self.clear_requests()
        self.faults.clear()

    # -- request processing ------------------------------------------------------------------

    def dispatch(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Response:
        """Answer one API request (no faults, no logging). Never raises."""
        parts = urlsplit(target)
        req = Request(
            method=method.upper(),
            path=parts.path,
            query={k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
            headers=headers,
            raw_body=raw,
        )
        try:
            response = self._dispatch(req)
        except ApiError as exc:
            response = Response(exc.status, exc.body(), dict(exc.headers))
        except Exception as exc:  # the emulator must answer, whatever happens
            traceback.print_exc()
            response = Response(
                500,
                {"code": "internal_server_error", "message": f"emulator error: {exc!r}"},
            )
        if self.validate_responses:
            response = self._checked(req, response)
        return response

    def _checked(self, req: Request, response: Response) -> Response:
        name: str | None
        if response.status >= 400:
            name = "InvalidRequestErrorRep"
        elif response.template is not None:
            name = spec.response_schema_name(response.template, req.method, response.status)
        else:
            name = None
        problem = None if name is None else spec.validation_problem(name, response.body)
        if name is None and response.status < 400:
            problem = spec.SpecError("", "no response schema declared for this answer")
        if problem is None:
            return response
        return Response(
            500,
            {
                "code": "response_schema_violation",
                "message": f"{req.method} {req.path} -> {response.status} does not match "
                f"{name}: {problem.message}",
            },
        )

    def _dispatch(self, req: Request) -> Response:
        token = req.headers.get("authorization")
        if not token:
            raise ApiError(401, "unauthorized", "No access token in the Authorization header")
        if token not in self.tokens and token not in self.read_only_tokens:
            hint = ""
            if token.lower().startswith("bearer "):
                hint = " (send the token itself, without a 'Bearer' prefix)"
            raise ApiError(401, "unauthorized", f"Invalid access token{hint}")
        req.read_only = token not in self.tokens

        version = req.headers.get("ld-api-version")
        if version is not None:
            if version in EOL_API_VERSIONS:
                raise invalid(
                    f"LD-API-Version {version} is past its end of life; use {DEFAULT_API_VERSION}"
                )
            if version not in API_VERSIONS:
                raise invalid(
                    f"Invalid LD-API-Version header '{version}' (supported: "
                    f"{', '.join(API_VERSIONS)})"
                )
            req.api_version = version

        method = req.method
        if method == "POST" and req.headers.get("x-http-method-override"):
            method = req.headers["x-http-method-override"].upper()
            req.method = method
        found = match_route(req.path)
        if found is None:
            raise not_found(f"Unknown resource path {req.path}")
        route, req.params = found
        handler = route.methods.get(method)
        if handler is None:
            allowed = sorted(route.methods)
            extra = (
                " (declared by the API but not emulated)" if method in route.not_emulated else ""
            )
            raise ApiError(
                405,
                "method_not_allowed",
                f"Method {method} is not allowed on {req.path}{extra}; allowed: "
                f"{', '.join(allowed)}",
                {"Allow": ", ".join(allowed)},
            )
        if method != "GET" and req.read_only:
            raise ApiError(
                403, "forbidden", "This access token is read-only; writes need a writer token"
            )
        if route.beta and req.api_version != "beta":
            raise ApiError(
                403, "forbidden", "This resource is in beta: send the header 'LD-API-Version: beta'"
            )
        if method in ("POST", "PATCH", "PUT"):
            if method == "PATCH" and SEMANTIC_PATCH not in req.headers.get("content-type", ""):
                raise invalid(
                    "PATCH without 'Content-Type: application/json; "
                    "domain-model=launchdarkly.semanticpatch' is read as a JSON Patch, which this "
                    "resource does not accept; send a semantic patch with that Content-Type"
                )
            req.body = _parse_json(req.raw_body)
        response = handler(self, req)
        response.template = route.template
        return response


def _parse_json(raw: bytes) -> Any:
    if not raw.strip():
        raise invalid("A JSON request body is required")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid(f"Request body is not valid JSON: {exc}") from None


# --------------------------------------------------------------------------------------------
# HTTP server
# --------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    emulator: Emulator

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()

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
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ld-emulator/1"
    disable_nagle_algorithm = True
    timeout = 120
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.emulator.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, response: Response, extra: dict[str, str] | None = None) -> None:
        payload = b"" if response.body is None else json.dumps(response.body).encode("utf-8")
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in {**response.headers, **(extra or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _serve(self) -> None:
        emu = self.server.emulator
        try:
            raw = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        path = urlsplit(self.path).path
        if path.startswith("/_emulator/") or path == "/_emulator":
            self._send(_admin(emu, self.command, self.path, raw))
            return

        headers = {k.lower(): v for k, v in self.headers.items()}
        plan = emu.faults.plan(self.command, path)
        if plan.delay_before:
            time.sleep(plan.delay_before)
        status: int | None
        if plan.drop_before:
            response = None
        elif plan.fail_status is not None:
            response = Response(plan.fail_status, plan.fail_body, dict(plan.fail_headers))
        else:
            response = emu.dispatch(self.command, self.path, headers, raw)
            response.headers.update(plan.extra_headers)
        if plan.delay_after:
            time.sleep(plan.delay_after)
        dropped = plan.drop_before or plan.drop_after
        status = None if dropped or response is None else response.status
        emu._record(_log_entry(self.command, self.path, self.headers.items(), raw, status))
        if dropped or response is None:
            self._drop()
            return
        self._send(response)


def _log_entry(
    method: str, target: str, headers: Iterable[tuple[str, str]], raw: bytes, status: int | None
) -> JSON:
    parts = urlsplit(target)
    wanted = {h.lower(): h for h in LOGGED_HEADERS}
    logged: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        if lower == "authorization":
            logged["Authorization"] = REDACTED
        elif lower in wanted:
            logged[wanted[lower]] = value
    try:
        body = json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        body = None
    return {
        "method": method.upper(),
        "path": parts.path,
        "query": {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
        "status": status,
        "body": body,
        "headers": logged,
    }


def _admin(emu: Emulator, method: str, target: str, raw: bytes) -> Response:
    path = urlsplit(target).path.rstrip("/")
    method = method.upper()
    try:
        if path == "/_emulator/health" and method == "GET":
            return Response(200, {"status": "ok", "url": emu.url})
        if path == "/_emulator/requests":
            if method == "GET":
                return Response(200, {"items": emu.requests()})
            if method == "DELETE":
                emu.clear_requests()
                return Response(200, {"cleared": True})
        if path == "/_emulator/faults":
            if method == "GET":
                return Response(200, {"items": emu.faults.active()})
            if method == "POST":
                data = _parse_json(raw)
                if not isinstance(data, dict):
                    raise invalid("expected a JSON object with a 'kind'")
                fault = emu.faults.add(data)
                return Response(201, {"fault": fault.describe()})
            if method == "DELETE":
                emu.faults.clear()
                return Response(200, {"cleared": True})
        if path == "/_emulator/reset" and method == "POST":
            emu.reset()
            return Response(200, {"reset": True})
    except ApiError as exc:
        return Response(exc.status, exc.body())
    except (ValueError, re.error) as exc:
        return Response(400, {"code": "invalid_request", "message": str(exc)})
    known = {"/_emulator/health", "/_emulator/requests", "/_emulator/faults", "/_emulator/reset"}
    if path in known:
        return Response(405, {"code": "method_not_allowed", "message": f"{method} not allowed"})
    return Response(404, {"code": "not_found", "message": f"Unknown admin path {path}"})
