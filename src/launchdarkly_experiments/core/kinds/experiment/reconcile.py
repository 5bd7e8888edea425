"""The Experiment's operations: check, diff, create (or adopt, or restore), converge, read, archive.

Works over the one HTTP client (``api``) and knows nothing of Pulumi: it takes a typed
declaration (``ExperimentSpec``) and stored state, and answers with the resource's state
(``Written``, ``Observed``); an adapter turns those into its SDK's results. The guarantees of the
README's "Reliability" section are kept here:

* nothing is applied twice: after an unknown outcome or a conflict, read back and decide again;
* state matches the server: the write's answer when complete, else one GET with every expansion;
* a failed create leaves no orphan: what it created or restored is archived again;
* a delete succeeds only once the archive is seen;
* every error names the operation and the experiment.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ....errors import (
    ChangeRefused,
    ConfigurationError,
    ConflictError,
    InvalidRequestError,
    LaunchDarklyError,
    NotFoundError,
    OutcomeUnknown,
    Problem,
)
from ... import paths
from ...kind import Checked, Difference, Observed, ResourceKind, Written
from ...rules import IsUnknown, nothing_is_unknown
from ..checks import service_token_message
from ..operations import operation_errors
from . import api, plan, state
from .models import ExperimentRep, ExperimentSpec, IterationStatus
from .names import (
    RESOLVED_OUTPUT,
    apply_resolved,
    is_flag_version,
    needs_lookup,
    resolve,
    restore_declared,
    reusable,
)
from .references import (
    check_references,
    rule_conflict_message,
    running_on_rule,
)
from .state import Address, LiveView

logger = logging.getLogger(__name__)

MAX_PATCH_STEPS = 8


class Reconciler(ResourceKind[ExperimentSpec]):
    """The operations of the Experiment kind over ``context``'s client and lookups."""

    # -- check and diff: no I/O beyond the cached reference lookups --------------------------

    @classmethod
    def declared_part(cls, props: Mapping[str, Any]) -> dict[str, Any]:
        """The declared form in inputs or outputs, outputs earlier releases wrote dropped too."""
        return state.declared_part(props)

    def check(
        self,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        is_unknown: IsUnknown = nothing_is_unknown,
    ) -> Checked:
        return plan.check(self.declared_part(olds), news, is_unknown)

    def references(self, inputs: Mapping[str, Any]) -> list[Problem]:
        context = self.context
        return check_references(inputs, context.lookups(), context.settings, context.declared_here)

    def diff(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Difference:
        """Stored outputs against checked inputs (``iterationChange`` included, if any)."""
        return plan.diff(self.declared_part(olds), self.diff_view(news))

    def declared(self, spec: ExperimentSpec) -> dict[str, Any]:
        return state.declared(spec)

    def _resolved(
        self, spec: ExperimentSpec, user: dict[str, Any], known: Mapping[str, Any]
    ) -> tuple[ExperimentSpec, dict[str, Any], dict[str, Any]]:
        """The declaration with names resolved to ids: (spec, its declared form, resolutions).

        ``user`` is ``spec``'s declared form; ``known`` are earlier resolutions still valid,
        only the rest are looked up. An ids-only declaration costs no request and no second
        validation: it is its own resolution.
        """
        if not known and not needs_lookup(user):
            return spec, user, {}
        props = apply_resolved(user, known)
        resolved = dict(known)
        if needs_lookup(props):
            resolution = resolve(props, self.context.lookups())
            props = resolution.props
            resolved.update(resolution.resolved)
        spec = ExperimentSpec.model_validate(props)
        return spec, state.declared(spec), resolved

    # -- create -----------------------------------------------------------------------------

    def create(self, spec: ExperimentSpec) -> Written:
        """Create the experiment, adopt it (``adopt``) or restore it (archived), then converge.

        Names (a variation's name, a rule's description, a left-out flag version) are resolved
        first; the outputs keep the user's form and record the ids in ``resolvedReferences``.
        """
        user = state.declared(spec)
        address = Address.of(spec)
        with operation_errors("create", f"experiment {address}"):
            spec, desired, resolved = self._resolved(spec, user, {})
            rep, adopted = self._create_or_take_over(spec, address, desired)
            try:
                if _is_partial(rep, desired) and not rep.archived and not adopted:
                    # Our POST's answer without expansions: plan from what we sent; the
                    # converge loop reads the experiment back before it ends.
                    live = state.live_after_create(rep, address.project, desired)
                    rep = self._converge(address, desired, live=live)
                else:
                    rep = self._converge(address, desired, rep=rep)
            except LaunchDarklyError as exc:
                # Pulumi records nothing for a failed create: archive what this create made or
                # restored, so the next `pulumi up` restores it and tries again (no orphan).
                if not adopted and self._archive_quietly(address):
                    exc.add_note(
                        "The experiment was archived again; the next `pulumi up` restores it "
                        "and retries."
                    )
                raise
            return Written(str(address), self._outputs(rep, address, desired, user, resolved))

    def _archive_quietly(self, address: Address) -> bool:
        try:
            api.patch_experiment(self.context.client(), address, [{"kind": "archiveExperiment"}])
        except LaunchDarklyError as exc:
            logger.warning("could not archive %s after a failed create: %s", address.key, exc)
            return False
        return True

    def _create_or_take_over(
        self, spec: ExperimentSpec, address: Address, desired: dict[str, Any]
    ) -> tuple[ExperimentRep, bool]:
        """POST the experiment, or find the one to continue with; True when adopted."""
        client = self.context.client()
        key = address.key
        body = spec.body().wire()
        default_maintainer = self.context.settings.maintainer_id
        if "maintainerId" not in body and default_maintainer:
            # Only when created: the setting is no declaration, so it never shows as a change
            # (a stack previewed with and without it plans the same).
            body["maintainerId"] = default_maintainer
        window = client.retry_window()
        uncertain = False
        while True:
            try:
                return api.create_experiment(client, address, body), False
            except OutcomeUnknown as exc:
                # The POST may have landed: look before sending it again.
                logger.warning("create of %s had an unknown outcome (%s); checking", key, exc)
                uncertain = True
                try:
                    existing = api.get_experiment(client, address)
                except NotFoundError:
                    window.wait(exc)
                    continue
                if _matches_sent(existing, address.project, desired):
                    return existing, False
                raise _exists_error(address) from None
            except (ConflictError, InvalidRequestError) as exc:
                # LaunchDarkly documents no status for a duplicate key: 409 as elsewhere in its
                # API, or 400. Either way the key's experiment, if there is one, decides.
                try:
                    existing = api.get_experiment(client, address)
                except NotFoundError:
                    if isinstance(exc, InvalidRequestError) and "maintainerId" not in body:
                        self._refuse_service_token_without_maintainer(exc)
                    raise exc from None
                if existing.archived:
                    logger.warning("%s exists archived; restoring it", key)
                    return existing, False  # _converge restores it and applies the declaration
                if uncertain and _matches_sent(existing, address.project, desired):
                    return existing, False  # our own earlier POST landed after all
                if spec.adopt:
                    return existing, True
                raise _exists_error(address) from None

    def _refuse_service_token_without_maintainer(self, refusal: InvalidRequestError) -> None:
        """Explain a refused create when the token is a service token and no maintainer was
        given (verified live: LaunchDarkly then needs ``maintainerId``; ``/members/me`` is a
        404 for such a token)."""
        try:
            self.context.client().request("GET", paths.member("me"))
        except NotFoundError:
            message = service_token_message(self.context.settings, "experiment")
            error = ConfigurationError([Problem("maintainerId", message)])
            error.add_note(f"LaunchDarkly's answer: {refusal.message}")
            raise error from None
        except LaunchDarklyError:
            return  # cannot tell: LaunchDarkly's own refusal stands

    # -- read -------------------------------------------------------------------------------

    def read(self, id_: str, stored: Mapping[str, Any]) -> Observed | None:
        """The live experiment as state, or None when it is gone (archived counts as gone)."""
        address = Address.from_state(id_, stored)
        hint = state.declared_part(stored)
        resolved = dict(stored.get(RESOLVED_OUTPUT) or {})
        with operation_errors("read", f"experiment {address}"):
            try:
                rep = api.get_experiment(self.context.client(), address)
            except NotFoundError:
                return None
            if rep.archived:
                # Archived is what destroy leaves behind: for Pulumi the experiment is gone.
                return None
            live = state.declared_from_live(rep, address.project, apply_resolved(hint, resolved))
            live = restore_declared(live, hint, resolved)
            outputs = state.outputs(rep, live, resolved, self._shipped(rep, address))
            return Observed(str(address), outputs, live)

    # -- update -----------------------------------------------------------------------------

    def update(self, spec: ExperimentSpec, stored_outputs: Mapping[str, Any]) -> dict[str, Any]:
        """Converge from what the stored outputs say (re-reading if they prove stale)."""
        user = state.declared(spec)
        address = Address.of(spec)
        old_resolved = dict(stored_outputs.get(RESOLVED_OUTPUT) or {})
        with operation_errors("update", f"experiment {address}"):
            # A name kept at its place keeps what it resolved to: a left-out flag version stays
            # the one the experiment was created with, so the flag's next version is no change.
            old_user = state.declared_part(stored_outputs)
            known = reusable(old_resolved, old_user, user)
            if plan.makes_new_iteration(old_user, user):
                # A new iteration runs on the flag as it is now (a shipped winner moved its
                # version on): look a left-out version up again.
                known = {path: v for path, v in known.items() if not is_flag_version(path)}
            _, desired, resolved = self._resolved(spec, user, known)
            live = state.live_from_outputs(stored_outputs)
            live.declared = apply_resolved(live.declared, old_resolved)
            rep = self._converge(address, desired, live=live)
            return self._outputs(rep, address, desired, user, resolved)

    # -- converge ---------------------------------------------------------------------------

    def _converge(
        self,
        address: Address,
        desired: dict[str, Any],
        *,
        rep: ExperimentRep | None = None,
        live: LiveView | None = None,
    ) -> ExperimentRep:
        """PATCH step by step until the experiment matches ``desired``; returns the last answer.

        Starts from ``rep`` (fresh) or ``live`` (from state, possibly stale). Conflicts and unknown
        outcomes re-read and re-plan, so nothing is applied twice. A failure after some steps
        landed says which, so the user knows to refresh.
        """
        client = self.context.client()
        window = client.retry_window()
        fresh = rep is not None
        if rep is not None:
            live = state.live_from_rep(rep, address.project, desired)
        assert live is not None
        applied: list[str] = []
        try:
            while True:
                try:
                    instructions = plan.next_instructions(live, desired)
                except ChangeRefused:
                    if fresh:
                        raise
                    # Decided on state that may be stale: decide again on a fresh read.
                    rep, live, fresh = self._reread(address, desired)
                    continue
                if not instructions:
                    if rep is None or _is_partial(rep, desired):
                        # Done only when a complete answer says so: read back, plan again.
                        rep, live, fresh = self._reread(address, desired)
                        continue
                    break
                if len(applied) >= MAX_PATCH_STEPS:
                    raise LaunchDarklyError(
                        f"experiment {address.key!r} did not reach the declared state after "
                        f"{MAX_PATCH_STEPS} instructions; run `pulumi refresh` and try again"
                    )
                try:
                    rep = api.patch_experiment(client, address, instructions)
                except (OutcomeUnknown, ConflictError) as exc:
                    if isinstance(exc, ConflictError) and _starts(instructions):
                        # A 409 from a start whose cause is another running experiment on the
                        # same flag rule is no race: retrying cannot help.
                        self._refuse_rule_conflict(address, desired)
                    # Applied or not? Conflicted? Re-read and re-plan: nothing is applied twice.
                    window.wait(exc)
                    rep, live, fresh = self._reread(address, desired)
                    continue
                except InvalidRequestError:
                    if fresh:
                        raise
                    rep, live, fresh = self._reread(address, desired)
                    if plan.next_instructions(live, desired) == instructions:
                        raise  # refused on fresh state too: LaunchDarkly's message stands
                    continue
                applied.extend(i["kind"] for i in instructions)
                if _starts(instructions) or _stops(instructions):
                    # Which experiments run on which flag rule just changed, and the flags'
                    # serving and version with it (a stop ships the winner).
                    self._forget_flags_and_running(address, desired)
                if _is_partial(rep, desired):
                    # Never plan from a partial answer: read it back once, expanded.
                    rep = api.get_experiment(client, address)
                live, fresh = state.live_from_rep(rep, address.project, desired), True
        except LaunchDarklyError as exc:
            if applied:
                exc.add_note(
                    f"Already applied in LaunchDarkly before this failure: {', '.join(applied)}. "
                    "Run `pulumi refresh` to record it in the stack's state."
                )
            raise
        assert rep is not None  # the loop ends on a complete answer
        return rep

    def _forget_flags_and_running(self, address: Address, desired: Mapping[str, Any]) -> None:
        """A start or stop changed which experiments run, and what this experiment's flags
        serve (and their version); other flags are as they were."""
        iteration = desired.get("iteration") or {}
        flags = set(iteration.get("flags") or {}) | {
            str(parameter.get("flagKey"))
            for treatment in iteration.get("treatments") or []
            for parameter in treatment.get("parameters") or []
        }
        self.context.lookups().forget(
            paths.experiments(address.project, address.environment),
            *(paths.flag(address.project, key) for key in sorted(flags)),
        )

    def _refuse_rule_conflict(self, address: Address, desired: dict[str, Any]) -> None:
        """Raise naming the running experiment that holds one of ``desired``'s flag rules."""
        iteration = desired.get("iteration") or {}
        lookups = self.context.lookups()
        lookups.forget(paths.experiments(address.project, address.environment))
        for flag_key, config in (iteration.get("flags") or {}).items():
            rule = config.get("ruleId") if isinstance(config, dict) else None
            if not isinstance(rule, str):
                continue
            try:
                running = lookups.running_experiments(
                    address.project, address.environment, flag_key
                )
            except LaunchDarklyError:
                return  # cannot tell: treat the 409 as the race it may be
            other = running_on_rule(running, flag_key, rule, other_than=address.key)
            if other is not None:
                raise LaunchDarklyError(rule_conflict_message(flag_key, rule, other))

    def _shipped(self, rep: ExperimentRep, address: Address) -> dict[str, Any]:
        """``state.shipped`` with the flags' variations looked up (cached per process)."""
        current = rep.current_iteration
        if current is None or not current.winning_treatment_id:
            return {}
        flags: dict[str, Any] = {}
        for flag_key in current.flags or {}:
            try:
                flags[flag_key] = self.context.lookups().get_flag(
                    address.project, flag_key, address.environment
                )
            except LaunchDarklyError as exc:
                logger.warning("could not read flag %s for the shipped output: %s", flag_key, exc)
        return state.shipped(rep, flags)

    def _outputs(
        self,
        rep: ExperimentRep,
        address: Address,
        desired: dict[str, Any],
        user: dict[str, Any],
        resolved: dict[str, Any],
    ) -> dict[str, Any]:
        """Outputs in the user's form (names where they were given) plus the resolutions."""
        live = restore_declared(
            state.declared_from_live(rep, address.project, desired), user, resolved
        )
        return state.outputs(rep, live, resolved, self._shipped(rep, address))

    def _reread(
        self, address: Address, desired: dict[str, Any]
    ) -> tuple[ExperimentRep, LiveView, bool]:
        rep = api.get_experiment(self.context.client(), address)
        return rep, state.live_from_rep(rep, address.project, desired), True

    # -- archive ----------------------------------------------------------------------------

    def delete(self, id_: str, stored: Mapping[str, Any]) -> None:
        """Archive the experiment (LaunchDarkly has no delete); return once the archive is seen."""
        address = Address.from_state(id_, stored)
        with operation_errors("delete", f"experiment {address}"):
            client = self.context.client()
            window = client.retry_window()
            stopped_first = False
            while True:
                try:
                    api.patch_experiment(client, address, [{"kind": "archiveExperiment"}])
                    return
                except NotFoundError:
                    return  # already gone: nothing to archive
                except InvalidRequestError:
                    # LaunchDarkly may refuse to archive a running experiment: stop it first.
                    if stopped_first or not self._stop_for_archive(address):
                        raise
                    stopped_first = True
                    continue
                except OutcomeUnknown as exc:
                    # Only report success once the archive is confirmed: Pulumi then forgets it.
                    try:
                        if api.get_experiment(client, address, expand="").archived:
                            return
                    except NotFoundError:
                        return
                    window.wait(exc)

    def _stop_for_archive(self, address: Address) -> bool:
        """Stop a running iteration so it can be archived; False when none is running.

        Nothing declares a winner at destroy: the baseline (what users see without the
        experiment) is recorded as the winner, and the reason says why.
        """
        client = self.context.client()
        rep = api.get_experiment(client, address)
        current = rep.current_iteration
        if current is None or current.status != IterationStatus.RUNNING:
            return False
        treatments = current.treatments or []
        baseline = next(
            (t for t in treatments if t.baseline), treatments[0] if treatments else None
        )
        if baseline is None or baseline.id is None:
            return False
        logger.warning("%s is running; stopping it (baseline as winner) to archive it", address)
        api.patch_experiment(
            client,
            address,
            [
                {
                    "kind": "stopIteration",
                    "winningTreatmentId": baseline.id,
                    "winningReason": ARCHIVE_STOP_REASON,
                }
            ],
        )
        return True


ARCHIVE_STOP_REASON = (
    "Stopped by Pulumi to archive the experiment (resource deleted); no winner was declared, so "
    "the baseline is recorded"
)


# -- helpers ----------------------------------------------------------------------------------


def _starts(instructions: list[dict[str, Any]]) -> bool:
    return any(
        i.get("kind") in ("startIteration", "saveAndStartNewIteration") for i in instructions
    )


def _stops(instructions: list[dict[str, Any]]) -> bool:
    return any(i.get("kind") in ("stopIteration", "archiveExperiment") for i in instructions)


def _exists_error(address: Address) -> LaunchDarklyError:
    return ConflictError(
        409,
        "conflict",
        f"an experiment with key {address.key!r} already exists in "
        f"{address.project}/{address.environment} and is not managed by this stack; set "
        "adopt=True to take it over (it will be changed to match this declaration), or choose "
        "another key",
        method="POST",
        path="experiments",
    )


def _matches_sent(existing: ExperimentRep, project: str, desired: Mapping[str, Any]) -> bool:
    """Is ``existing`` the experiment our own earlier POST created (same body)?"""
    live = state.declared_from_live(existing, project, dict(desired))
    keys = ("name", "description", "iteration", "tags", "methodology", "dataSource", "type")
    return not existing.archived and all(live.get(k) == desired.get(k) for k in keys)


def _is_partial(rep: ExperimentRep, desired: Mapping[str, Any]) -> bool:
    """Does ``rep`` lack what planning or the outputs read?

    LaunchDarkly documents ``expand`` on GET only, so a write's answer may leave out every
    expansion. Treatments are always there when the answer renders expansions (an iteration has
    at least one), so their absence marks a partial answer; previous iterations are then left
    out only when there are none.
    """
    current = rep.current_iteration
    return (
        current is None
        or current.treatments is None
        or ("analysisConfig" in desired and rep.analysis_config is None)
    )
