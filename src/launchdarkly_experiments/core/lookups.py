"""Read-only lookups of the objects declarations refer to: one GET per distinct read per process.

Reference checks and name resolution read flags, metrics, metric groups, holdouts, settings,
members and running experiments; the same flag is named by many experiments, and the provider
host serves several calls at once. ``CachedLookups`` answers each distinct GET (path and query)
once, from any thread: callers of the same read wait for the one request in flight; answers and
404s are kept for the life of the object; other failures (timeouts, 5xx, 401) are not, so the
next call tries again. ``forget`` drops what a write of this process may have changed.

The named reads below (a flag in an environment, a metric, a holdout by id, ...) are the
vocabulary of the kinds' reference checks; each is one GET of ``paths``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any, Protocol

from ..errors import NotFoundError
from . import paths

#: Metric groups are a beta route: LaunchDarkly answers 403 without this API version.
BETA = {"LD-API-Version": "beta"}


class Getter(Protocol):
    """Anything that sends a GET and returns the parsed JSON (``LaunchDarklyClient``)."""

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any: ...


class CachedLookups:
    """One GET per distinct read, shared by every thread of a provider host."""

    def __init__(self, source: Getter) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, tuple[tuple[str, str], ...]], Future[Any]] = {}
        self.source_calls = 0

    def get(
        self,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """The JSON answer of ``GET path?params``; a 404 raises ``NotFoundError`` (kept too)."""
        ident = (path, tuple(sorted((params or {}).items())))
        with self._lock:
            future = self._entries.get(ident)
            owner = future is None
            if future is None:
                future = Future()
                self._entries[ident] = future
                self.source_calls += 1
        if owner:
            try:
                future.set_result(self._source.request("GET", path, params=params, headers=headers))
            except NotFoundError as exc:
                future.set_exception(exc)
            except BaseException as exc:
                with self._lock:
                    self._entries.pop(ident, None)
                future.set_exception(exc)
        return future.result()

    def get_all(
        self,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        page_size: int,
        total: str,
    ) -> list[Any]:
        """Every item of a listing, page by page (each page one cached read); ``total`` is the
        name of the listing's count (``total_count`` or ``totalCount``, by collection)."""
        items: list[Any] = []
        while True:
            query = {**(params or {}), "limit": str(page_size), "offset": str(len(items))}
            page = self.get(path, query)
            batch = list(page.get("items") or []) if isinstance(page, dict) else []
            items.extend(batch)
            count = page.get(total) if isinstance(page, dict) else None
            if not batch or not isinstance(count, int) or len(items) >= count:
                return items

    def forget(self, *prefixes: str) -> None:
        """Drop every kept read whose path starts with one of ``prefixes`` (what a write of this
        process changed: a start changes which experiments run, a stop a flag's serving)."""
        with self._lock:
            for ident in [i for i in self._entries if i[0].startswith(prefixes)]:
                del self._entries[ident]

    # -- the named reads ---------------------------------------------------------------------

    def get_flag(self, project_key: str, flag_key: str, environment_key: str) -> Any:
        """A flag with its targeting in one environment (variations, rules, version)."""
        return self.get(paths.flag(project_key, flag_key), {"env": environment_key})

    def list_flags(self, project_key: str) -> list[Any]:
        """Every flag of a project, without environment configurations."""
        return self.get_all(
            paths.flags(project_key), {"summary": "true"}, page_size=100, total="totalCount"
        )

    def get_metric(self, project_key: str, metric_key: str) -> Any:
        return self.get(paths.metric(project_key, metric_key))

    def get_metric_group(self, project_key: str, group_key: str) -> Any:
        return self.get(paths.metric_group(project_key, group_key), headers=BETA)

    def get_holdout_by_id(self, project_key: str, environment_key: str, holdout_id: str) -> Any:
        return self.get(paths.holdout_by_id(project_key, environment_key, holdout_id))

    def list_holdouts(self, project_key: str, environment_key: str) -> list[Any]:
        # 20 is the spec's documented default; a larger limit is refused under some readings.
        page = self.get(paths.holdouts(project_key, environment_key), {"limit": "20"})
        return list(page.get("items") or []) if isinstance(page, dict) else []

    def get_experimentation_settings(self, project_key: str) -> Any:
        """The project's experimentation settings (randomization units); 404: no such project."""
        return self.get(paths.experimentation_settings(project_key))

    def list_context_kinds(self, project_key: str) -> list[Any]:
        """The project's context kinds (what a randomization unit must be one of)."""
        page = self.get(paths.context_kinds(project_key))
        return list(page.get("items") or []) if isinstance(page, dict) else []

    def get_experiment(self, project_key: str, environment_key: str, key: str) -> Any:
        """An experiment, without expansions (that it exists: a layer reserves it)."""
        return self.get(paths.experiment(project_key, environment_key, key))

    def list_experiments(self, project_key: str, environment_key: str, *, limit: int = 1) -> Any:
        """One page of experiments: the spec's cheapest way to learn an environment exists."""
        return self.get(paths.experiments(project_key, environment_key), {"limit": str(limit)})

    def running_experiments(
        self, project_key: str, environment_key: str, flag_key: str
    ) -> list[Any]:
        """Every experiment with a running iteration on the flag."""
        return self.get_all(
            paths.experiments(project_key, environment_key),
            {"filter": f"flagKey:{flag_key},status:running"},
            page_size=20,
            total="total_count",
        )

    def get_member(self, member_id: str) -> Any:
        """A member of the account; ``me`` is the token's own (404 for a service token)."""
        return self.get(paths.member(member_id))
