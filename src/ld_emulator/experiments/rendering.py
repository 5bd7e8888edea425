"""Experiments in the spec's response shapes: ``Experiment`` and ``IterationRep``.

What a response includes depends on ``expand`` (treatments, draftIteration,
previousIterations, analysisConfig, mutableFieldsByStatus), as the spec describes.
"""

from __future__ import annotations

import copy
from typing import Any

from ..catalog import link
from ..documents import METRIC, METRIC_GROUP
from ..objects.metrics import dependent_metric_rep, group_with_metrics_rep, metric_v2_rep
from ..targeting import env_config
from .model import MUTABLE_FIELDS_BY_STATUS, Context

__all__ = ["experiment_path", "render_experiment", "render_iteration"]

JSON = dict[str, Any]


def experiment_path(project: str, environment: str, key: str) -> str:
    return f"/api/v2/projects/{project}/environments/{environment}/experiments/{key}"


def render_iteration(ctx: Context, doc: JSON, it: JSON, with_treatments: bool) -> JSON:
    project, env = doc["projectKey"], doc["environmentKey"]
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
            "_links": {"self": link(f"/api/v2/flags/{project}/{flag_key}")},
        }
        flag = ctx.flags.get(flag_key)
        if flag_input["ruleId"] != "fallthrough" and flag is not None:
            for rule in env_config(flag, env)["rules"]:
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
    single = it.get("primarySingleMetricKey")
    metric = None if single is None else ctx.docs.get(METRIC, single)
    if metric is not None:
        rep["primarySingleMetric"] = metric_v2_rep(project, metric)
    funnel = it.get("primaryFunnelKey")
    group = None if funnel is None else ctx.docs.get(METRIC_GROUP, funnel)
    if group is not None:
        rep["primaryFunnel"] = group_with_metrics_rep(project, group, ctx.docs)
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
        dependent_metric_rep(project, ctx.docs, m["key"], bool(m.get("isGroup", False)))
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
                "self": link(experiment_path(project, env, key)),
                "parent": link(f"/api/v2/projects/{project}/environments/{env}"),
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
