""":class:`Emulator`: the Python handle on a running emulator (what the tests and the CLI use).

It owns the pieces and wires them together: the fixtures (:mod:`.catalog`), the store
(:mod:`.store`, seeded from the fixtures), the fault plan, the profile, the request log, and the
HTTP transport (:mod:`.server`) whose requests go through :mod:`.pipeline`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from . import pipeline
from .catalog import Catalog
from .documents import Documents
from .experiments.model import ALL_EXPANDS, Context
from .experiments.rendering import render_experiment
from .faults import Faults
from .messages import Response
from .profiles import Profile, resolve_profile
from .request_log import DEFAULT_REQUEST_LOG_SIZE, RequestLog
from .routes.common import StoredFlags
from .routes.flags import change_flag
from .server import HttpAnswer, HttpRequest, HttpServer
from .store import Store
from .targeting import FLAG, render_flag

__all__ = ["DEFAULT_REQUEST_LOG_SIZE", "Emulator"]

JSON = dict[str, Any]


class Emulator:
    """A local LaunchDarkly experiments API (REST v2) on a loopback port.

    ``Emulator(port=0, data_path=None, tokens=("dev-token",), read_only_tokens=(),
    fixtures_path=None, host="127.0.0.1", *, validate_responses=False,
    request_log_size=10_000, profile="lenient", service_tokens=())``; ``start()`` returns
    ``self`` and serves in a background thread; also a context manager.

    ``tokens`` and ``read_only_tokens`` belong to the fixtures' member (a maintainer defaults
    to it); ``service_tokens`` may read and write but have no member, as LaunchDarkly's service
    tokens: a create must name its ``maintainerId``, and ``GET /api/v2/members/me`` is a 404.

    ``validate_responses=True`` checks every API answer against the spec's response schema
    and turns a mismatch into a 500 (for tests). The request log is a ring buffer of
    ``request_log_size`` entries (0 keeps none; None has no bound).

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
        service_tokens: Iterable[str] = (),
    ) -> None:
        self.host = host
        self.port = port
        self.data_path = None if data_path is None else str(data_path)
        self.tokens = frozenset(tokens)
        self.read_only_tokens = frozenset(read_only_tokens)
        self.service_tokens = frozenset(service_tokens)
        if not self.tokens and not self.read_only_tokens and not self.service_tokens:
            raise ValueError("at least one token is needed")
        self.catalog = Catalog.load(fixtures_path)
        self.validate_responses = validate_responses
        self.faults = Faults()
        self.profile = profile
        self.log = RequestLog(request_log_size)
        self._store: Store | None = None
        self._store_lock = threading.Lock()
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
        """The store, opened (and seeded with what is missing from the fixtures) on first use."""
        with self._store_lock:
            if self._store is None:
                self._store = Store(self.data_path)
                self._store.seed(self.catalog.seed_documents())
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
        return self.log.size

    def requests(self) -> list[JSON]:
        """The request log, oldest first: at most the last :attr:`request_log_size` entries."""
        return self.log.entries()

    def evicted_requests(self) -> int:
        """How many entries left the bounded log since it was last cleared."""
        return self.log.evicted()

    def clear_requests(self) -> None:
        self.log.clear()

    def _render_ctx(self, project: str, environment: str) -> Context:
        return Context(
            self.catalog,
            project,
            environment,
            self.catalog.member_id,
            Documents(self.store, project),
            profile=self.profile,
            flags=StoredFlags(self.store, project),
        )

    def experiment(self, project: str, environment: str, key: str) -> JSON | None:
        """The stored experiment with every expansion, or None."""
        stored = self.store.get(project, environment, key)
        if stored is None:
            return None
        ctx = self._render_ctx(project, environment)
        return render_experiment(ctx, stored.doc, ALL_EXPANDS)

    def experiments(self, project: str, environment: str) -> list[JSON]:
        """Every stored experiment of an environment (archived included), every expansion."""
        ctx = self._render_ctx(project, environment)
        return [
            render_experiment(ctx, s.doc, ALL_EXPANDS)
            for s in self.store.list(project, environment)
        ]

    def flag(self, project: str, key: str, environment: str | None = None) -> JSON | None:
        """The stored flag as ``GET /api/v2/flags/{project}/{key}`` renders it, or None."""
        stored = self.store.document(FLAG, project, key)
        if stored is None:
            return None
        return render_flag(
            project,
            stored.doc,
            self.catalog.project(project)["environments"],
            self.catalog.member_id,
            environment,
            version_is_flag_version="env-version-is-flag-version" in self.profile,
        )

    def patch_flag(self, project: str, key: str, body: JSON) -> JSON:
        """Apply a flag semantic patch (``{"environmentKey", "instructions"}``) as
        ``PATCH /api/v2/flags/{project}/{key}`` does, without a token; the flag it answers.
        Raises :class:`~.errors.ApiError` where the API answers an error."""
        return change_flag(self, project, key, body)

    def reset(self) -> None:
        """Wipe what the API wrote (experiments, flag changes), the request log and the
        faults; the fixtures are seeded again."""
        store = self.store
        store.wipe()
        store.seed(self.catalog.seed_documents())
        self.clear_requests()
        self.faults.clear()

    # -- request processing ------------------------------------------------------------------

    def _serve(self, http: HttpRequest) -> HttpAnswer:
        return pipeline.serve(self, http)

    def dispatch(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Response:
        """Answer one API request (no faults, no logging). Never raises."""
        return pipeline.dispatch(self, method, target, headers, raw)
