"""What makes an experiment or iteration valid, beyond the spec's schema.

The schema check (``jsonschema`` against LaunchDarkly's spec, unknown fields refused) comes
first; then the rules the spec states in prose or that follow from the fixtures: flags, rules,
variations, metrics and holdouts must exist, allocations add up, one baseline, and so on. Every
refusal is a 400 naming the field with a dotted path.
"""

from __future__ import annotations

from typing import Any

from .. import spec
from ..documents import METRIC, METRIC_GROUP
from ..errors import invalid
from ..objects.holdouts import holdout_by_id
from ..objects.settings import unit_keys
from ..targeting import env_config
from .model import KEY_PATTERN, PERCENT_PATTERN, Context

__all__ = [
    "check_experiment_level",
    "check_experiment_post",
    "check_iteration",
    "check_iteration_input",
    "schema_check",
]

JSON = dict[str, Any]


def schema_check(schema_name: str, body: Any, prefix: str = "") -> None:
    problem = spec.validation_problem(schema_name, body, prefix=prefix)
    if problem is not None:
        raise invalid(problem.message)


def check_experiment_level(
    ctx: Context, body: JSON, *, given: frozenset[str] | None = None
) -> None:
    """Experiment-level rules. ``given``: the fields given in this request (None: all of them,
    a create); a stored ``maintainerId`` or ``holdoutId`` is not judged again."""
    holdout_id = body.get("holdoutId")
    if holdout_id is not None and (given is None or "holdoutId" in given):
        holdout = holdout_by_id(ctx, holdout_id)
        if holdout is None:
            raise invalid(
                f"field 'holdoutId': no holdout with id '{holdout_id}' in environment "
                f"'{ctx.environment}'"
            )
        if holdout["status"] == "ended" and "ended-holdout-takes-no-experiments" in ctx.profile:
            raise invalid(
                f"field 'holdoutId': holdout '{holdout['key']}' ({holdout_id}) has ended and "
                "takes no more experiments"
            )
    if "name" in body and not str(body["name"]).strip():
        raise invalid("field 'name' must not be empty")
    if "maintainerId" in body:
        maintainer = str(body["maintainerId"])
        if not maintainer.strip():
            raise invalid("field 'maintainerId' must not be empty")
        if (
            (given is None or "maintainerId" in given)
            and "maintainer-must-be-member" in ctx.profile
            and maintainer not in ctx.catalog.members
        ):
            raise invalid(
                f"field 'maintainerId': '{maintainer}' is not the _id of an account member "
                "(see GET /api/v2/members)"
            )


def check_iteration(
    ctx: Context,
    it: JSON,
    exp_type: str,
    prefix: str,
    *,
    check_versions: bool = True,
    check_metrics: bool = True,
) -> None:
    """Semantic rules of an ``IterationInput`` (the schema check has already passed).
    ``check_versions``: whether the flags were given now, so that their ``flagConfigVersion``
    is compared with the flag (strict point ``flag-config-version-checked``);
    ``check_metrics``: whether the metrics were given now, so that each must exist (a metric
    deleted since an iteration named it stays in that iteration)."""
    p = f"{prefix}." if prefix else ""
    project, env = ctx.project, ctx.environment
    if not str(it["hypothesis"]).strip():
        raise invalid(f"field '{p}hypothesis' must not be empty")

    flags: JSON = it["flags"]
    if not flags:
        raise invalid(f"field '{p}flags' must name at least one flag")
    variations_by_flag: dict[str, set[str]] = {}
    for flag_key, flag_input in flags.items():
        where = f"{p}flags.{flag_key}"
        flag = ctx.flags.get(flag_key)
        if flag is None:
            raise invalid(f"field '{where}': flag '{flag_key}' not found in project '{project}'")
        variations_by_flag[flag_key] = {str(v.get("_id")) for v in flag["variations"]}
        rule_id = flag_input["ruleId"]
        if rule_id != "fallthrough":
            rules = env_config(flag, env)["rules"]
            if rule_id not in {r.get("_id") for r in rules}:
                raise invalid(
                    f"field '{where}.ruleId': '{rule_id}' is neither 'fallthrough' nor the _id "
                    f"of a targeting rule of flag '{flag_key}' in environment '{env}'"
                )
        if flag_input["flagConfigVersion"] < 1:
            raise invalid(f"field '{where}.flagConfigVersion' must be a positive integer")
        if check_versions and "flag-config-version-checked" in ctx.profile:
            live = env_config(flag, env)["_version"]
            if flag_input["flagConfigVersion"] != live:
                raise invalid(
                    f"field '{where}.flagConfigVersion': {flag_input['flagConfigVersion']} is not "
                    f"the current targeting version of flag '{flag_key}' in environment '{env}' "
                    f"({live}); read the flag with ?env={env} and use "
                    f"environments.{env}._version"
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
        if not check_metrics:
            continue
        if is_group and ctx.docs.live(METRIC_GROUP, key) is None:
            raise invalid(f"field '{where}.key': metric group '{key}' not found in '{project}'")
        if not is_group and ctx.docs.live(METRIC, key) is None:
            hint = (
                " (it is a metric group: set isGroup true)"
                if ctx.docs.live(METRIC_GROUP, key)
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
        group = ctx.docs.get(METRIC_GROUP, funnel)
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
        units = unit_keys(ctx.docs)
        if unit not in units:
            raise invalid(
                f"field '{p}randomizationUnit': '{unit}' is not a randomization unit of project "
                f"'{project}' (one of: {', '.join(units)})"
            )


def check_experiment_post(ctx: Context, body: Any) -> None:
    """Raise a 400 ``ApiError`` unless ``body`` is a valid ``ExperimentPost``."""
    schema_check("ExperimentPost", body)
    if not KEY_PATTERN.match(body["key"]):
        raise invalid(
            f"field 'key': '{body['key']}' must start with a letter or digit and contain only "
            "letters, digits, '.', '_' and '-'"
        )
    check_experiment_level(ctx, body)
    check_iteration(ctx, body["iteration"], body.get("type", "experiment"), "iteration")


def check_iteration_input(ctx: Context, body: Any, exp_type: str) -> None:
    """Raise a 400 ``ApiError`` unless ``body`` is a valid ``IterationInput``."""
    schema_check("IterationInput", body)
    check_iteration(ctx, body, exp_type, "")
