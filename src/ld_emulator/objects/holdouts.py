"""Holdouts: one document per environment and key.

Document::

    {"_id", "key", "name", "description"?, "status": "running" | "ended", "holdoutAmount",
     "randomizationUnit", "metrics": [{"key", "isGroup"}], "primaryMetricKey"?,
     "prerequisiteFlagKey"?, "attributes"?, "maintainerId", "createdAt", "updatedAt",
     "endedAt"?, "baseExperimentId"}

The experiments in a holdout are not stored here: they are the experiments whose ``holdoutId``
is the holdout's ``_id`` (``removeExperiment`` clears it on the experiment).

What the spec says and what it leaves open (docs/emulator.md): the POST body's keys are lower
case (``randomizationunit``, ``holdoutamount``, ``primarymetrickey``, ``prerequisiteflagkey``)
and nothing in it is required; the emulator requires a ``name`` and a ``holdoutamount``
(``HoldoutRep`` requires ``holdoutAmount`` and its base experiment a name), takes the key from
the name unless ``key-required``, and defaults the unit to the project's default unit. A new
holdout is ``running`` (the PATCH has no instruction that starts one; ``endHoldout`` ends it).
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from typing import Any

from .. import spec
from ..catalog import DEFAULT_CREATED, link
from ..context import Context
from ..documents import HOLDOUT, METRIC, METRIC_GROUP
from ..errors import invalid, shorten
from ..semantic_patch import string_param
from .keys import check_key, derived_key
from .metrics import dependent_metric_rep, group_with_metrics_rep, metric_v2_rep
from .settings import default_unit, unit_keys

__all__ = [
    "INSTRUCTION_PARAMS",
    "holdout_by_id",
    "holdout_path",
    "new_holdout",
    "render_base_experiment",
    "seed_holdout",
]

JSON = dict[str, Any]

#: The instruction kinds of ``PATCH …/holdouts/{key}`` and their parameters (the spec's).
INSTRUCTION_PARAMS: dict[str, frozenset[str]] = {
    "updateName": frozenset({"value"}),
    "updateDescription": frozenset({"value"}),
    "removeExperiment": frozenset({"value"}),
    "endHoldout": frozenset(),
}


def holdout_path(project: str, environment: str, key: str) -> str:
    return f"/api/v2/projects/{project}/environments/{environment}/holdouts/{key}"


def _base_id(holdout_id: str) -> str:
    """The base experiment's ``_id``: 24 hex digits, the same for the same holdout."""
    return hashlib.sha256(holdout_id.encode()).hexdigest()[:24]


def seed_holdout(key: str, fixture: JSON, unit: str, member_id: str) -> JSON:
    created = int(fixture.get("createdAt", DEFAULT_CREATED))
    doc: JSON = {
        "_id": fixture["_id"],
        "key": key,
        "name": fixture.get("name", key),
        "status": fixture.get("status", "running"),
        "holdoutAmount": str(fixture.get("holdoutAmount", "5")),
        "randomizationUnit": fixture.get("randomizationUnit", unit),
        "metrics": copy.deepcopy(fixture.get("metrics", [])),
        "maintainerId": fixture.get("maintainerId", member_id),
        "createdAt": created,
        "updatedAt": created,
        "baseExperimentId": _base_id(str(fixture["_id"])),
    }
    for name in ("description", "primaryMetricKey", "prerequisiteFlagKey", "attributes"):
        if name in fixture:
            doc[name] = copy.deepcopy(fixture[name])
    return doc


def holdout_by_id(ctx: Context, holdout_id: str) -> JSON | None:
    for holdout in ctx.docs.all(HOLDOUT, ctx.environment):
        if holdout["_id"] == holdout_id:
            return holdout
    return None


def _percent(value: str) -> bool:
    try:
        return 0 <= float(value) <= 100 and value.strip() == value and value != ""
    except ValueError:
        return False


def new_holdout(ctx: Context, body: Any) -> JSON:
    """Validate a ``HoldoutPostRequest`` and build the holdout document it creates."""
    problem = spec.validation_problem("HoldoutPostRequest", body)
    if problem is not None:
        raise invalid(problem.message)
    name = body.get("name")
    if name is None or not name.strip():
        raise invalid("field 'name' is required: a holdout's base experiment needs a name")
    key = body.get("key")
    if key is None:
        if "key-required" in ctx.profile:
            raise invalid("field 'key' is required: give the holdout a key")
        key = derived_key(name)
    check_key(key)
    amount = body.get("holdoutamount")
    if amount is None:
        raise invalid("field 'holdoutamount' is required: the percentage of traffic held out")
    if not _percent(amount) or float(amount) == 0:
        raise invalid(
            f"field 'holdoutamount': '{shorten(amount, 40)}' is not a percentage above 0 and up "
            'to 100 (a numeric string, for example "5")'
        )
    units = unit_keys(ctx.docs)
    unit = body.get("randomizationunit", default_unit(ctx.docs))
    if unit not in units:
        raise invalid(
            f"field 'randomizationunit': '{shorten(unit, 80)}' is not a randomization unit of "
            f"project '{ctx.project}' (one of: {', '.join(units)})"
        )
    metrics, primary = _metrics(ctx, body)
    now = ctx.clock()
    maintainer = body.get("maintainerId", ctx.member_id)
    if maintainer is None:
        raise invalid(
            "field 'maintainerId' is required: the access token is a service token, which has "
            "no member to maintain the holdout (give the _id of an account member)"
        )
    if not maintainer.strip():
        raise invalid("field 'maintainerId' must not be empty")
    if "maintainer-must-be-member" in ctx.profile and maintainer not in ctx.catalog.members:
        raise invalid(
            f"field 'maintainerId': '{shorten(maintainer, 80)}' is not the _id of an account "
            "member (see GET /api/v2/members)"
        )
    flag_key = body.get("prerequisiteflagkey")
    if flag_key is not None and ctx.flags.get(flag_key) is None:
        raise invalid(
            f"field 'prerequisiteflagkey': flag '{shorten(flag_key, 80)}' not found in project "
            f"'{ctx.project}'"
        )
    holdout_id = str(uuid.uuid4())
    doc: JSON = {
        "_id": holdout_id,
        "key": key,
        "name": name,
        "status": "running",
        "holdoutAmount": amount,
        "randomizationUnit": unit,
        "metrics": metrics,
        "maintainerId": maintainer,
        "createdAt": now,
        "updatedAt": now,
        "baseExperimentId": _base_id(holdout_id),
    }
    if primary is not None:
        doc["primaryMetricKey"] = primary
    if flag_key is not None:
        doc["prerequisiteFlagKey"] = flag_key
    for given, stored in (("description", "description"), ("attributes", "attributes")):
        if given in body:
            doc[stored] = copy.deepcopy(body[given])
    return doc


def _metrics(ctx: Context, body: JSON) -> tuple[list[JSON], str | None]:
    """The holdout's metrics (each a stored metric, or group with ``isGroup``; none twice)
    and its primary metric: ``primarymetrickey``, or the one item with ``primary: true`` (both
    given must agree). Without ``metrics``, the primary metric is the holdout's only metric."""
    items = body.get("metrics")
    primary = body.get("primarymetrickey")
    if items is None:
        items = [] if primary is None else [{"key": primary}]
    metrics: list[JSON] = []
    flagged: list[str] = []
    for index, item in enumerate(items):
        where = f"metrics[{index}]" if "metrics" in body else "primarymetrickey"
        key, is_group = item["key"], bool(item.get("isGroup", False))
        kind = METRIC_GROUP if is_group else METRIC
        if ctx.docs.live(kind, key) is None:
            label = "metric group" if is_group else "metric"
            raise invalid(
                f"field '{where}': {label} '{shorten(key, 80)}' not found in project "
                f"'{ctx.project}'"
            )
        if any(m["key"] == key for m in metrics):
            raise invalid(f"field '{where}.key': metric '{key}' is listed twice")
        metrics.append({"key": key, "isGroup": is_group})
        if item.get("primary"):
            flagged.append(key)
    if len(flagged) > 1:
        raise invalid(f"field 'metrics': only one metric can be primary (got {', '.join(flagged)})")
    if primary is not None:
        if flagged and flagged != [primary]:
            raise invalid(
                f"fields 'primarymetrickey' and 'metrics[].primary' disagree ('{primary}' and "
                f"'{flagged[0]}')"
            )
        if all(m["key"] != primary for m in metrics):
            raise invalid(
                f"field 'primarymetrickey': '{shorten(primary, 80)}' is not one of the holdout's "
                "metrics"
            )
    return metrics, primary if primary is not None else (flagged[0] if flagged else None)


def apply_instruction(ctx: Context, doc: JSON, instr: JSON, members: dict[str, JSON]) -> str | None:
    """Apply one instruction to ``doc`` (in place). ``members`` are the experiments in the
    holdout by key (their documents); returns the key of an experiment to take out of the
    holdout (``removeExperiment``), else None."""
    kind = instr["kind"]
    if kind == "updateName":
        doc["name"] = string_param(instr, "value", non_empty=True)
    elif kind == "updateDescription":
        doc["description"] = string_param(instr, "value")
    elif kind == "removeExperiment":
        key = string_param(instr, "value", non_empty=True)
        member = members.get(key)
        if member is None:
            return None  # not in the holdout: already satisfied
        if "in-use-refused" in ctx.profile and member["current"]["status"] == "running":
            raise invalid(
                f"experiment '{key}' is running: stop it before taking it out of the holdout"
            )
        return key
    elif kind == "endHoldout":
        if doc["status"] == "ended":
            return None
        running = sorted(k for k, m in members.items() if m["current"]["status"] == "running")
        if running and "in-use-refused" in ctx.profile:
            raise invalid(
                f"cannot end the holdout while experiments in it run: {', '.join(running)} (stop "
                "them first)"
            )
        doc["status"] = "ended"
        doc["endedAt"] = ctx.clock()
    return None


def render_base_experiment(ctx: Context, doc: JSON) -> JSON:
    """The holdout as the spec's ``Experiment`` (``HoldoutRep.baseExperiment``): type
    ``holdout``, its current iteration carrying the randomization unit, metrics, attributes
    and the prerequisite flag (as the iteration's only flag), running or (ended) stopped."""
    project, env, key = ctx.project, ctx.environment, doc["key"]
    iteration: JSON = {
        "_id": doc["baseExperimentId"],
        "hypothesis": doc.get("description") or doc["name"],
        "status": "stopped" if doc["status"] == "ended" else "running",
        "createdAt": int(doc["createdAt"]),
        "startedAt": int(doc["createdAt"]),
        "canReshuffleTraffic": False,
        "flags": {},
        "randomizationUnit": doc["randomizationUnit"],
        "metrics": [
            dependent_metric_rep(project, ctx.docs, m["key"], bool(m["isGroup"]))
            for m in doc["metrics"]
        ],
    }
    if "endedAt" in doc:
        iteration["endedAt"] = int(doc["endedAt"])
    if "prerequisiteFlagKey" in doc:
        flag = doc["prerequisiteFlagKey"]
        iteration["flags"] = {flag: {"_links": {"self": link(f"/api/v2/flags/{project}/{flag}")}}}
    primary = doc.get("primaryMetricKey")
    if primary is not None:
        item = next(m for m in doc["metrics"] if m["key"] == primary)
        if item["isGroup"]:
            group = ctx.docs.get(METRIC_GROUP, primary)
            if group is not None:
                iteration["primaryFunnel"] = group_with_metrics_rep(project, group, ctx.docs)
        else:
            metric = ctx.docs.get(METRIC, primary)
            if metric is not None:
                iteration["primarySingleMetric"] = metric_v2_rep(project, metric)
    if "attributes" in doc:
        iteration["attributes"] = list(doc["attributes"])
    rep: JSON = {
        "_id": doc["baseExperimentId"],
        "key": key,
        "name": doc["name"],
    }
    if "description" in doc:
        rep["description"] = doc["description"]
    rep.update(
        {
            "_maintainerId": doc["maintainerId"],
            "_creationDate": int(doc["createdAt"]),
            "environmentKey": env,
            "_links": {
                "self": link(holdout_path(project, env, key)),
                "parent": link(f"/api/v2/projects/{project}/environments/{env}"),
            },
            "methodology": "bayesian",
            "dataSource": "launchdarkly",
            "type": "holdout",
            "tags": [],
            "currentIteration": iteration,
        }
    )
    return rep
