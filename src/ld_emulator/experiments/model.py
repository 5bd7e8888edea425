"""The experiment document, its field tables, and the context a request acts in.

Internal document shape (never sent over the wire as-is)::

    {"_id", "key", "projectKey", "environmentKey", "name", "description"?, "maintainerId",
     "creationDate", "methodology", "dataSource", "type", "tags", "holdoutId"?,
     "analysisConfig"?, "archivedDate"?,
     "current": <iteration>, "draft": <iteration> | None, "previous": [<iteration>, ...]}

An iteration holds the ``IterationInput`` fields (treatments carry their ``_id``) plus
``_id``, ``status``, ``createdAt``, ``startedAt``, ``endedAt``, ``winningTreatmentId``,
``winningReason``, ``changeJustification`` and ``version`` (bumped on every change).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..catalog import Catalog
from ..profiles import LENIENT, Profile
from ..serving import Effect

__all__ = [
    "ALL_EXPANDS",
    "EXPERIMENT_FIELDS",
    "ITERATION_FIELDS",
    "KNOWN_EXPANDS",
    "MUTABLE_FIELDS_BY_STATUS",
    "WRITE_EXPANDS",
    "Context",
    "FlagSource",
    "new_object_id",
    "now_ms",
]

JSON = dict[str, Any]

KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
PERCENT_PATTERN = re.compile(r"^\d+(\.\d+)?$")

EXPERIMENT_FIELDS = (
    "name",
    "description",
    "tags",
    "maintainerId",
    "methodology",
    "analysisConfig",
    "dataSource",
    "holdoutId",
)
ITERATION_FIELDS = (
    "hypothesis",
    "treatments",
    "metrics",
    "primarySingleMetricKey",
    "primaryFunnelKey",
    "flags",
    "randomizationUnit",
    "attributes",
    "canReshuffleTraffic",
    "reallocationFrequencyMillis",
    "covariateId",
)
LIST_FIELDS = frozenset({"tags", "metrics", "attributes"})
OPTIONAL_SCALARS = frozenset(
    {
        "description",
        "analysisConfig",
        "holdoutId",
        "primarySingleMetricKey",
        "primaryFunnelKey",
        "reallocationFrequencyMillis",
        "covariateId",
    }
)


def _not_started_actions(name: str) -> list[str]:
    if name in LIST_FIELDS:
        return ["add", "remove", "update"]
    if name in OPTIONAL_SCALARS:
        return ["remove", "update"]
    return ["update"]


_RUNNING: dict[str, list[str]] = {
    "name": ["update"],
    "description": ["remove", "update"],
    "tags": ["add", "remove", "update"],
    "maintainerId": ["update"],
    "metrics": ["add"],
    "attributes": ["add"],
}

#: Which field may change how, per status of the current iteration. This is what
#: ``expand=mutableFieldsByStatus`` renders, and the only table ``updateExperimentFields``
#: consults.
MUTABLE_FIELDS_BY_STATUS: dict[str, dict[str, list[str]]] = {
    "not_started": {n: _not_started_actions(n) for n in EXPERIMENT_FIELDS + ITERATION_FIELDS},
    "running": _RUNNING,
    "stopped": {
        **{n: a for n, a in _RUNNING.items() if n in EXPERIMENT_FIELDS},
        **{n: ["update"] for n in ITERATION_FIELDS},
    },
}

KNOWN_EXPANDS = frozenset(
    {
        "previousIterations",
        "draftIteration",
        "secondaryMetrics",
        "treatments",
        "analysisConfig",
        "mutableFieldsByStatus",
    }
)
#: What POST/PATCH responses render: every output of a write, without a re-read.
WRITE_EXPANDS = frozenset({"treatments", "draftIteration", "previousIterations", "analysisConfig"})
ALL_EXPANDS = WRITE_EXPANDS | {"mutableFieldsByStatus"}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def new_object_id() -> str:
    """A 24-hex-digit id, the shape LaunchDarkly uses for ``_id``s."""
    return secrets.token_hex(12)


class FlagSource(Protocol):
    """Where an experiment finds the flags it names: the stored flag documents, each with the
    version it was read at (``versions``, for the compare-and-swap of a write)."""

    versions: dict[str, int]

    def get(self, key: str) -> JSON | None: ...


class NoFlags:
    """A :class:`FlagSource` without flags."""

    versions: dict[str, int] = {}

    def get(self, key: str) -> JSON | None:
        return None


@dataclass
class Context:
    """Where a request acts and what it can see."""

    catalog: Catalog
    project: str
    environment: str
    #: The member behind the request's token; None for a service token.
    member_id: str | None
    clock: Callable[[], int] = field(default=now_ms)
    profile: Profile = LENIENT
    flags: FlagSource = field(default_factory=NoFlags)
    #: What the request did to iterations that run on flags, in order (see :mod:`..serving`).
    effects: list[Effect] = field(default_factory=list)
