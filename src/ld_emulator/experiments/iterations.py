"""Experiment documents through their life: creation, the iteration state machine, and the
semantic-patch instructions of ``PATCH …/experiments/{key}``.

Iterations go ``not_started`` -> ``running`` -> ``stopped``; a stopped experiment runs again
through a new iteration. :func:`apply_instructions` applies a PATCH atomically to a copy of
the document. What the profiles change here: ``restart-needs-new-iteration``,
``archive-running-refused``, ``treatment-ids-renewed-on-start`` (see :mod:`..profiles`).
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from ..errors import ApiError, invalid
from ..objects.settings import default_unit
from ..semantic_patch import checked_instructions, located
from ..serving import Effect
from ..targeting import env_config
from . import validation
from .model import (
    EXPERIMENT_FIELDS,
    ITERATION_FIELDS,
    LIST_FIELDS,
    MUTABLE_FIELDS_BY_STATUS,
    Context,
    new_object_id,
)

__all__ = ["INSTRUCTION_PARAMS", "apply_instructions", "create_document", "new_draft_iteration"]

JSON = dict[str, Any]

#: The parameters each instruction kind takes (any other is refused).
INSTRUCTION_PARAMS: dict[str, frozenset[str]] = {
    "updateName": frozenset({"value"}),
    "updateDescription": frozenset({"value"}),
    "updateExperimentFields": frozenset({"value"}),
    "startIteration": frozenset({"changeJustification"}),
    "stopIteration": frozenset({"winningTreatmentId", "winningReason"}),
    "saveAndStartNewIteration": frozenset({"changeJustification", "value"}),
    "archiveExperiment": frozenset(),
    "restoreExperiment": frozenset(),
}


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
    it.setdefault("randomizationUnit", default_unit(ctx.docs))
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


def _maintainer(ctx: Context, body: JSON) -> str:
    """The given ``maintainerId``, or the token's member. A service token has no member, so
    it must give one (verified against LaunchDarkly: a create without it is refused)."""
    given = body.get("maintainerId")
    if given is not None:
        return str(given)
    if ctx.member_id is None:
        raise invalid(
            "field 'maintainerId' is required: the access token is a service token, which "
            "has no member to maintain the experiment (give the _id of an account member, "
            "see GET /api/v2/members)"
        )
    return ctx.member_id


def create_document(ctx: Context, body: Any) -> JSON:
    """Validate an ``ExperimentPost`` and build the stored document."""
    validation.check_experiment_post(ctx, body)
    doc: JSON = {
        "_id": new_object_id(),
        "key": body["key"],
        "projectKey": ctx.project,
        "environmentKey": ctx.environment,
        "name": body["name"],
        "maintainerId": _maintainer(ctx, body),
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
    validation.check_iteration_input(ctx, body, doc["type"])
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


def _stop(ctx: Context, it: JSON, winner: str | None = None) -> None:
    it["status"] = "stopped"
    it["endedAt"] = ctx.clock()
    it["version"] += 1
    ctx.effects.append(Effect("stop", copy.deepcopy(it), winner))


def _start(ctx: Context, doc: JSON, it: JSON, justification: str | None) -> None:
    problems: list[str] = []
    if "archivedDate" in doc:
        problems.append("the experiment is archived (restore it first)")
    for flag_key in it["flags"]:
        flag = ctx.flags.get(flag_key)
        if flag is None:
            problems.append(f"flag '{flag_key}' no longer exists")
            continue
        cfg = env_config(flag, ctx.environment)
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
    ctx.effects.append(Effect("start", copy.deepcopy(it)))


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
    if name in LIST_FIELDS:
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


def _validate_whole(ctx: Context, doc: JSON, given: Any) -> None:
    """Re-validate the edited document like a create; references given in this request
    (``given``: the field updates) are also checked against the live objects."""
    names = frozenset(given) if isinstance(given, dict) else frozenset()
    body = _as_post(doc)
    validation.schema_check("ExperimentPost", body)
    validation.check_experiment_level(ctx, body, given=names)
    validation.check_iteration(
        ctx,
        body["iteration"],
        doc["type"],
        "",
        check_versions="flags" in names,
        check_metrics=bool(names & {"metrics", "primarySingleMetricKey", "primaryFunnelKey"}),
    )


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
        _validate_whole(ctx, doc, instr.get("value"))
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
        current["winningTreatmentId"] = winner
        if reason is not None:
            current["winningReason"] = reason
        _stop(ctx, current, winner)
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
            _validate_whole(ctx, doc, instr["value"])
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
    instructions = checked_instructions(body, "ExperimentPatchInput", INSTRUCTION_PARAMS)
    new = copy.deepcopy(doc)
    for index, instr in enumerate(instructions):
        try:
            _apply_one(ctx, new, instr, f"instructions[{index}]")
        except ApiError as exc:
            raise located(exc, index, instr["kind"]) from None
    return new
