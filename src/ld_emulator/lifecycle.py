"""Experiment documents: validation, the iteration state machine, semantic-patch instructions,
and rendering in the spec's ``Experiment``/``IterationRep`` shapes.

Everything here is pure: functions take a :class:`Context` (fixtures + where + clock) and an
experiment document (a plain dict), and either return a new document or raise
:class:`~ld_emulator.store.ApiError`. The HTTP layer does persistence.

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

import copy
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import spec
from .profiles import LENIENT, Profile
from .store import ApiError, Catalog, invalid

__all__ = [
    "ALL_EXPANDS",
    "EXPERIMENT_FIELDS",
    "ITERATION_FIELDS",
    "KNOWN_EXPANDS",
    "MUTABLE_FIELDS_BY_STATUS",
    "WRITE_EXPANDS",
    "Context",
    "apply_instructions",
    "create_document",
    "new_draft_iteration",
    "render_experiment",
    "render_iteration",
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
_LIST_FIELDS = frozenset({"tags", "metrics", "attributes"})
_OPTIONAL_SCALARS = frozenset(
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
    if name in _LIST_FIELDS:
        return ["add", "remove", "update"]
    if name in _OPTIONAL_SCALARS:
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

_INSTRUCTION_PARAMS: dict[str, frozenset[str]] = {
    "updateName": frozenset({"value"}),
    "updateDescription": frozenset({"value"}),
    "updateExperimentFields": frozenset({"value"}),
    "startIteration": frozenset({"changeJustification"}),
    "stopIteration": frozenset({"winningTreatmentId", "winningReason"}),
    "saveAndStartNewIteration": frozenset({"changeJustification", "value"}),
    "archiveExperiment": frozenset(),
    "restoreExperiment": frozenset(),
}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def new_object_id() -> str:
    """A 24-hex-digit id, the shape LaunchDarkly uses for ``_id``s."""
    return secrets.token_hex(12)


@dataclass
class Context:
    """Where a request acts and what it can see."""

    catalog: Catalog
    project: str
    environment: str
    member_id: str
    clock: Callable[[], int] = field(default=now_ms)
    profile: Profile = LENIENT


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _schema_check(schema_name: str, body: Any, prefix: str = "") -> None:
    problem = spec.validation_problem(schema_name, body, prefix=prefix)
    if problem is not None:
        raise invalid(problem.message)


def _check_experiment_level(ctx: Context, body: JSON) -> None:
    holdout_id = body.get("holdoutId")
    if holdout_id is not None and (
        ctx.catalog.holdout_key_by_id(ctx.project, ctx.environment, holdout_id) is None
    ):
        raise invalid(
            f"field 'holdoutId': no holdout with id '{holdout_id}' in environment "
            f"'{ctx.environment}'"
        )
    if "name" in body and not str(body["name"]).strip():
        raise invalid("field 'name' must not be empty")
    if "maintainerId" in body and not str(body["maintainerId"]).strip():
        raise invalid("field 'maintainerId' must not be empty")


def _check_iteration(ctx: Context, it: JSON, exp_type: str, prefix: str) -> None:
    """Semantic rules of an ``IterationInput`` (the schema check has already passed)."""
    p = f"{prefix}." if prefix else ""
    catalog, project, env = ctx.catalog, ctx.project, ctx.environment
    if not str(it["hypothesis"]).strip():
        raise invalid(f"field '{p}hypothesis' must not be empty")

    flags: JSON = it["flags"]
    if not flags:
        raise invalid(f"field '{p}flags' must name at least one flag")
    variations_by_flag: dict[str, set[str]] = {}
    for flag_key, flag_input in flags.items():
        where = f"{p}flags.{flag_key}"
        flag = catalog.flag(project, flag_key)
        if flag is None:
            raise invalid(f"field '{where}': flag '{flag_key}' not found in project '{project}'")
        variations_by_flag[flag_key] = {str(v.get("_id")) for v in flag["variations"]}
        rule_id = flag_input["ruleId"]
        if rule_id != "fallthrough":
            rules = catalog.flag_env_config(project, flag_key, env)["rules"]
            if rule_id not in {r.get("_id") for r in rules}:
                raise invalid(
                    f"field '{where}.ruleId': '{rule_id}' is neither 'fallthrough' nor the _id "
                    f"of a targeting rule of flag '{flag_key}' in environment '{env}'"
                )
        if flag_input["flagConfigVersion"] < 1:
            raise invalid(f"field '{where}.flagConfigVersion' must be a positive integer")
        if "flag-config-version-checked" in ctx.profile:
            live = catalog.flag_env_config(project, flag_key, env)["version"]
            if flag_input["flagConfigVersion"] != live:
                raise invalid(
                    f"field '{where}.flagConfigVersion': {flag_input['flagConfigVersion']} is not "
                    f"the current version of flag '{flag_key}' in environment '{env}' ({live}); "
                    f"read the flag with ?env={env} and use environments.{env}.version"
                )
        not_in = flag_input.get("notInExperimentVariationId")
        if not_in is not None and not_in not in variations_by_flag[flag_key]:
            raise invalid(
                f"field '{where}.notInExperimentVariationId': '{not_in}' is not a variation "
                f"of flag '{flag_key}'"
            )

    treatments: list[JSON] = it["treatments"]
    if not treatments:
        raise invalid(f"field '{p}treatments' must contain at least one treatment")
    total = 0.0
    baselines = 0
    for index, treatment in enumerate(treatments):
        where = f"{p}treatments[{index}]"
        percent = treatment["allocationPercent"]
        if not PERCENT_PATTERN.match(percent) or float(percent) > 100:
            raise invalid(
                f"field '{where}.allocationPercent': '{percent}' is not a number from 0 to 100"
            )
        total += float(percent)
        baselines += 1 if treatment["baseline"] else 0
        for pindex, param in enumerate(treatment["parameters"]):
            pwhere = f"{where}.parameters[{pindex}]"
            if param["flagKey"] not in flags:
                raise invalid(
                    f"field '{pwhere}.flagKey': flag '{param['flagKey']}' is not one of the "
                    f"iteration's flags"
                )
            if param["variationId"] not in variations_by_flag[param["flagKey"]]:
                raise invalid(
                    f"field '{pwhere}.variationId': '{param['variationId']}' is not a variation "
                    f"of flag '{param['flagKey']}'"
                )
    if total > 100.0 + 1e-9:
        raise invalid(
            f"field '{p}treatments': allocationPercent values add up to {total:g} (> 100)"
        )
    if baselines != 1:
        raise invalid(
            f"field '{p}treatments': exactly one treatment must have baseline true "
            f"(found {baselines})"
        )

    metrics: list[JSON] = it["metrics"]
    if not metrics:
        raise invalid(f"field '{p}metrics' must contain at least one metric")
    seen: dict[str, bool] = {}
    for index, metric in enumerate(metrics):
        where = f"{p}metrics[{index}]"
        key = metric["key"]
        is_group = bool(metric.get("isGroup", False))
        if key in seen:
            raise invalid(f"field '{where}.key': metric '{key}' is listed twice")
        seen[key] = is_group
        if is_group and catalog.metric_group(project, key) is None:
            raise invalid(f"field '{where}.key': metric group '{key}' not found in '{project}'")
        if not is_group and catalog.metric(project, key) is None:
            hint = (
                " (it is a metric group: set isGroup true)"
                if catalog.metric_group(project, key)
                else ""
            )
            raise invalid(f"field '{where}.key': metric '{key}' not found in '{project}'{hint}")

    single = it.get("primarySingleMetricKey")
    funnel = it.get("primaryFunnelKey")
    if (single is None) == (funnel is None):
        raise invalid(
            f"fields '{p}primarySingleMetricKey' and '{p}primaryFunnelKey': exactly one of them "
            "must be set"
        )
    if single is not None and seen.get(single) is not False:
        raise invalid(
            f"field '{p}primarySingleMetricKey': '{single}' must be one of the iteration's "
            "metrics with isGroup false"
        )
    if funnel is not None:
        group = catalog.metric_group(project, funnel)
        if seen.get(funnel) is not True or group is None or group.get("kind") != "funnel":
            raise invalid(
                f"field '{p}primaryFunnelKey': '{funnel}' must be a funnel metric group listed "
                "in the iteration's metrics with isGroup true"
            )

    realloc = it.get("reallocationFrequencyMillis")
    if exp_type == "mab":
        if realloc is None:
            raise invalid(f"field '{p}reallocationFrequencyMillis' is required when type is 'mab'")
        if realloc <= 0:
            raise invalid(f"field '{p}reallocationFrequencyMillis' must be positive")
    elif realloc is not None:
        raise invalid(
            f"field '{p}reallocationFrequencyMillis' is only allowed when type is 'mab' "
            f"(type is '{exp_type}')"
        )

    unit = it.get("randomizationUnit")
    if unit is not None:
        units = [u["randomizationUnit"] for u in catalog.randomization_units(project)]
        if unit not in units:
            raise invalid(
                f"field '{p}randomizationUnit': '{unit}' is not a randomization unit of project "
                f"'{project}' (one of: {', '.join(units)})"
            )


def check_experiment_post(ctx: Context, body: Any) -> None:
    """Raise a 400 ``ApiError`` unless ``body`` is a valid ``ExperimentPost``."""
    _schema_check("ExperimentPost", body)
    if not KEY_PATTERN.match(body["key"]):
        raise invalid(
            f"field 'key': '{body['key']}' must start with a letter or digit and contain only "
            "letters, digits, '.', '_' and '-'"
        )
    _check_experiment_level(ctx, body)
    _check_iteration(ctx, body["iteration"], body.get("type", "experiment"), "iteration")


def check_iteration_input(ctx: Context, body: Any, exp_type: str) -> None:
    """Raise a 400 ``ApiError`` unless ``body`` is a valid ``IterationInput``."""
    _schema_check("IterationInput", body)
    _check_iteration(ctx, body, exp_type, "")


# --------------------------------------------------------------------------------------------
# Documents and iterations
# --------------------------------------------------------------------------------------------


def _with_treatment_ids(treatments: list[JSON]) -> list[JSON]:
    out = []
    for treatment in treatments:
        item = {k: copy.deepcopy(v) for k, v in treatment.items() if k != "_id"}
        item["_id"] = str(uuid.uuid4())
        out.append(item)
    return out


def _iteration_from_input(ctx: Context, data: JSON) -> JSON:
    it: JSON = {k: copy.deepcopy(data[k]) for k in ITERATION_FIELDS if k in data}
    it["treatments"] = _with_treatment_ids(data["treatments"])
    it.setdefault("canReshuffleTraffic", True)
    it.setdefault("randomizationUnit", ctx.catalog.default_randomization_unit(ctx.project))
    it["_id"] = new_object_id()
    it["status"] = "not_started"
    it["createdAt"] = ctx.clock()
    it["version"] = 1
    return it


def _iteration_input(it: JSON) -> JSON:
    """The ``IterationInput`` an iteration corresponds to (used to re-validate edits)."""
    data: JSON = {k: copy.deepcopy(it[k]) for k in ITERATION_FIELDS if k in it}
    data["treatments"] = [
        {k: v for k, v in t.items() if k != "_id"} for t in data.get("treatments", [])
    ]
    return data


def _as_post(doc: JSON) -> JSON:
    body: JSON = {k: copy.deepcopy(doc[k]) for k in EXPERIMENT_FIELDS if k in doc}
    body["key"] = doc["key"]
    body["type"] = doc["type"]
    body["iteration"] = _iteration_input(doc["current"])
    return body


def create_document(ctx: Context, body: Any) -> JSON:
    """Validate an ``ExperimentPost`` and build the stored document."""
    check_experiment_post(ctx, body)
    doc: JSON = {
        "_id": new_object_id(),
        "key": body["key"],
        "projectKey": ctx.project,
        "environmentKey": ctx.environment,
        "name": body["name"],
        "maintainerId": body.get("maintainerId", ctx.member_id),
        "creationDate": ctx.clock(),
        "methodology": body.get("methodology", "bayesian"),
        "dataSource": body.get("dataSource", "launchdarkly"),
        "type": body.get("type", "experiment"),
        "tags": list(body.get("tags", [])),
        "current": _iteration_from_input(ctx, body["iteration"]),
        "draft": None,
        "previous": [],
    }
    for optional in ("description", "holdoutId", "analysisConfig"):
        if optional in body:
            doc[optional] = copy.deepcopy(body[optional])
    return doc


def new_draft_iteration(ctx: Context, doc: JSON, body: Any) -> JSON:
    """``POST …/iterations``: validate, then install as draft (or replace a not-started current).

    Returns the new document; the new iteration is ``doc["draft"]`` or ``doc["current"]``.
    """
    if "archivedDate" in doc:
        raise invalid(f"experiment '{doc['key']}' is archived; restore it before adding iterations")
    check_iteration_input(ctx, body, doc["type"])
    new = copy.deepcopy(doc)
    iteration = _iteration_from_input(ctx, body)
    if new["current"]["status"] == "not_started":
        new["current"] = iteration
    else:
        new["draft"] = iteration
    return new


def _clone(ctx: Context, it: JSON) -> JSON:
    clone = _iteration_from_input(ctx, _iteration_input(it))
    return clone


def _stop(ctx: Context, it: JSON) -> None:
    it["status"] = "stopped"
    it["endedAt"] = ctx.clock()
    it["version"] += 1


def _start(ctx: Context, doc: JSON, it: JSON, justification: str | None) -> None:
    problems: list[str] = []
    if "archivedDate" in doc:
        problems.append("the experiment is archived (restore it first)")
    for flag_key in it["flags"]:
        flag = ctx.catalog.flag(ctx.project, flag_key)
        cfg = ctx.catalog.flag_env_config(ctx.project, flag_key, ctx.environment)
        if flag is None:
            problems.append(f"flag '{flag_key}' no longer exists")
            continue
        if flag.get("archived") or cfg["archived"]:
            problems.append(f"flag '{flag_key}' is archived")
        if not cfg["on"]:
            problems.append(f"flag '{flag_key}' is off in environment '{ctx.environment}'")
    if not it.get("randomizationUnit"):
        problems.append("randomizationUnit is not set")
    if not any(float(t["allocationPercent"]) > 0 for t in it["treatments"]):
        problems.append("no treatment has a non-zero allocationPercent")
    if problems:
        raise invalid("Cannot start the iteration: " + "; ".join(problems))
    it["status"] = "running"
    it["startedAt"] = ctx.clock()
    it["version"] += 1
    if "treatment-ids-renewed-on-start" in ctx.profile:
        it["treatments"] = _with_treatment_ids(it["treatments"])
    if justification:
        it["changeJustification"] = justification


def _retire_current(doc: JSON, replacement: JSON) -> None:
    doc["previous"].append(doc["current"])
    doc["current"] = replacement


# --------------------------------------------------------------------------------------------
# Semantic patch
# --------------------------------------------------------------------------------------------


def _optional_string(instr: JSON, name: str, where: str) -> str | None:
    value = instr.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid(f"{where}.{name} must be a string")
    return value


def _as_items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _metric_key(item: Any) -> Any:
    return item.get("key") if isinstance(item, dict) else item


def _apply_field(target: JSON, name: str, operation: str, value: Any, has_value: bool) -> None:
    if operation in ("add", "update") and not has_value:
        raise invalid(f"field '{name}': operation '{operation}' needs a 'value'")
    if operation == "update":
        target[name] = (
            _with_treatment_ids(value)
            if name == "treatments"
            and isinstance(value, list)
            and all(isinstance(t, dict) for t in value)
            else copy.deepcopy(value)
        )
        return
    if operation == "add":
        current = list(target.get(name, []))
        for item in _as_items(value):
            if name == "metrics":
                if _metric_key(item) not in {_metric_key(m) for m in current}:
                    current.append(copy.deepcopy(item))
            elif item not in current:
                current.append(item)
        target[name] = current
        return
    # remove
    if name in _LIST_FIELDS:
        if not has_value:
            raise invalid(f"field '{name}': operation 'remove' needs a 'value' (items to remove)")
        if name == "metrics":
            gone = {_metric_key(i) for i in _as_items(value)}
            target[name] = [m for m in target.get(name, []) if m.get("key") not in gone]
        else:
            gone_items = _as_items(value)
            target[name] = [x for x in target.get(name, []) if x not in gone_items]
        return
    target.pop(name, None)


def _update_fields(
    ctx: Context,
    doc: JSON,
    value: Any,
    where: str,
    table: dict[str, list[str]] | None,
) -> None:
    """Apply an ``updateExperimentFields``-style map. ``table`` None = use the live status."""
    if not isinstance(value, dict) or not value:
        raise invalid(f"{where}.value must be a non-empty object of field updates")
    status = doc["current"]["status"]
    allowed = table if table is not None else MUTABLE_FIELDS_BY_STATUS[status]
    ops: list[tuple[str, str, Any, bool]] = []
    for name, change in value.items():
        if name not in EXPERIMENT_FIELDS and name not in ITERATION_FIELDS:
            raise invalid(
                f"{where}.value: unknown field '{name}' (updatable fields: "
                f"{', '.join(EXPERIMENT_FIELDS + ITERATION_FIELDS)})"
            )
        if not isinstance(change, dict) or "operation" not in change:
            raise invalid(f"{where}.value.{name} must be an object with an 'operation'")
        extra = set(change) - {"operation", "value"}
        if extra:
            raise invalid(f"{where}.value.{name}: unknown key '{sorted(extra)[0]}'")
        operation = change["operation"]
        if operation not in ("add", "update", "remove"):
            raise invalid(
                f"{where}.value.{name}.operation must be 'add', 'update' or 'remove' "
                f"(got {operation!r})"
            )
        permitted = allowed.get(name, [])
        if operation not in permitted:
            state = status if table is None else "not_started"
            hint = ""
            if state == "running" and name in ITERATION_FIELDS:
                hint = "; to change it, use saveAndStartNewIteration (starts a new iteration)"
            raise invalid(
                f"field '{name}' cannot be changed with operation '{operation}' while the "
                f"current iteration is {state}; allowed operations: "
                f"{', '.join(permitted) if permitted else 'none'}{hint}"
            )
        ops.append((name, operation, change.get("value"), "value" in change))

    touches_iteration = any(name in ITERATION_FIELDS for name, *_ in ops)
    if touches_iteration and status == "stopped" and table is None:
        if "archivedDate" in doc:
            raise invalid(
                f"experiment '{doc['key']}' is archived: changing iteration fields would create "
                "a new iteration; restore it first"
            )
        doc["draft"] = None
        _retire_current(doc, _clone(ctx, doc["current"]))

    iteration_changed = False
    for name, operation, item, has_value in ops:
        target = doc["current"] if name in ITERATION_FIELDS else doc
        before = copy.deepcopy(target.get(name))
        _apply_field(target, name, operation, item, has_value)
        if name in ITERATION_FIELDS and target.get(name) != before:
            iteration_changed = True
    if iteration_changed:
        doc["current"]["version"] += 1


def _validate_whole(ctx: Context, doc: JSON) -> None:
    body = _as_post(doc)
    _schema_check("ExperimentPost", body)
    _check_experiment_level(ctx, body)
    _check_iteration(ctx, body["iteration"], doc["type"], "")


def _apply_one(ctx: Context, doc: JSON, instr: JSON, where: str) -> None:
    kind = instr["kind"]
    if kind in ("updateName", "updateDescription"):
        value = instr.get("value")
        if not isinstance(value, str):
            raise invalid(f"{where}.value must be a string")
        if kind == "updateName":
            if not value.strip():
                raise invalid(f"{where}.value: the name must not be empty")
            doc["name"] = value
        else:
            doc["description"] = value
    elif kind == "updateExperimentFields":
        _update_fields(ctx, doc, instr.get("value"), where, None)
        _validate_whole(ctx, doc)
    elif kind == "startIteration":
        justification = _optional_string(instr, "changeJustification", where)
        current = doc["current"]
        if "archivedDate" in doc:
            raise invalid(f"experiment '{doc['key']}' is archived; restore it before starting")
        if current["status"] == "not_started":
            _start(ctx, doc, current, justification)
        elif current["status"] == "stopped":
            if doc["draft"] is None and "restart-needs-new-iteration" in ctx.profile:
                raise invalid(
                    "You must create a new iteration before calling this instruction: the "
                    "current iteration is stopped. Create one with updateExperimentFields on an "
                    "iteration field (for example hypothesis), in the same PATCH before "
                    "startIteration, or with POST .../iterations"
                )
            nxt = doc["draft"] if doc["draft"] is not None else _clone(ctx, current)
            _start(ctx, doc, nxt, justification)
            doc["draft"] = None
            _retire_current(doc, nxt)
        else:  # running
            draft = doc["draft"]
            if draft is None:
                raise invalid(
                    "the current iteration is already running and there is no draft iteration "
                    "to start; use saveAndStartNewIteration to start a changed copy"
                )
            if not justification:
                raise invalid(
                    f"{where}.changeJustification is required to start a new iteration while "
                    "one is running"
                )
            _start(ctx, doc, draft, justification)
            _stop(ctx, current)
            doc["draft"] = None
            _retire_current(doc, draft)
    elif kind == "stopIteration":
        current = doc["current"]
        winner = _optional_string(instr, "winningTreatmentId", where)
        reason = _optional_string(instr, "winningReason", where)
        if current["status"] != "running":
            raise invalid(f"cannot stop: the current iteration is {current['status']}, not running")
        if not winner:
            raise invalid(f"{where}.winningTreatmentId is required to stop an iteration")
        ids = [t["_id"] for t in current["treatments"]]
        if winner not in ids:
            raise invalid(
                f"{where}.winningTreatmentId: '{winner}' is not a treatment _id of the current "
                f"iteration (one of: {', '.join(ids)})"
            )
        _stop(ctx, current)
        current["winningTreatmentId"] = winner
        if reason is not None:
            current["winningReason"] = reason
    elif kind == "saveAndStartNewIteration":
        justification = _optional_string(instr, "changeJustification", where)
        current = doc["current"]
        if "archivedDate" in doc:
            raise invalid(f"experiment '{doc['key']}' is archived; restore it first")
        if current["status"] != "running":
            raise invalid(
                "saveAndStartNewIteration needs a running iteration; the current iteration is "
                f"{current['status']} (use updateExperimentFields and startIteration instead)"
            )
        _stop(ctx, current)
        _retire_current(doc, _clone(ctx, current))
        if "value" in instr:
            _update_fields(ctx, doc, instr["value"], where, MUTABLE_FIELDS_BY_STATUS["not_started"])
            _validate_whole(ctx, doc)
        _start(ctx, doc, doc["current"], justification)
    elif kind == "archiveExperiment":
        if "archivedDate" not in doc:
            if doc["current"]["status"] == "running":
                if "archive-running-refused" in ctx.profile:
                    raise invalid(
                        "cannot archive a running experiment: stop the current iteration first "
                        "(stopIteration, for example earlier in the same PATCH)"
                    )
                _stop(ctx, doc["current"])
            doc["archivedDate"] = ctx.clock()
    elif kind == "restoreExperiment":
        doc.pop("archivedDate", None)
    else:  # pragma: no cover - filtered by apply_instructions
        raise invalid(f"unknown instruction kind '{kind}'")


def apply_instructions(ctx: Context, doc: JSON, body: Any) -> JSON:
    """Validate an ``ExperimentPatchInput`` and apply it atomically to a copy of ``doc``."""
    _schema_check("ExperimentPatchInput", body)
    instructions = body["instructions"]
    if not instructions:
        raise invalid("field 'instructions' must contain at least one instruction")
    for index, instr in enumerate(instructions):
        where = f"instructions[{index}]"
        kind = instr.get("kind")
        if not isinstance(kind, str):
            raise invalid(f"field '{where}.kind' is required and must be a string")
        if kind not in _INSTRUCTION_PARAMS:
            raise invalid(
                f"{where}: unknown instruction kind '{kind}' (supported: "
                f"{', '.join(_INSTRUCTION_PARAMS)})"
            )
        extra = set(instr) - {"kind"} - _INSTRUCTION_PARAMS[kind]
        if extra:
            raise invalid(f"{where}: unknown parameter '{sorted(extra)[0]}' for kind '{kind}'")
    new = copy.deepcopy(doc)
    for index, instr in enumerate(instructions):
        try:
            _apply_one(ctx, new, instr, f"instructions[{index}]")
        except ApiError as exc:
            if exc.status == 400 and not exc.message.startswith("instructions["):
                exc.message = f"instructions[{index}] ({instr['kind']}): {exc.message}"
            raise
    return new


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _link(href: str) -> JSON:
    return {"href": href, "type": "application/json"}


def experiment_path(project: str, environment: str, key: str) -> str:
    return f"/api/v2/projects/{project}/environments/{environment}/experiments/{key}"


def render_iteration(ctx: Context, doc: JSON, it: JSON, with_treatments: bool) -> JSON:
    catalog, project, env = ctx.catalog, doc["projectKey"], doc["environmentKey"]
    rep: JSON = {
        "_id": it["_id"],
        "hypothesis": it["hypothesis"],
        "status": it["status"],
        "createdAt": it["createdAt"],
    }
    for name in ("startedAt", "endedAt", "winningTreatmentId", "winningReason"):
        if name in it:
            rep[name] = it[name]
    rep["canReshuffleTraffic"] = bool(it.get("canReshuffleTraffic", True))
    baseline = next((t for t in it["treatments"] if t.get("baseline")), None)
    flags: JSON = {}
    for flag_key, flag_input in it["flags"].items():
        flag_rep: JSON = {
            "targetingRule": flag_input["ruleId"],
            "flagConfigVersion": flag_input["flagConfigVersion"],
            "_links": {"self": _link(f"/api/v2/flags/{project}/{flag_key}")},
        }
        if flag_input["ruleId"] != "fallthrough" and catalog.flag(project, flag_key) is not None:
            for rule in catalog.flag_env_config(project, flag_key, env)["rules"]:
                if rule.get("_id") == flag_input["ruleId"]:
                    if "description" in rule:
                        flag_rep["targetingRuleDescription"] = rule["description"]
                    flag_rep["targetingRuleClauses"] = list(rule.get("clauses", []))
        not_in = flag_input.get("notInExperimentVariationId")
        if not_in is None and baseline is not None:
            not_in = next(
                (p["variationId"] for p in baseline["parameters"] if p["flagKey"] == flag_key),
                None,
            )
        if not_in is not None:
            flag_rep["notInExperimentVariationId"] = not_in
        flags[flag_key] = flag_rep
    rep["flags"] = flags
    if "reallocationFrequencyMillis" in it:
        rep["reallocationFrequencyMillis"] = it["reallocationFrequencyMillis"]
    rep["version"] = it["version"]
    if it.get("primarySingleMetricKey") is not None:
        rep["primarySingleMetric"] = catalog.metric_v2_rep(project, it["primarySingleMetricKey"])
    if it.get("primaryFunnelKey") is not None:
        rep["primaryFunnel"] = catalog.group_with_metrics_rep(project, it["primaryFunnelKey"])
    rep["randomizationUnit"] = it.get("randomizationUnit")
    if "attributes" in it:
        rep["attributes"] = list(it["attributes"])
    if with_treatments:
        rep["treatments"] = [
            {
                "_id": t["_id"],
                "name": t["name"],
                "allocationPercent": t["allocationPercent"],
                "baseline": bool(t["baseline"]),
                "parameters": [
                    {"flagKey": p["flagKey"], "variationId": p["variationId"]}
                    for p in t["parameters"]
                ],
            }
            for t in it["treatments"]
        ]
    rep["metrics"] = [
        catalog.dependent_metric_rep(project, m["key"], bool(m.get("isGroup", False)))
        for m in it["metrics"]
    ]
    if it.get("covariateId"):
        rep["covariateInfo"] = {
            "id": it["covariateId"],
            "fileName": f"{it['covariateId']}.csv",
            "createdAt": it["createdAt"],
        }
    return rep


def render_experiment(ctx: Context, doc: JSON, expand: frozenset[str] | set[str]) -> JSON:
    """The ``Experiment`` response for ``doc`` with the given ``expand`` values."""
    project, env, key = doc["projectKey"], doc["environmentKey"], doc["key"]
    treatments = "treatments" in expand
    rep: JSON = {"_id": doc["_id"], "key": key, "name": doc["name"]}
    if "description" in doc:
        rep["description"] = doc["description"]
    rep.update(
        {
            "_maintainerId": doc["maintainerId"],
            "_creationDate": doc["creationDate"],
            "environmentKey": env,
            "_links": {
                "self": _link(experiment_path(project, env, key)),
                "parent": _link(f"/api/v2/projects/{project}/environments/{env}"),
            },
            "methodology": doc["methodology"],
            "dataSource": doc["dataSource"],
            "type": doc["type"],
            "tags": list(doc["tags"]),
        }
    )
    if "holdoutId" in doc:
        rep["holdoutId"] = doc["holdoutId"]
    if "archivedDate" in doc:
        rep["archivedDate"] = doc["archivedDate"]
    rep["currentIteration"] = render_iteration(ctx, doc, doc["current"], treatments)
    if "draftIteration" in expand and doc.get("draft") is not None:
        rep["draftIteration"] = render_iteration(ctx, doc, doc["draft"], treatments)
    if "previousIterations" in expand and doc["previous"]:
        rep["previousIterations"] = [
            render_iteration(ctx, doc, it, treatments) for it in doc["previous"]
        ]
    if "analysisConfig" in expand and doc.get("analysisConfig"):
        rep["analysisConfig"] = copy.deepcopy(doc["analysisConfig"])
    if "mutableFieldsByStatus" in expand:
        rep["mutableFieldsByStatus"] = copy.deepcopy(MUTABLE_FIELDS_BY_STATUS)
    return rep
