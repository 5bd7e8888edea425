"""Persistence for the emulator: every object the API can change, in SQLite.

Two tables:

* ``experiments``: one row per ``(project, environment, key)``, the experiment document as JSON,
  a ``version`` counter, and columns derived from the document (:func:`facets`) so that a
  listing filters, counts and pages in SQL.
* ``documents``: every other kind the API writes (flags now; metrics, metric groups, holdouts,
  layers and experimentation settings as they become writable), one row per
  ``(kind, project, environment, key)`` (``environment`` is ``''`` for project-level objects)
  with the document as JSON and a ``version`` counter. They are seeded from the fixtures
  (:meth:`Store.seed`: a document is added when it is missing, never overwritten), and
  :meth:`Store.wipe` empties both tables (the emulator then seeds again).

Every write is a compare-and-swap on a row's version, and :meth:`Store.commit` applies several
writes (an experiment and the flags whose serving it changes) in one transaction: all or
nothing. A writer that lost a race gets LaunchDarkly's 409 ``optimistic_locking_error``.

``path=None`` is a private in-memory database; a file path uses WAL journaling so that a stopped
and restarted emulator finds everything it had.
"""

from __future__ import annotations

import builtins
import copy
import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import MAX_MESSAGE, ApiError, invalid, not_found, shorten

__all__ = [
    "EXPERIMENT",
    "MAX_MESSAGE",
    "ApiError",
    "Query",
    "Store",
    "StoredDocument",
    "StoredExperiment",
    "Write",
    "facets",
    "invalid",
    "not_found",
    "shorten",
]

JSON = dict[str, Any]

#: The kind of a :class:`Write` that goes to the ``experiments`` table.
EXPERIMENT = "experiment"


class StoredExperiment:
    """One row: the experiment document and its compare-and-swap version."""

    __slots__ = ("doc", "environment", "key", "project", "version")

    def __init__(self, project: str, environment: str, key: str, doc: JSON, version: int) -> None:
        self.project = project
        self.environment = environment
        self.key = key
        self.doc = doc
        self.version = version


class StoredDocument:
    """One row of the ``documents`` table: a document and its compare-and-swap version."""

    __slots__ = ("doc", "environment", "key", "kind", "project", "version")

    def __init__(
        self, kind: str, project: str, environment: str, key: str, doc: JSON, version: int
    ) -> None:
        self.kind = kind
        self.project = project
        self.environment = environment
        self.key = key
        self.doc = doc
        self.version = version


@dataclass(frozen=True)
class Write:
    """One write of a :meth:`Store.commit`: ``expected_version`` None inserts a new row (which
    must not exist), a number replaces the row only if it is still at that version.
    ``kind`` is :data:`EXPERIMENT` or a document kind."""

    kind: str
    project: str
    environment: str
    key: str
    doc: JSON
    expected_version: int | None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS experiments (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    project     TEXT    NOT NULL,
    environment TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    doc         TEXT    NOT NULL,
    UNIQUE (project, environment, key)
);
CREATE TABLE IF NOT EXISTS documents (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL,
    project     TEXT    NOT NULL,
    environment TEXT    NOT NULL DEFAULT '',
    key         TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    doc         TEXT    NOT NULL,
    UNIQUE (kind, project, environment, key)
);
"""

#: Columns derived from the document on every write, so that a listing can filter, count and
#: page in SQL instead of loading every document: ``archived`` 0/1, ``holdout_id``, and the
#: statuses, flag keys and metric keys of **all** iterations (current, draft and previous), each
#: stored as ``<US>a<US>b<US>`` (US = unit separator) and matched with ``instr``.
_FACETS = (
    ("archived", "INTEGER NOT NULL DEFAULT 0"),
    ("holdout_id", "TEXT"),
    ("statuses", "TEXT NOT NULL DEFAULT ''"),
    ("flag_keys", "TEXT NOT NULL DEFAULT ''"),
    ("metric_keys", "TEXT NOT NULL DEFAULT ''"),
)
_INDEXES = """
CREATE INDEX IF NOT EXISTS experiments_listing
    ON experiments (project, environment, archived, seq);
CREATE INDEX IF NOT EXISTS experiments_any_env ON experiments (project, archived, seq);
"""
_SEP = "\x1f"
_FACET_NAMES = ", ".join(name for name, _ in _FACETS)
_FACET_ASSIGN = ", ".join(f"{name} = ?" for name, _ in _FACETS)


def _joined(values: Iterable[str]) -> str:
    unique = sorted(set(values))
    return _SEP + _SEP.join(unique) + _SEP if unique else ""


def facets(doc: JSON) -> tuple[int, str | None, str, str, str]:
    """The derived columns of one experiment document (tolerant of partial documents)."""
    iterations = [doc.get("current"), doc.get("draft"), *doc.get("previous", [])]
    present = [it for it in iterations if isinstance(it, dict)]
    statuses = _joined(str(it.get("status", "")) for it in present)
    flags = _joined(str(k) for it in present for k in it.get("flags", {}))
    metrics = _joined(
        str(m.get("key", ""))
        for it in present
        for m in it.get("metrics", [])
        if isinstance(m, dict)
    )
    holdout = doc.get("holdoutId")
    return (
        1 if "archivedDate" in doc else 0,
        None if holdout is None else str(holdout),
        statuses,
        flags,
        metrics,
    )


@dataclass(frozen=True)
class Query:
    """Which experiments a listing wants. Every list is an AND: each value must match."""

    project: str
    environment: str | None = None
    lifecycle_states: frozenset[str] = frozenset({"active"})
    statuses: tuple[str, ...] = ()
    flag_keys: tuple[str, ...] = ()
    metric_keys: tuple[str, ...] = ()
    holdout_id: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses = ["project = ?"]
        params: list[Any] = [self.project]
        if self.environment is not None:
            clauses.append("environment = ?")
            params.append(self.environment)
        archived = sorted({1 if s == "archived" else 0 for s in self.lifecycle_states})
        clauses.append(f"archived IN ({', '.join('?' * len(archived)) or 'NULL'})")
        params.extend(archived)
        for column, values in (
            ("statuses", self.statuses),
            ("flag_keys", self.flag_keys),
            ("metric_keys", self.metric_keys),
        ):
            for value in values:
                clauses.append(f"instr({column}, ?) > 0")
                params.append(_SEP + value + _SEP)
        if self.holdout_id is not None:
            clauses.append("holdout_id = ?")
            params.append(self.holdout_id)
        return " AND ".join(clauses), params


#: SQLite integers are 64-bit; larger offsets mean "past the end" anyway.
_MAX_OFFSET = 2**62


class Store:
    """Thread-safe SQLite store of experiment documents."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = None if path is None else str(path)
        self._lock = threading.Lock()
        target = ":memory:" if self.path is None else self.path
        self._conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        if self.path is not None:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._migrate()
        self._conn.executescript(_INDEXES)

    def _migrate(self) -> None:
        """Add the derived columns to a file written by an older emulator, and fill them."""
        have = {row[1] for row in self._conn.execute("PRAGMA table_info(experiments)")}
        missing = [(name, decl) for name, decl in _FACETS if name not in have]
        if not missing:
            return
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            for name, decl in missing:
                self._conn.execute(f"ALTER TABLE experiments ADD COLUMN {name} {decl}")
            rows = self._conn.execute("SELECT seq, doc FROM experiments").fetchall()
            for seq, doc in rows:
                self._conn.execute(
                    f"UPDATE experiments SET {_FACET_ASSIGN} WHERE seq = ?",
                    (*facets(json.loads(doc)), seq),
                )
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            if self.path is not None:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()

    def insert(self, project: str, environment: str, key: str, doc: JSON) -> StoredExperiment:
        """Add a new experiment; 409 ``conflict`` if the key is taken (archived or not)."""
        self.commit([Write(EXPERIMENT, project, environment, key, doc, None)])
        return StoredExperiment(project, environment, key, copy.deepcopy(doc), 1)

    def get(self, project: str, environment: str, key: str) -> StoredExperiment | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT doc, version FROM experiments"
                " WHERE project = ? AND environment = ? AND key = ?",
                (project, environment, key),
            ).fetchone()
        if row is None:
            return None
        return StoredExperiment(project, environment, key, json.loads(row[0]), int(row[1]))

    def list(self, project: str, environment: str | None = None) -> list[StoredExperiment]:
        """All experiments of a project (optionally one environment), in creation order."""
        states = frozenset({"active", "archived"})
        return self.select(Query(project, environment, states), limit=None)[1]

    def select(
        self, query: Query, *, limit: int | None = None, offset: int = 0
    ) -> tuple[int, builtins.list[StoredExperiment]]:
        """``(total, page)``: how many experiments match, and those from ``offset`` on (at most
        ``limit``), in creation order. Only the page's documents are read and decoded."""
        where, params = query.where()
        offset = min(max(0, offset), _MAX_OFFSET)
        with self._lock:
            (total,) = self._conn.execute(
                f"SELECT count(*) FROM experiments WHERE {where}", params
            ).fetchone()
            rows = self._conn.execute(
                f"SELECT project, environment, key, doc, version FROM experiments WHERE {where}"
                " ORDER BY seq LIMIT ? OFFSET ?",
                [*params, -1 if limit is None else limit, offset],
            ).fetchall()
        page = [
            StoredExperiment(str(p), str(env), str(key), json.loads(doc), int(version))
            for p, env, key, doc, version in rows
        ]
        return int(total), page

    def compare_and_swap(
        self, project: str, environment: str, key: str, expected_version: int, doc: JSON
    ) -> int:
        """Write ``doc`` only if the row is still at ``expected_version``; return the new one."""
        self.commit([Write(EXPERIMENT, project, environment, key, doc, expected_version)])
        return expected_version + 1

    # -- documents ----------------------------------------------------------------------------

    def document(
        self, kind: str, project: str, key: str, environment: str = ""
    ) -> StoredDocument | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT doc, version FROM documents"
                " WHERE kind = ? AND project = ? AND environment = ? AND key = ?",
                (kind, project, environment, key),
            ).fetchone()
        if row is None:
            return None
        return StoredDocument(kind, project, environment, key, json.loads(row[0]), int(row[1]))

    def documents(
        self, kind: str, project: str, environment: str | None = ""
    ) -> builtins.list[StoredDocument]:
        """Documents of one kind in a project, in the order they were added. ``environment``
        None: every environment; ``''`` (the default): project-level documents."""
        sql = "SELECT environment, key, doc, version FROM documents WHERE kind = ? AND project = ?"
        params: list[Any] = [kind, project]
        if environment is not None:
            sql += " AND environment = ?"
            params.append(environment)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY seq", params).fetchall()
        return [
            StoredDocument(kind, project, str(env), str(key), json.loads(doc), int(version))
            for env, key, doc, version in rows
        ]

    def seed(self, documents: Iterable[tuple[str, str, str, str, JSON]]) -> int:
        """Add each ``(kind, project, environment, key, doc)`` that is not stored yet (a stored
        one is kept as the API left it). Returns how many were added."""
        added = 0
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for kind, project, environment, key, doc in documents:
                    cursor = self._conn.execute(
                        "INSERT OR IGNORE INTO documents"
                        " (kind, project, environment, key, version, doc)"
                        " VALUES (?, ?, ?, ?, 1, ?)",
                        (kind, project, environment, key, json.dumps(doc)),
                    )
                    added += cursor.rowcount
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return added

    # -- transactions -------------------------------------------------------------------------

    def commit(self, writes: Sequence[Write]) -> None:
        """Apply every write in one transaction, or none: 409 if any row moved on (or, for an
        insert, exists)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for write in writes:
                    self._apply(write)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def _apply(self, write: Write) -> None:
        text = json.dumps(write.doc)
        if write.kind == EXPERIMENT:
            where = (write.project, write.environment, write.key)
            if write.expected_version is None:
                try:
                    self._conn.execute(
                        "INSERT INTO experiments (project, environment, key, version, doc, "
                        f"{_FACET_NAMES}) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?)",
                        (*where, text, *facets(write.doc)),
                    )
                except sqlite3.IntegrityError:
                    raise ApiError(
                        409,
                        "conflict",
                        f"An experiment with key '{write.key}' already exists in environment "
                        f"'{write.environment}' of project '{write.project}' (archived "
                        "experiments keep their key)",
                    ) from None
                return
            cursor = self._conn.execute(
                f"UPDATE experiments SET doc = ?, version = version + 1, {_FACET_ASSIGN}"
                " WHERE project = ? AND environment = ? AND key = ? AND version = ?",
                (text, *facets(write.doc), *where, write.expected_version),
            )
            if cursor.rowcount != 1:
                raise _lost_race(f"Experiment '{write.key}'")
            return
        self._apply_document(write, text)

    def _apply_document(self, write: Write, text: str) -> None:
        where = (write.kind, write.project, write.environment, write.key)
        if write.expected_version is None:
            try:
                self._conn.execute(
                    "INSERT INTO documents (kind, project, environment, key, version, doc)"
                    " VALUES (?, ?, ?, ?, 1, ?)",
                    (*where, text),
                )
            except sqlite3.IntegrityError:
                raise ApiError(
                    409, "conflict", f"A {write.kind} with key '{write.key}' already exists"
                ) from None
            return
        cursor = self._conn.execute(
            "UPDATE documents SET doc = ?, version = version + 1"
            " WHERE kind = ? AND project = ? AND environment = ? AND key = ? AND version = ?",
            (text, *where, write.expected_version),
        )
        if cursor.rowcount != 1:
            raise _lost_race(f"The {write.kind} '{write.key}'")

    def wipe(self) -> None:
        """Empty both tables (the caller seeds the documents again)."""
        with self._lock:
            self._conn.execute("DELETE FROM experiments")
            self._conn.execute("DELETE FROM documents")


def _lost_race(what: str) -> ApiError:
    return ApiError(
        409,
        "optimistic_locking_error",
        f"{what} was changed by another request while this one was being applied; read it "
        "again and retry",
    )
