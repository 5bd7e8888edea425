"""Pure decisions, no I/O: is a declaration and its change acceptable (``check``), what differs,
what replaces, and which instructions reach a state.

Replace-vs-update rules (one place, also in the README's resource reference):

* ``projectKey``, ``environmentKey`` and ``key`` replace the experiment: they are in its URL.
* ``type`` cannot change at all: a replacement would reuse the key, which an archived experiment
  keeps holding, so ``check`` refuses it and asks for a new key.
* Every other declared field is updated in place through the semantic-patch endpoint.
* ``adopt``, ``changeJustification``, ``onRunningChange`` and ``onStopped`` steer how a change is
  made and are never a change by themselves.
* No silent restarts: a stopped iteration starts again only when the design changes along with
  ``state='running'`` or with ``onStopped='restart'``; the preview then shows the notice.

Everything here compares *declared forms* (``state``): the camelCase dicts of a declaration, of
stored outputs and of a live experiment, which have one shape so that a diff is a plain
comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ....errors import ChangeRefused, Problem
from ...kind import Checked, Difference
from ...rules import Declaration, IsUnknown, holds_unknown, nothing_is_unknown
from .models import (
    ADDRESS_FIELDS,
    API_DEFAULTS,
    RUN_STATE_OF_STATUS,
    STEERING_FIELDS,
    IterationSpec,
    IterationStatus,
    RunningChangePolicy,
    RunState,
    StoppedPolicy,
)
from .rules import RULES
from .state import (
    ITERATION_CHANGE,
    NEW_ITERATION_NOTICE,
    RESTART_NOTICE,
    LiveView,
    declared,
    declared_fields,
)

REPLACE_FIELDS = ADDRESS_FIELDS
# Inputs the change rules (type, lifecycle, new iteration) read: at preview they run only when none
# of these is unknown.
CHANGE_RULE_FIELDS = (
    *ADDRESS_FIELDS,
    "type",
    "state",
    "iteration",
    "winningTreatment",
    "winningReason",
    "onRunningChange",
    "onStopped",
    "methodology",
    "analysisConfig",
    "dataSource",
    "holdoutId",
)
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
# LaunchDarkly's mutableFieldsByStatus for a running iteration: what changes in place, and how.
# tests/protocol checks this table against the emulator's rendering of mutableFieldsByStatus.
MUTABLE_WHILE_RUNNING: dict[str, tuple[str, ...]] = {
    "name": ("update",),
    "description": ("update", "remove"),
    "tags": ("add", "remove", "update"),
    "maintainerId": ("update",),
    "metrics": ("add",),
    "attributes": ("add",),
}
# -- diff -------------------------------------------------------------------------------------


def diff(old: dict[str, Any], new: dict[str, Any]) -> Difference:
    """Compare two declared forms (old from outputs, new from checked inputs)."""
    keys = sorted((set(old) | set(new)) - set(STEERING_FIELDS))
    changed = tuple(k for k in keys if not k.startswith("__") and old.get(k) != new.get(k))
    replaces = tuple(k for k in changed if k in REPLACE_FIELDS)
    return Difference(changed, replaces)


def design_changes(old_iteration: dict[str, Any], new_iteration: dict[str, Any]) -> list[str]:
    """Iteration fields whose values differ."""
    keys = sorted(set(old_iteration) | set(new_iteration))
    return [k for k in keys if old_iteration.get(k) != new_iteration.get(k)]


def running_blockers(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Fields whose change a running iteration cannot take in place (it needs a new iteration).

    Follows LaunchDarkly's ``mutableFieldsByStatus`` for ``running`` (``MUTABLE_WHILE_RUNNING``):
    a few experiment fields may change, metrics and attributes may only be appended to.
    """
    blockers = [
        name
        for name in EXPERIMENT_FIELDS
        if old.get(name) != new.get(name) and name not in MUTABLE_WHILE_RUNNING
    ]
    old_it, new_it = old.get("iteration") or {}, new.get("iteration") or {}
    for name in design_changes(old_it, new_it):
        before, after = old_it.get(name) or [], new_it.get(name) or []
        appended = "add" in MUTABLE_WHILE_RUNNING.get(name, ()) and after[: len(before)] == before
        if not appended:
            blockers.append(f"iteration.{name}")
    return blockers


def change_problems(old: dict[str, Any], new: dict[str, Any]) -> list[ChangeRefused]:
    """Check-time rules for changing an existing experiment (``old``) into ``new``.

    A change of address is a replacement, a new experiment: none of these rules apply to it.
    """
    if any(old.get(k) != new.get(k) for k in REPLACE_FIELDS):
        return []
    problems = []
    default_type = API_DEFAULTS["type"]
    if old.get("type", default_type) != new.get("type", default_type):
        problems.append(
            ChangeRefused(
                "type",
                "an experiment's type cannot change after creation; give the experiment a new "
                "key to create it with the new type",
            )
        )
    lifecycle = lifecycle_problem(old, new)
    if lifecycle is not None:
        problems.append(lifecycle)
    return problems


def restarts_iteration(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """True when applying ``new`` over a running ``old`` starts a new iteration."""
    if any(old.get(k) != new.get(k) for k in REPLACE_FIELDS):
        return False
    if old.get("state") != RunState.RUNNING.value:
        return False
    if new.get("state", RunState.DRAFT.value) != RunState.RUNNING.value:
        return False
    return bool(running_blockers(old, new))


def makes_new_iteration(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """True when applying ``new`` over ``old`` designs or starts an iteration after the current
    one (a stopped iteration followed by a draft or a start, or a running one restarted).

    A new iteration runs on the flags as they are now: flag versions resolved for the old one
    are stale (stopping with a winner ships it, which moves the flag's version on).
    """
    if any(old.get(k) != new.get(k) for k in REPLACE_FIELDS):
        return False
    new_state = new.get("state", RunState.DRAFT.value)
    if old.get("state") == RunState.STOPPED.value:
        return bool(new_state != RunState.STOPPED.value)
    return restarts_iteration(old, new)


def iteration_notice(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """What the preview shows when applying ``new`` over ``old`` starts a new iteration."""
    if restarts_iteration(old, new):
        return NEW_ITERATION_NOTICE
    if any(old.get(k) != new.get(k) for k in REPLACE_FIELDS):
        return None
    if old.get("state") == RunState.STOPPED.value and new.get("state") == RunState.RUNNING.value:
        return RESTART_NOTICE
    return None


def lifecycle_problem(old: dict[str, Any], new: dict[str, Any]) -> ChangeRefused | None:
    """Check-time rules for changes to a running or stopped experiment."""
    old_state = old.get("state", RunState.DRAFT.value) if old else RunState.DRAFT.value
    new_state = new.get("state", RunState.DRAFT.value)
    if old_state == RunState.STOPPED.value:
        changed = design_changes(old.get("iteration") or {}, new.get("iteration") or {})
        if (
            new_state == RunState.RUNNING.value
            and not changed
            and new.get("onStopped") != StoppedPolicy.RESTART.value
        ):
            # No silent restarts, whatever stopped the iteration (this stack or the UI).
            return ChangeRefused(
                "state",
                "the iteration is stopped; state='running' would start a new iteration (the "
                "stopped one's results stay in previous_iterations). Set on_stopped='restart' "
                "to start it, or change the iteration design along with state='running'; to "
                "keep it stopped, declare state='stopped' with its winning_treatment",
            )
        if new_state == RunState.STOPPED.value and changed:
            return ChangeRefused(
                "iteration",
                f"the iteration is stopped; changing {', '.join(changed)} designs a new "
                "iteration: set state='draft' to prepare it or state='running' to start it",
            )
        if new_state == RunState.STOPPED.value and any(
            old.get(k) != new.get(k) for k in ("winningTreatment", "winningReason")
        ):
            return ChangeRefused(
                "winningTreatment",
                "the winner of a stopped iteration cannot change: set state='running' to start "
                "a new iteration, then stop it with the new winning_treatment and winning_reason",
            )
        if new_state == RunState.DRAFT.value and not changed:
            return ChangeRefused(
                "state",
                "a stopped iteration cannot go back to draft as it is: change the iteration "
                "design to prepare a new draft iteration, or set state='running' to start one",
            )
    if old_state != RunState.RUNNING.value:
        return None
    if new_state == RunState.DRAFT.value:
        return ChangeRefused(
            "state",
            "a running iteration cannot go back to draft; declare state='stopped' with a "
            "winning_treatment to end it",
        )
    blockers = running_blockers(old, new)
    if not blockers:
        return None
    fields = ", ".join(blockers)
    if new_state == RunState.STOPPED.value:
        return ChangeRefused(
            "iteration",
            f"the iteration is running; stopping it and changing {fields} in one update is not "
            "supported: stop it first (state='stopped'), then make the change and set "
            "state='running' to start a new iteration",
        )
    if new.get("onRunningChange") != RunningChangePolicy.NEW_ITERATION.value:
        return ChangeRefused(
            "iteration",
            f"the iteration is running; changing {fields} starts a new iteration and resets "
            "the results collected so far. Set on_running_change='new_iteration' to allow it, "
            "or stop the experiment first (state='stopped' with a winning_treatment)",
        )
    return None


# -- check ------------------------------------------------------------------------------------


def check(
    old_inputs: Mapping[str, Any],
    props: Mapping[str, Any],
    is_unknown: IsUnknown = nothing_is_unknown,
) -> Checked:
    """Validate a declaration, then the change from ``old_inputs`` (empty on create) to it.

    ``props`` are the raw inputs; values for which ``is_unknown`` holds are not known yet (a
    preview): rules that read them are skipped, and each stays in its place in the declared
    form (``Declaration.form``). The inputs are the declared form, plus ``iterationChange``
    when the change starts a new iteration.
    """
    declaration = Declaration(RULES, props, is_unknown)
    problems = declaration.problems()
    if problems:
        return Checked(dict(props), problems)
    inputs = declaration.form(declared)
    old = {k: v for k, v in old_inputs.items() if v is not None}
    if not old or holds_unknown(old, is_unknown):
        return Checked(inputs, [])
    if any(declaration.unknown(f) or declaration.invalid(f) for f in CHANGE_RULE_FIELDS):
        return Checked(inputs, [])
    new = declared_fields({name: declaration.value(name) for name in CHANGE_RULE_FIELDS})
    refusals = change_problems(old, new)
    notice = iteration_notice(old, new)
    if not refusals and notice:
        inputs[ITERATION_CHANGE] = notice
    return Checked(inputs, [Problem(r.property, r.message) for r in refusals])


# -- update plan ------------------------------------------------------------------------------

_MISSING: Any = object()


def _field_update(name: str, source: dict[str, Any], value: Any = _MISSING) -> dict[str, Any]:
    """One ``updateExperimentFields`` entry that makes field ``name`` what ``source`` declares.

    A field absent from the declared form is either at its API default (send the default: the
    API refuses ``remove`` for such fields and for lists) or unset (``remove`` it).
    """
    if name in source:
        return {"operation": "update", "value": source[name] if value is _MISSING else value}
    if name in API_DEFAULTS:
        return {"operation": "update", "value": API_DEFAULTS[name]}
    return {"operation": "remove"}


def _field_updates(names: list[str], source: dict[str, Any]) -> dict[str, Any]:
    return {name: _field_update(name, source) for name in names}


def _design_updates(old_it: dict[str, Any], new_it: dict[str, Any]) -> dict[str, Any]:
    changed = design_changes(old_it, new_it)
    if not changed:
        return {}
    # Values go out in the API's full form (e.g. every treatment states ``baseline``), not in
    # the declared form that drops defaults.
    wire = IterationSpec.model_validate(new_it).wire()
    return {name: _field_update(name, new_it, wire.get(name)) for name in changed}


def next_instructions(live: LiveView, desired: dict[str, Any]) -> list[dict[str, Any]]:
    """The instructions of the next PATCH that moves ``live`` towards ``desired``.

    Called again on the PATCH's answer until it returns nothing, so each call only needs to take
    one safe step. Raises ``ChangeRefused`` for a change LaunchDarkly cannot make.
    """
    have = live.declared
    want_state = RunState(desired.get("state", RunState.DRAFT.value))
    justification = desired.get("changeJustification")

    if live.archived:
        # Instructions apply in order and atomically: restore and reconcile in one PATCH.
        # Declaring an archived key again is a new lifecycle: starting it is no silent restart.
        active = LiveView(live.declared, live.status, live.treatment_ids, archived=False)
        restart = {**desired, "onStopped": StoppedPolicy.RESTART.value}
        return [{"kind": "restoreExperiment"}, *next_instructions(active, restart)]

    instructions: list[dict[str, Any]] = []
    experiment_changes = [k for k in EXPERIMENT_FIELDS if have.get(k) != desired.get(k)]
    old_it, new_it = have.get("iteration") or {}, desired.get("iteration") or {}
    design = _design_updates(old_it, new_it)

    status = live.status
    if status is not None:
        # The same rules check applies, now against the live status rather than old inputs.
        problem = lifecycle_problem({**have, "state": RUN_STATE_OF_STATUS[status].value}, desired)
        if problem is not None:
            raise problem
    blockers = running_blockers(have, desired) if status == IterationStatus.RUNNING else []
    if blockers:  # lifecycle_problem passed: the user opted in to a new iteration
        instruction: dict[str, Any] = {
            "kind": "saveAndStartNewIteration",
            "value": {**_field_updates(experiment_changes, desired), **design},
        }
        if justification:
            instruction["changeJustification"] = justification
        return [instruction]
    if status == IterationStatus.RUNNING and design:
        # Only appends to metrics/attributes: the running iteration takes them in place.
        additions = {
            name: {"operation": "add", "value": new_it[name][len(old_it.get(name) or []) :]}
            for name in design
        }
        design = additions

    restarting = status == IterationStatus.STOPPED and want_state == RunState.RUNNING
    if restarting and not design:
        # startIteration needs a new iteration first ("You must create a new iteration before
        # calling this instruction"), and updating an iteration field of a stopped iteration
        # is what creates one: set the hypothesis to itself, in the same PATCH as the start.
        design = {"hypothesis": {"operation": "update", "value": new_it.get("hypothesis")}}
    if experiment_changes or design:
        instructions.append(
            {
                "kind": "updateExperimentFields",
                "value": {**_field_updates(experiment_changes, desired), **design},
            }
        )
        # Changing a stopped iteration's design makes a new draft; unless it is to start at once,
        # decide the state on the answer.
        if status == IterationStatus.STOPPED and design and not restarting:
            return instructions

    if want_state == RunState.RUNNING and status in (
        IterationStatus.NOT_STARTED,
        IterationStatus.STOPPED,
    ):
        start: dict[str, Any] = {"kind": "startIteration"}
        if justification:
            start["changeJustification"] = justification
        instructions.append(start)
    elif want_state == RunState.STOPPED and status in (
        IterationStatus.NOT_STARTED,
        IterationStatus.RUNNING,
    ):
        if status == IterationStatus.NOT_STARTED:
            # Start now, stop on the next step: LaunchDarkly may give the treatments new ids
            # when an iteration starts, so the winner's id is read from the started iteration.
            instructions.append({"kind": "startIteration"})
            return instructions
        winner_name = desired.get("winningTreatment")
        winner_id = live.treatment_ids.get(winner_name or "")
        if not winner_id:
            raise ChangeRefused(
                "winningTreatment",
                f"{winner_name!r} is not a treatment of the current iteration "
                f"({sorted(live.treatment_ids)})",
            )
        stop: dict[str, Any] = {"kind": "stopIteration", "winningTreatmentId": winner_id}
        if desired.get("winningReason"):
            stop["winningReason"] = desired["winningReason"]
        instructions.append(stop)
    return instructions
