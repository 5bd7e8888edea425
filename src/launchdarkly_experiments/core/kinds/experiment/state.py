"""The resource's state in one place: its id, its inputs and outputs, how each is written and read.

* **Id**: ``<projectKey>/<environmentKey>/<key>`` (``Address``).
* **Inputs** (what ``check`` returns and the engine stores): the *declared form*, the camelCase dict
  of a declaration with API defaults dropped and tags sorted (``declared``), plus at most one
  computed input, ``iterationChange`` (``ITERATION_CHANGE``), that names a consequence in the
  preview.
* **Outputs**: the live experiment in the same declared form (``declared_from_live``), so a diff
  is a plain comparison and refresh shows drift field by field, plus what LaunchDarkly computed
  (``models.ExperimentOutputs``). ``outputs`` writes them; ``declared_part`` and
  ``live_from_outputs`` read them back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ....errors import LaunchDarklyError
from ...models import input_field
from .models import (
    API_DEFAULTS,
    RUN_STATE_OF_STATUS,
    STEERING_FIELDS,
    ExperimentOutputs,
    ExperimentRep,
    ExperimentSpec,
    IterationRep,
    IterationStatus,
    IterationSummary,
    RunningChangePolicy,
    RunState,
    ShippedVariation,
    StoppedPolicy,
)

# A computed input that check adds when the change will start a new iteration, so that the preview
# names the consequence. It is never stored in outputs, so it does not linger as a diff.
ITERATION_CHANGE = "iterationChange"
NEW_ITERATION_NOTICE = "starts a new iteration: the running iteration stops and results reset"
RESTART_NOTICE = (
    "starts a new iteration after the stopped one (its results stay in previous_iterations)"
)


#: Outputs that earlier releases wrote and this one no longer does (``links``: API paths spelled
#: by the id); still computed outputs, never declared fields, when old state holds them.
RETIRED_OUTPUTS = ("links",)

#: The computed outputs' names (``ExperimentOutputs``), beside the declared form.
OUTPUT_ONLY_FIELDS = (
    *(info.alias or name for name, info in ExperimentOutputs.model_fields.items()),
    *RETIRED_OUTPUTS,
)


# -- id ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    """Where an experiment lives; its string form is the resource id."""

    project: str
    environment: str
    key: str

    def __str__(self) -> str:
        return f"{self.project}/{self.environment}/{self.key}"

    @classmethod
    def of(cls, spec: ExperimentSpec) -> Address:
        return cls(spec.project_key, spec.environment_key, spec.key)

    @classmethod
    def from_state(cls, id_: str, props: Mapping[str, Any]) -> Address:
        """The address recorded in ``props``, else the one spelled by the resource id."""
        project, env, key = props.get("projectKey"), props.get("environmentKey"), props.get("key")
        if isinstance(project, str) and isinstance(env, str) and isinstance(key, str):
            return cls(project, env, key)
        parts = id_.split("/")
        if len(parts) != 3 or not all(parts):
            raise LaunchDarklyError(
                f"resource id {id_!r} is not of the form "
                "<projectKey>/<environmentKey>/<experimentKey>"
            )
        return cls(parts[0], parts[1], parts[2])


# -- declared form ----------------------------------------------------------------------------

_MISSING: Any = object()


def declared(spec: ExperimentSpec) -> dict[str, Any]:
    """The canonical camelCase form of a declaration, API defaults dropped."""
    # exclude_defaults: isGroup=False, baseline=False, state="draft"... are never a difference.
    data = spec.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True, mode="json")
    return _finish_declared(data)


def declared_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """The declared form of some top-level fields, given their validated values.

    For a preview where other fields are not known yet: for the fields given, the result is
    what ``declared`` gives for a whole declaration.
    """
    data: dict[str, Any] = {}
    for name, value in values.items():
        spec_field = input_field(ExperimentSpec, name)
        if value is None or value == spec_field.default:
            continue
        data[name] = spec_field.adapter.dump_python(
            value, by_alias=True, exclude_none=True, exclude_defaults=True, mode="json"
        )
    return _finish_declared(data)


def _finish_declared(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("state") != RunState.STOPPED.value:
        # A winner belongs to a stopped iteration; kept while running it would never match.
        data.pop("winningTreatment", None)
        data.pop("winningReason", None)
    return _drop_defaults(data)


def _drop_defaults(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if API_DEFAULTS.get(k, _MISSING) != v}
    iteration = out.get("iteration")
    if isinstance(iteration, dict):
        out["iteration"] = {
            k: v for k, v in iteration.items() if API_DEFAULTS.get(k, _MISSING) != v
        }
    for key, default in (
        ("state", RunState.DRAFT.value),
        ("onRunningChange", RunningChangePolicy.REFUSE.value),
        ("onStopped", StoppedPolicy.REFUSE.value),
        ("adopt", False),
    ):
        if out.get(key) == default:
            out.pop(key)
    return out


def iteration_design(rep: IterationRep, hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Rebuild an ``IterationInput`` (declared form) from a live iteration.

    ``hint`` is the previously declared iteration: fields LaunchDarkly fills in by itself (such as
    ``notInExperimentVariationId``) are kept only where the user declared them.
    """
    hint = hint or {}
    hinted_flags = hint.get("flags") or {}
    design: dict[str, Any] = {"hypothesis": rep.hypothesis}
    design["metrics"] = [
        {"key": m.key, **({"isGroup": True} if m.is_group else {})} for m in rep.metrics or []
    ]
    treatments = []
    for t in rep.treatments or []:
        item: dict[str, Any] = {
            "name": t.name,
            "allocationPercent": t.allocation_percent,
            "parameters": [
                {"flagKey": p.flag_key, "variationId": p.variation_id} for p in t.parameters or []
            ],
        }
        if t.baseline:
            item["baseline"] = True
        treatments.append(item)
    design["treatments"] = treatments
    flags: dict[str, Any] = {}
    for flag_key, flag in (rep.flags or {}).items():
        entry: dict[str, Any] = {
            "ruleId": flag.targeting_rule or "fallthrough",
            "flagConfigVersion": flag.flag_config_version or 0,
        }
        declared_nie = (hinted_flags.get(flag_key) or {}).get("notInExperimentVariationId")
        if flag.not_in_experiment_variation_id and declared_nie is not None:
            entry["notInExperimentVariationId"] = flag.not_in_experiment_variation_id
        flags[flag_key] = entry
    design["flags"] = flags
    if rep.primary_single_metric is not None:
        design["primarySingleMetricKey"] = rep.primary_single_metric.key
    if rep.primary_funnel is not None:
        design["primaryFunnelKey"] = rep.primary_funnel.key
    if rep.randomization_unit is not None:
        design["randomizationUnit"] = rep.randomization_unit
    if rep.can_reshuffle_traffic is not None:
        design["canReshuffleTraffic"] = rep.can_reshuffle_traffic
    if rep.reallocation_frequency_millis is not None:
        design["reallocationFrequencyMillis"] = rep.reallocation_frequency_millis
    covariate = (rep.covariate_info or {}).get("id")
    if covariate:
        design["covariateId"] = covariate
    if rep.attributes:
        design["attributes"] = list(rep.attributes)
    return {k: v for k, v in design.items() if API_DEFAULTS.get(k, _MISSING) != v}


def declared_from_live(
    rep: ExperimentRep, project_key: str, hint: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The live experiment in declared form: what the user would have to write to get it.

    ``hint`` is the previous declared form; steering fields are carried over from it.
    """
    hint = hint or {}
    data: dict[str, Any] = {
        "projectKey": project_key,
        "environmentKey": rep.environment_key,
        "key": rep.key,
        "name": rep.name,
    }
    if rep.description:
        data["description"] = rep.description
    if "maintainerId" in hint:
        data["maintainerId"] = rep.maintainer_id
    if rep.holdout_id:
        data["holdoutId"] = rep.holdout_id
    if rep.tags:
        data["tags"] = sorted(set(rep.tags))
    for name, value in (
        ("methodology", rep.methodology),
        ("dataSource", rep.data_source),
        ("type", rep.type),
    ):
        if value is not None:
            data[name] = value
    if rep.analysis_config is not None:
        config = rep.analysis_config.model_dump(by_alias=True, exclude_none=True)
        if config:
            data["analysisConfig"] = config
    current = rep.current_iteration
    if current is not None:
        data["iteration"] = iteration_design(current, hint.get("iteration"))
        data["state"] = RUN_STATE_OF_STATUS[current.status].value
        if current.winning_treatment_id:
            by_id = {t.id: t.name for t in current.treatments or []}
            winner = by_id.get(current.winning_treatment_id)
            if winner:
                data["winningTreatment"] = winner
        if current.winning_reason:
            data["winningReason"] = current.winning_reason
    elif "iteration" in hint:
        data["iteration"] = hint["iteration"]
    for name in STEERING_FIELDS:
        if name in hint:
            data[name] = hint[name]
    return _drop_defaults(data)


# -- outputs ----------------------------------------------------------------------------------


def outputs(
    rep: ExperimentRep,
    declared_form: Mapping[str, Any],
    resolved: Mapping[str, Any] | None = None,
    shipped_: Mapping[str, ShippedVariation] | None = None,
) -> dict[str, Any]:
    """Resource outputs: the declared form, what LaunchDarkly computed, what names resolved to,
    and what a stop with a winner shipped."""
    current = rep.current_iteration
    computed = ExperimentOutputs(
        experiment_id=rep.id,
        creation_date=rep.creation_date,
        archived_date=rep.archived_date,
        effective_maintainer_id=rep.maintainer_id,
        current_iteration=_iteration_summary(current) if current else None,
        previous_iterations=[_iteration_summary(i) for i in rep.previous_iterations or []] or None,
        resolved_references=dict(resolved) if resolved else None,
        shipped=dict(shipped_) if shipped_ else None,
    )
    # What is unset or empty is left out: the engine keeps (and a file backend rewrites) every
    # byte of every experiment's outputs, and an absent output reads back as None.
    data = computed.model_dump(
        by_alias=True, mode="json", exclude_none=True, exclude={"resolved_references", "shipped"}
    )
    if computed.resolved_references is not None:
        data["resolvedReferences"] = computed.resolved_references
    if computed.shipped is not None:
        data["shipped"] = {
            flag: served.model_dump(by_alias=True, mode="json", exclude_none=True)
            for flag, served in computed.shipped.items()
        }
    return {**declared_form, **data}


def shipped(
    rep: ExperimentRep, flags: Mapping[str, Mapping[str, Any]]
) -> dict[str, ShippedVariation]:
    """What stopping the current iteration with a winner shipped, by flag key.

    LaunchDarkly (verified live) sets the experiment's rule, or fallthrough, to serve the
    winning treatment's variation when an iteration stops with a winner. ``flags`` are the
    flags' documents where known (for the variation's name and value). Empty unless the
    current iteration is stopped with a winner.
    """
    current = rep.current_iteration
    if current is None or current.status != IterationStatus.STOPPED:
        return {}
    winner = next(
        (t for t in current.treatments or [] if t.id and t.id == current.winning_treatment_id),
        None,
    )
    if winner is None:
        return {}
    result: dict[str, ShippedVariation] = {}
    for parameter in winner.parameters or []:
        if not parameter.flag_key or not parameter.variation_id:
            continue
        served = (current.flags or {}).get(parameter.flag_key)
        variation = next(
            (
                v
                for v in (flags.get(parameter.flag_key) or {}).get("variations") or []
                if isinstance(v, Mapping) and v.get("_id") == parameter.variation_id
            ),
            {},
        )
        result[parameter.flag_key] = ShippedVariation(
            variation_id=parameter.variation_id,
            variation_name=variation.get("name") or None,
            value=variation.get("value"),
            rule_id=(served.targeting_rule if served else None) or "fallthrough",
            rule_description=served.targeting_rule_description if served else None,
        )
    return result


def _iteration_summary(it: IterationRep) -> IterationSummary:
    ids = {t.name: t.id for t in it.treatments or [] if t.id}
    return IterationSummary(
        id=it.id,
        status=it.status.value,
        created_at=it.created_at,
        started_at=it.started_at,
        ended_at=it.ended_at,
        treatment_ids=ids,
        winning_treatment_id=it.winning_treatment_id,
        winning_treatment=next((n for n, i in ids.items() if i == it.winning_treatment_id), None),
        winning_reason=it.winning_reason,
    )


def declared_part(outputs_or_inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Drop computed outputs, the computed input and engine keys, leaving the declared form."""
    return {
        k: v
        for k, v in outputs_or_inputs.items()
        if k not in OUTPUT_ONLY_FIELDS and not k.startswith("__") and k != ITERATION_CHANGE
    }


def spec_from_inputs(inputs: Mapping[str, Any]) -> ExperimentSpec:
    """The declaration held by checked inputs."""
    return ExperimentSpec.model_validate(declared_part(inputs))


# -- what is known of the live experiment -----------------------------------------------------


@dataclass
class LiveView:
    """What is known of the live experiment: its declared form and iteration facts."""

    declared: dict[str, Any]
    status: IterationStatus | None
    treatment_ids: dict[str, str] = field(default_factory=dict)
    archived: bool = False


def live_from_rep(rep: ExperimentRep, project_key: str, hint: dict[str, Any]) -> LiveView:
    """From an API answer (fresh)."""
    current = rep.current_iteration
    return LiveView(
        declared=declared_from_live(rep, project_key, hint),
        status=current.status if current else None,
        treatment_ids={t.name: t.id for t in current.treatments or [] if t.id} if current else {},
        archived=rep.archived,
    )


def live_after_create(rep: ExperimentRep, project_key: str, sent: dict[str, Any]) -> LiveView:
    """From the answer to our own POST when it leaves out the expansions.

    The 201 says the experiment now holds what we sent, so its iteration design is ``sent``'s;
    the answer supplies the rest (status, archived). Treatment ids stay unknown: no step planned
    from this view needs them (a stop follows a start, and a start is read back).
    """
    view = live_from_rep(rep, project_key, sent)
    declared = dict(view.declared)
    if "iteration" in sent:
        declared["iteration"] = sent["iteration"]
    return LiveView(declared=declared, status=view.status, archived=view.archived)


def live_from_outputs(outputs_: Mapping[str, Any]) -> LiveView:
    """From stored outputs (as fresh as the last write or refresh)."""
    current = outputs_.get("currentIteration") or {}
    status = current.get("status")
    return LiveView(
        declared=declared_part(outputs_),
        status=IterationStatus(status) if status else None,
        treatment_ids=dict(current.get("treatmentIds") or {}),
        archived=outputs_.get("archivedDate") is not None,
    )
