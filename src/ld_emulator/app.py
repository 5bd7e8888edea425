"""The emulator's application: routing, auth, API versions, handlers, the admin endpoints, the
request log, and :class:`Emulator`, the Python handle tests and the CLI use. The transport
(sockets, HTTP/1.1 framing) is :mod:`.server`.

Request pipeline for ``/api/v2/...`` paths:

0. the transport answers what it cannot read: malformed framing (400), a body over 1 MiB
   (413), oversized headers (431), all as JSON;
1. fault plan (delay / drop / fail / rate limit, see :mod:`.faults`);
2. a method no LaunchDarkly route serves (HEAD, OPTIONS, TRACE, ...): 405 with ``Allow``;
3. ``Authorization`` (401), ``LD-API-Version`` (400);
4. route (404 unknown path, 405 unsupported method), read-only token on a write (403),
   beta-only routes (403);
5. body parsing (400 invalid JSON or nested deeper than 64 levels), handler;
6. request log entry (Authorization redacted).

``/_emulator/...`` admin paths skip all of that (no token, no faults, not logged).
"""

from __future__ import annotations

import copy
import json
import re
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from . import lifecycle, spec
from .faults import Faults, gateway_page
from .profiles import Profile, resolve_profile
from .server import HttpAnswer, HttpRequest, HttpServer
from .store import MAX_MESSAGE, ApiError, Catalog, Query, Store, invalid, not_found, shorten

__all__ = [
    "API_VERSIONS",
    "DEFAULT_REQUEST_LOG_SIZE",
    "MAX_JSON_DEPTH",
    "Emulator",
    "Request",
    "Response",
]

JSON = dict[str, Any]

DEFAULT_API_VERSION = "20240415"
API_VERSIONS = ("20240415", "beta")
EOL_API_VERSIONS = ("20191212", "20210729", "20220603")
SEMANTIC_PATCH = "domain-model=launchdarkly.semanticpatch"
#: Largest ``limit`` on experiment and holdout listings: the spec gives only the default (20);
#: ``lenient`` accepts up to 50, ``strict`` (point ``list-limit-20``) up to 20.
MAX_LIMIT = 50
STRICT_MAX_LIMIT = 20
LOGGED_HEADERS = ("LD-API-Version", "Content-Type", "User-Agent")
REDACTED = "<redacted>"
#: Entries the request log keeps by default; older ones are evicted first.
DEFAULT_REQUEST_LOG_SIZE = 10_000
HTML = "text/html; charset=utf-8"
API_PREFIX = "/api/"
ADMIN_PREFIX = "/_emulator"
#: Deepest nesting of arrays and objects accepted in a request body.
MAX_JSON_DEPTH = 64


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
    """An answer: ``body`` is sent as JSON unless ``raw`` (with ``content_type``) is given."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    template: str | None = None
    raw: bytes | None = None
    content_type: str = "application/json"

    def encode(self) -> HttpAnswer:
        if self.raw is not None:
            payload = self.raw
        else:
            payload = b"" if self.body is None else json.dumps(self.body).encode("utf-8")
        headers = [("Content-Type", self.content_type), *self.headers.items()]
        return HttpAnswer(self.status, headers, payload)


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
        raise invalid(
            f"query parameter '{name}' must be an integer {bound} (got '{shorten(raw, 40)}')"
        )
    return value


def _csv(raw: str | None) -> list[str]:
    return [p.strip() for p in (raw or "").split(",") if p.strip()]


def _expand(req: Request) -> set[str]:
    values = set(_csv(req.query.get("expand")))
    unknown = values - lifecycle.KNOWN_EXPANDS
    if unknown:
        raise invalid(
            f"query parameter 'expand': unknown value '{shorten(sorted(unknown)[0], 80)}' "
            f"(supported: {', '.join(sorted(lifecycle.KNOWN_EXPANDS))})"
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
    return lifecycle.Context(
        emu.catalog, project, environment, emu.catalog.member_id, profile=emu.profile
    )


def _max_limit(emu: Emulator) -> int:
    return STRICT_MAX_LIMIT if "list-limit-20" in emu.profile else MAX_LIMIT


def _write_expands(emu: Emulator) -> frozenset[str]:
    """What a POST/PATCH answer renders: everything (lenient) or nothing (strict)."""
    if "write-without-expansions" in emu.profile:
        return frozenset()
    return lifecycle.WRITE_EXPANDS


_FILTER_FIELDS = ("flagKey", "metricKey", "status")
_STATUSES = ("not_started", "running", "stopped")


def _experiment_query(req: Request, project: str, environment: str | None) -> Query:
    """The listing's ``filter`` and ``lifecycleState`` as a store query.

    As the spec describes them, ``status`` matches experiments with *an* iteration in that
    status, and ``flagKey``/``metricKey`` experiments that use the flag or metric, in any
    iteration (current, draft or previous).
    """
    wanted: dict[str, list[str]] = {name: [] for name in _FILTER_FIELDS}
    for part in _csv(req.query.get("filter")):
        name, sep, value = part.partition(":")
        if not sep or name not in _FILTER_FIELDS:
            raise invalid(
                f"query parameter 'filter': unsupported filter '{shorten(part, 80)}' (use "
                f"field:value with field one of {', '.join(_FILTER_FIELDS)})"
            )
        if name == "status" and value not in _STATUSES:
            raise invalid(f"query parameter 'filter': status must be one of {', '.join(_STATUSES)}")
        wanted[name].append(value)
    states = set(_csv(req.query.get("lifecycleState"))) or {"active"}
    unknown = states - {"active", "archived"}
    if unknown:
        raise invalid(
            f"query parameter 'lifecycleState': unknown value '{shorten(sorted(unknown)[0], 80)}' "
            "(use active, archived or both)"
        )
    return Query(
        project,
        environment,
        frozenset(states),
        statuses=tuple(wanted["status"]),
        flag_keys=tuple(wanted["flagKey"]),
        metric_keys=tuple(wanted["metricKey"]),
    )


def _list(emu: Emulator, req: Request, environment: str | None) -> Response:
    ctx = _ctx(emu, req)
    limit = _int_param(req, "limit", 20, 1, _max_limit(emu))
    offset = _int_param(req, "offset", 0, 0, None)
    expand = _expand(req)
    query = _experiment_query(req, ctx.project, environment)
    total, page = emu.store.select(query, limit=limit, offset=offset)
    body = {
        "items": [lifecycle.render_experiment(ctx, s.doc, expand) for s in page],
        "total_count": total,
        "_links": _page_links(req, total, limit, offset),
    }
    return Response(200, body)


def list_experiments(emu: Emulator, req: Request) -> Response:
    return _list(emu, req, req.params["environmentKey"])


def list_experiments_any_env(emu: Emulator, req: Request) -> Response:
    return _list(emu, req, None)


def create_experiment(emu: Emulator, req: Request) -> Response:
    ctx = _ctx(emu, req)
    doc = lifecycle.create_document(ctx, req.body)
    try:
        emu.store.insert(ctx.project, ctx.environment, doc["key"], doc)
    except ApiError as exc:
        if exc.status == 409 and "duplicate-key-400" in emu.profile:
            raise invalid(exc.message) from None
        raise
    return Response(201, lifecycle.render_experiment(ctx, doc, _write_expands(emu)))


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
    return Response(200, lifecycle.render_experiment(ctx, new, _write_expands(emu)))


def create_iteration(emu: Emulator, req: Request) -> Response:
    ctx = _ctx(emu, req)
    key = req.params["experimentKey"]
    doc, version = _load(emu, ctx, key)
    new = lifecycle.new_draft_iteration(ctx, doc, req.body)
    emu.store.compare_and_swap(ctx.project, ctx.environment, key, version, new)
    iteration = new["current"] if doc["current"]["status"] == "not_started" else new["draft"]
    with_treatments = "write-without-expansions" not in emu.profile
    return Response(200, lifecycle.render_iteration(ctx, new, iteration, with_treatments))


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
    query = Query(ctx.project, ctx.environment, holdout_id=str(holdout["_id"]))
    related = [s.doc for s in emu.store.select(query)[1]]
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
    limit = _int_param(req, "limit", 20, 1, _max_limit(emu))
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


_P = "/api/v2/projects/{projectKey}"
_E = _P + "/environments/{environmentKey}"


def _route(
    template: str,
    methods: dict[str, Handler],
    beta: bool = False,
    not_emulated: tuple[str, ...] = (),
) -> Route:
    """A route from its OpenAPI path template: ``{name}`` matches one path segment."""
    pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return Route(re.compile(f"^{pattern}$"), template, methods, beta, not_emulated)


ROUTES: tuple[Route, ...] = (
    _route("/api/v2/flags/{projectKey}", {"GET": get_flags}),
    _route("/api/v2/flags/{projectKey}/{featureFlagKey}", {"GET": get_flag}),
    _route("/api/v2/metrics/{projectKey}/{metricKey}", {"GET": get_metric}),
    _route(_E + "/experiments", {"GET": list_experiments, "POST": create_experiment}),
    _route(_E + "/experiments/{experimentKey}", {"GET": get_experiment, "PATCH": patch_experiment}),
    _route(_E + "/experiments/{experimentKey}/iterations", {"POST": create_iteration}),
    _route(_E + "/holdouts", {"GET": list_holdouts}, not_emulated=("POST",)),
    _route(_E + "/holdouts/id/{holdoutId}", {"GET": get_holdout_by_id}),
    _route(_E + "/holdouts/{holdoutKey}", {"GET": get_holdout}, not_emulated=("PATCH",)),
    _route(_P + "/experimentation-settings", {"GET": get_settings}, not_emulated=("PUT",)),
    _route(_P + "/experiments", {"GET": list_experiments_any_env}),
    _route(_P + "/metric-groups/{metricGroupKey}", {"GET": get_metric_group}, beta=True),
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
    fixtures_path=None, host="127.0.0.1", *, validate_responses=False,
    request_log_size=10_000, profile="lenient")``; ``start()`` returns ``self`` and serves in a
    background thread;
    also a context manager. ``validate_responses=True`` checks every API answer against the
    spec's response schema and turns a mismatch into a 500 (for tests). The request log is a
    ring buffer of ``request_log_size`` entries (0 keeps none; None has no bound).

    ``profile`` is ``"lenient"`` (the default), ``"strict"`` or a :class:`~.profiles.Profile`:
    how the points the spec leaves open are read (see :mod:`.profiles`). It can be changed on a
    running emulator by assigning ``emu.profile`` (a name or a Profile).
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
        request_log_size: int | None = DEFAULT_REQUEST_LOG_SIZE,
        profile: str | Profile = "lenient",
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
        self.profile = profile
        self._store: Store | None = None
        self._store_lock = threading.Lock()
        if request_log_size is not None and request_log_size < 0:
            raise ValueError("request_log_size must be >= 0 (or None for no bound)")
        self._log: deque[JSON] = deque(maxlen=request_log_size)
        self._log_lock = threading.Lock()
        self._evicted = 0
        self._server: HttpServer | None = None
        self._thread: threading.Thread | None = None
        self.verbose = False

    @property
    def profile(self) -> Profile:
        return self._profile

    @profile.setter
    def profile(self, value: str | Profile) -> None:
        self._profile = resolve_profile(value)
        self.faults.html_gateway_errors = "gateway-errors-html" in self._profile

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
        server = HttpServer((self.host, self.port), self._serve)
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

    @property
    def request_log_size(self) -> int | None:
        """How many entries the request log keeps (the oldest go first); None: no bound."""
        return self._log.maxlen

    def requests(self) -> list[JSON]:
        """The request log, oldest first: at most the last :attr:`request_log_size` entries."""
        with self._log_lock:
            return copy.deepcopy(list(self._log))

    def evicted_requests(self) -> int:
        """How many entries left the bounded log since it was last cleared."""
        with self._log_lock:
            return self._evicted

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()
            self._evicted = 0

    def _record(self, entry: JSON) -> None:
        if self._log.maxlen == 0:
            return
        with self._log_lock:
            if len(self._log) == self._log.maxlen:
                self._evicted += 1
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

    def _serve(self, http: HttpRequest) -> HttpAnswer:
        """The transport's entry point: admin paths, fault plan, dispatch, request log."""
        path = urlsplit(http.target).path
        if http.problem is not None:
            refusal = _problem(*http.problem)
            if path.startswith(API_PREFIX):
                self._log_request(http, refusal.status)
            if self.verbose:
                self._verbose(http, refusal.status)
            return refusal.encode()
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            return _admin(self, http.method, path, http.body).encode()

        plan = self.faults.plan(http.method, path)
        if plan.delay_before:
            time.sleep(plan.delay_before)
        response: Response | None
        if plan.drop_before:
            response = None
        elif plan.fail_html and plan.fail_status is not None:
            page = gateway_page(plan.fail_status)
            response = Response(
                plan.fail_status, None, dict(plan.fail_headers), raw=page, content_type=HTML
            )
        elif plan.fail_status is not None:
            response = Response(plan.fail_status, plan.fail_body, dict(plan.fail_headers))
        else:
            response = self.dispatch(http.method, http.target, dict(http.headers), http.body)
            response.headers.update(plan.extra_headers)
        if plan.delay_after:
            time.sleep(plan.delay_after)
        dropped = plan.drop_before or plan.drop_after or response is None
        logged_status = None if dropped or response is None else response.status
        self._log_request(http, logged_status)
        if self.verbose:
            self._verbose(http, logged_status)
        if dropped or response is None:
            return HttpAnswer(drop=True)
        return response.encode()

    def _log_request(self, http: HttpRequest, status: int | None) -> None:
        self._record(_log_entry(http.method, http.target, http.headers, http.body, status))

    def _verbose(self, http: HttpRequest, status: int | None) -> None:
        shown = "dropped" if status is None else str(status)
        line = f"{http.method or '-'} {shorten(http.target or '-', 200)} -> {shown}"
        print(f"ld-emulator: {line}", file=sys.stderr, flush=True)

    def dispatch(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Response:
        """Answer one API request (no faults, no logging). Never raises.

        ``headers`` are matched case-insensitively.
        """
        parts = urlsplit(target)
        req = Request(
            method=method.upper(),
            path=parts.path,
            query={k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
            headers={k.lower(): v for k, v in headers.items()},
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
                {
                    "code": "internal_server_error",
                    "message": shorten(f"emulator error: {exc!r}", MAX_MESSAGE),
                },
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
        if req.method not in SERVED_METHODS:
            found = match_route(req.path)
            if found is None:
                raise not_found(f"Unknown resource path {shorten(req.path, 200)}")
            raise _method_not_allowed(found[0], req.method, req.path)
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
                    f"Invalid LD-API-Version header '{shorten(version, 40)}' (supported: "
                    f"{', '.join(API_VERSIONS)})"
                )
            req.api_version = version

        method = req.method
        if method == "POST" and req.headers.get("x-http-method-override"):
            method = req.headers["x-http-method-override"].upper()
            req.method = method
        found = match_route(req.path)
        if found is None:
            raise not_found(f"Unknown resource path {shorten(req.path, 200)}")
        route, req.params = found
        handler = route.methods.get(method)
        if handler is None:
            raise _method_not_allowed(route, method, req.path)
        _check_query_types(route, method, req.query)
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


#: Methods the LaunchDarkly API uses. Any other (HEAD, OPTIONS, TRACE, CONNECT, made-up ones) is
#: answered 405 with ``Allow`` before authentication: no route serves it.
SERVED_METHODS = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE"})


def _method_not_allowed(route: Route, method: str, path: str) -> ApiError:
    allowed = sorted(route.methods)
    extra = " (declared by the API but not emulated)" if method in route.not_emulated else ""
    return ApiError(
        405,
        "method_not_allowed",
        f"Method {shorten(method, 40)} is not allowed on {shorten(path, 200)}{extra}; allowed: "
        f"{', '.join(allowed)}",
        {"Allow": ", ".join(allowed)},
    )


INT64 = (-(2**63), 2**63 - 1)
#: Booleans as LaunchDarkly reads them in a query (its docs use ``summary=0``).
_BOOLEANS = frozenset({"true", "false", "1", "0"})


def _check_query_types(route: Route, method: str, query: dict[str, str]) -> None:
    """400 for a declared query parameter whose value is not of the spec's type.

    Integers are ``int64`` as the spec's ``format`` says; booleans are true/false/1/0.
    Parameters the spec does not declare are ignored, as LaunchDarkly does.
    """
    for name, schema in spec.query_parameters(route.template, method).items():
        raw = query.get(name)
        if raw is None:
            continue
        kind = schema.get("type")
        if kind == "integer":
            try:
                value = int(raw)
            except ValueError:
                value = None
            if value is None or not INT64[0] <= value <= INT64[1]:
                raise invalid(
                    f"query parameter '{name}' must be a 64-bit integer (got '{shorten(raw, 40)}')"
                )
        elif kind == "boolean" and raw.lower() not in _BOOLEANS:
            raise invalid(
                f"query parameter '{name}' must be true or false (got '{shorten(raw, 40)}')"
            )


def _parse_json(raw: bytes) -> Any:
    """The request body as JSON; 400 naming the problem (never echoing the body)."""
    if not raw.strip():
        raise invalid("A JSON request body is required")
    try:
        value = json.loads(raw)
    except RecursionError:
        value = _TOO_DEEP
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid(f"Request body is not valid JSON: {shorten(str(exc), 200)}") from None
    if value is _TOO_DEEP or _deeper_than(value, MAX_JSON_DEPTH):
        raise invalid(
            f"Request body is nested too deeply: at most {MAX_JSON_DEPTH} levels of arrays and "
            "objects are accepted"
        )
    return value


_TOO_DEEP = object()


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays/objects nest more than ``limit`` levels (iterative: no recursion limit)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Iterable[Any] = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


_PROBLEM_CODES = {
    400: "invalid_request",
    413: "request_too_large",
    431: "request_header_fields_too_large",
    501: "not_implemented",
}


def _problem(status: int, message: str) -> Response:
    """The JSON answer to a request the transport could not read."""
    text = message if status == 413 else f"Malformed HTTP request: {shorten(message, 200)}"
    code = _PROBLEM_CODES.get(status, "invalid_request")
    return Response(status, {"code": code, "message": text})


# --------------------------------------------------------------------------------------------
# Request log
# --------------------------------------------------------------------------------------------


#: Bodies larger than this are logged as ``None`` (the log keeps what a test asserts on).
MAX_LOGGED_BODY = 64 * 1024


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
            logged[wanted[lower]] = shorten(value, 200)
    body: Any = None
    if raw.strip() and len(raw) <= MAX_LOGGED_BODY:
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            body = None
    return {
        "method": method.upper(),
        "path": parts.path,
        "query": {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
        "status": status,
        "body": body,
        "headers": logged,
    }


# --------------------------------------------------------------------------------------------
# Admin endpoints (no token, no faults, not logged)
# --------------------------------------------------------------------------------------------

AdminHandler = Callable[["Emulator", bytes], Response]


def _admin_health(emu: Emulator, raw: bytes) -> Response:
    return Response(200, {"status": "ok", "url": emu.url, **emu.profile.describe()})


def _admin_requests(emu: Emulator, raw: bytes) -> Response:
    return Response(200, {"items": emu.requests(), "evicted": emu.evicted_requests()})


def _admin_clear_requests(emu: Emulator, raw: bytes) -> Response:
    emu.clear_requests()
    return Response(200, {"cleared": True})


def _admin_faults(emu: Emulator, raw: bytes) -> Response:
    return Response(200, {"items": emu.faults.active()})


def _admin_add_fault(emu: Emulator, raw: bytes) -> Response:
    data = _parse_json(raw)
    if not isinstance(data, dict):
        raise invalid("expected a JSON object with a 'kind'")
    try:
        fault = emu.faults.add(data)
    except (ValueError, re.error) as exc:
        raise invalid(shorten(str(exc), MAX_MESSAGE)) from None
    return Response(201, {"fault": fault.describe()})


def _admin_clear_faults(emu: Emulator, raw: bytes) -> Response:
    emu.faults.clear()
    return Response(200, {"cleared": True})


def _admin_reset(emu: Emulator, raw: bytes) -> Response:
    emu.reset()
    return Response(200, {"reset": True})


ADMIN_ROUTES: dict[str, dict[str, AdminHandler]] = {
    ADMIN_PREFIX + "/health": {"GET": _admin_health},
    ADMIN_PREFIX + "/requests": {"GET": _admin_requests, "DELETE": _admin_clear_requests},
    ADMIN_PREFIX + "/faults": {
        "GET": _admin_faults,
        "POST": _admin_add_fault,
        "DELETE": _admin_clear_faults,
    },
    ADMIN_PREFIX + "/reset": {"POST": _admin_reset},
}


def _admin(emu: Emulator, method: str, path: str, raw: bytes) -> Response:
    path = path.rstrip("/")
    methods = ADMIN_ROUTES.get(path)
    try:
        if methods is None:
            raise not_found(f"Unknown admin path {shorten(path, 200)}")
        handler = methods.get(method.upper())
        if handler is None:
            allowed = sorted(methods)
            raise ApiError(
                405,
                "method_not_allowed",
                f"Method {shorten(method, 40)} is not allowed on {path}; allowed: "
                f"{', '.join(allowed)}",
                {"Allow": ", ".join(allowed)},
            )
        return handler(emu, raw)
    except ApiError as exc:
        return Response(exc.status, exc.body(), dict(exc.headers))
