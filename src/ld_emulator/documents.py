"""The stored documents of one project, as one request reads them.

Every kind the API writes besides experiments is a row of the store's ``documents`` table
(:mod:`.store`): flags (:mod:`.targeting`), metrics, metric groups, holdouts (per
environment), layers, the experimentation settings and context kinds (:mod:`.objects`).

A deleted metric or metric group stays in the table as a **tombstone** (``"_deleted": true``):
the API answers 404 for it and lists it nowhere, but an experiment that measured it still
renders what it measured, a restart on the same file does not seed it again, and a POST of the
same key writes over it.

:class:`Documents` reads each document once per request and remembers the version it was read
at, so that the request's writes are compare-and-swaps on what it saw.
"""

from __future__ import annotations

import copy
from typing import Any

from .store import Store, StoredDocument, Write

__all__ = [
    "CONTEXT_KIND",
    "HOLDOUT",
    "LAYER",
    "METRIC",
    "METRIC_GROUP",
    "SETTINGS",
    "SETTINGS_KEY",
    "Documents",
    "is_deleted",
    "tombstone",
]

JSON = dict[str, Any]

METRIC = "metric"
METRIC_GROUP = "metric-group"
#: Per environment: the ``environment`` column holds the environment key.
HOLDOUT = "holdout"
LAYER = "layer"
#: One document per project, under the key :data:`SETTINGS_KEY`.
SETTINGS = "experimentation-settings"
SETTINGS_KEY = "settings"
CONTEXT_KIND = "context-kind"


def is_deleted(doc: JSON | None) -> bool:
    return doc is not None and bool(doc.get("_deleted"))


def tombstone(doc: JSON, now: int) -> JSON:
    """What a deleted document is stored as."""
    return {**doc, "_deleted": True, "_deletedAt": now}


class Documents:
    """A project's documents as one request reads them (each read once, with its version)."""

    def __init__(self, store: Store, project: str) -> None:
        self.store = store
        self.project = project
        self._read: dict[tuple[str, str, str], StoredDocument | None] = {}

    def stored(self, kind: str, key: str, environment: str = "") -> StoredDocument | None:
        """The row, tombstones included (cached for the request)."""
        where = (kind, environment, key)
        if where not in self._read:
            self._read[where] = self.store.document(kind, self.project, key, environment)
        return self._read[where]

    def get(self, kind: str, key: str, environment: str = "") -> JSON | None:
        """The document, tombstones included: what an experiment that names it renders."""
        found = self.stored(kind, key, environment)
        return None if found is None else found.doc

    def live(self, kind: str, key: str, environment: str = "") -> JSON | None:
        """The document unless it is missing or deleted."""
        doc = self.get(kind, key, environment)
        return None if doc is None or is_deleted(doc) else doc

    def version(self, kind: str, key: str, environment: str = "") -> int | None:
        found = self.stored(kind, key, environment)
        return None if found is None else found.version

    def all(self, kind: str, environment: str = "") -> list[JSON]:
        """Every live document of a kind, in the order they were first added."""
        rows = self.store.documents(kind, self.project, environment)
        for row in rows:
            self._read.setdefault((kind, row.environment, row.key), row)
        return [row.doc for row in rows if not is_deleted(row.doc)]

    def write(self, kind: str, key: str, doc: JSON, environment: str = "") -> Write:
        """A compare-and-swap write of ``doc`` over what this request read (an insert if there
        was nothing; a write over a tombstone replaces it)."""
        return Write(
            kind, self.project, environment, key, doc, self.version(kind, key, environment)
        )

    def copy(self, kind: str, key: str, environment: str = "") -> JSON:
        """A copy of a live document to change (the caller checked that it exists)."""
        doc = self.live(kind, key, environment)
        assert doc is not None
        return copy.deepcopy(doc)
