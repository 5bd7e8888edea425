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
from typing import Any

from ..context import Context, FlagSource, new_object_id, now_ms

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
