"""The dynamic provider: Pulumi dicts in, models, plan, client, Pulumi dicts out.

COMPATIBILITY CONTRACT: ``launchdarkly_experiments.provider.ExperimentProvider`` is pickled by
reference into every resource's state. Never move or rename this module or the class.

Nothing credential-like lives on a pickled instance: ``__getstate__`` keeps no attributes, and the
settings (token included) and the HTTP client are built per provider-host process, in
``configure()`` or on first use.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from . import plan
from .client import LaunchDarklyClient, OutcomeUnknown, RetryPolicy
from .config import SETTINGS, Settings, resolve_settings
from .errors import (
    APIError,
    ConflictError,
    InvalidRequestError,
    LaunchDarklyError,
    NotFoundError,
)
from .models import ExperimentRep, ExperimentSpec, IterationStatus, validation_problems
from .unknowns import depends_on_unknown, has_unknown, with_stand_ins

logger = logging.getLogger("launchdarkly_experiments.provider")

MAX_PATCH_STEPS = 8


class ExperimentProvider(ResourceProvider):
    """CRUD for ``launchdarkly:Experiment`` over LaunchDarkly's experiments API."""

    def __init__(self) -> None:
        self._setup()

    def _setup(self) -> None:
        self._lock = threading.Lock()
        self._settings: Settings | None = None
        self._client: LaunchDarklyClient | None = None

    # The instance is pickled into state: keep nothing (no token, client or lock).
    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._setup()

    # -- settings and client ---------------------------------------------------------------

    def configure(self, req: ConfigureRequest) -> None:
        config: dict[str, str] = {}
        for setting in SETTINGS:
            value = req.config.get(setting.config_key)
            if value is not None:
                config[setting.config_key] = str(value)
        self.use_settings(resolve_settings(config, os.environ))

    def use_settings(self, settings: Settings) -> None:
        """Settings resolved by a host (this adapter's configure, or the native plugin's)."""
        with self._lock:
            self._settings = settings
            self._client = None
        _log_to_stderr(settings.log_level)

    @property
    def settings(self) -> Settings:
        with self._lock:
            if self._settings is None:
                self._settings = resolve_settings({}, os.environ)
            return self._settings

    def client(self) -> LaunchDarklyClient:
        """The shared client, built on first use (a missing token fails here, not at preview)."""
        settings = self.settings
        with self._lock:
            if self._client is None:
                self._client = LaunchDarklyClient(
                    settings.require_token(),
                    settings.api_host,
                    timeout=settings.request_timeout,
                    retry=RetryPolicy(deadline=settings.retry_deadline),
                    max_concurrent_requests=settings.max_concurrent_requests,
                )
            return self._client

    # -- check ------------------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        # Unset inputs arrive as None; computed outputs are seeded as None by the resource class.
        props = {k: v for k, v in plan.declared_part(news).items() if v is not None}
        settings = self.settings
        for name, default in (
            ("projectKey", settings.project_key),
            ("environmentKey", settings.environment_key),
        ):
            if props.get(name) is None and default:
                props[name] = default
        props.pop(plan.ITERATION_CHANGE, None)

        if has_unknown(props):
            return self._check_with_unknowns(_olds, props)

        problems = validation_problems(props)
        if problems:
            return CheckResult(props, [CheckFailure(p, r) for p, r in problems])

        inputs = plan.declared(ExperimentSpec.model_validate(props))
        return CheckResult(inputs, _change_failures(_olds, inputs, inputs))

    def _check_with_unknowns(self, olds: dict[str, Any], props: dict[str, Any]) -> CheckResult:
        """Preview with values not known yet: report only what is wrong whatever they become."""
        problems = validation_problems(props)
        stand_in = with_stand_ins(props)
        if stand_in is not None:
            # Unknown leaves replaced by values of the right type: the rules across fields run.
            problems = stand_in.cross_field_problems()
        failures = [
            CheckFailure(prop, reason)
            for prop, reason in problems
            if not depends_on_unknown(props, prop)
        ]
        rule_inputs = {k: props.get(k) for k in plan.CHANGE_RULE_FIELDS}
        if stand_in is not None and not has_unknown(rule_inputs):
            failures += _change_failures(olds, plan.declared(stand_in), props)
        return CheckResult(props, failures)

    # -- diff -------------------------------------------------------------------------------

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        old = plan.declared_part(_olds)
        new = plan.declared_part(_news)
        if _news.get(plan.ITERATION_CHANGE):
            new[plan.ITERATION_CHANGE] = _news[plan.ITERATION_CHANGE]
        difference = plan.diff(old, new)
        # A replacement creates the new experiment first, then archives the old one: the address
        # differs, so both can exist, and nothing is lost if the create fails.
        return DiffResult(
            changes=difference.changes,
            replaces=list(difference.replaces),
            delete_before_replace=False,
        )

    # -- create -----------------------------------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = ExperimentSpec.model_validate(plan.declared_part(props))
        desired = plan.declared(spec)
        project, env, key = spec.project_key, spec.environment_key, spec.key
        where = _address(project, env, key)
        with _operation("create", where):
            rep, adopted = self._create_or_take_over(spec, desired)
            try:
                rep = self._converge(project, env, key, rep, desired)
            except (LaunchDarklyError, plan.PlanError) as exc:
                # Pulumi records nothing for a failed create: archive what this create made or
                # restored, so the next `pulumi up` restores it and tries again (no orphan).
                if not adopted and self._archive_quietly(project, env, key):
                    exc.add_note(
                        "The experiment was archived again; the next `pulumi up` restores it "
                        "and retries."
                    )
                raise
            return CreateResult(where, self._outputs(rep, project, desired))

    def _archive_quietly(self, project: str, env: str, key: str) -> bool:
        try:
            self.client().patch_experiment(project, env, key, [{"kind": "archiveExperiment"}])
        except LaunchDarklyError as exc:
            logger.warning("could not archive %s after a failed create: %s", key, exc)
            return False
        return True

    def _create_or_take_over(
        self, spec: ExperimentSpec, desired: dict[str, Any]
    ) -> tuple[ExperimentRep, bool]:
        """POST the experiment, or find the one to continue with; True when adopted."""
        client = self.client()
        project, env, key = spec.project_key, spec.environment_key, spec.key
        body = spec.body().wire()
        window = client.retry_window()
        uncertain = False
        while True:
            try:
                return client.create_experiment(project, env, body), False
            except OutcomeUnknown as exc:
                # The POST may have landed: look before sending it again.
                logger.warning("create of %s had an unknown outcome (%s); checking", key, exc)
                uncertain = True
                try:
                    existing = client.get_experiment(project, env, key)
                except NotFoundError:
                    window.wait(exc)
                    continue
                if _matches_sent(existing, project, desired):
                    return existing, False
                raise self._exists_error(existing, project, env, key) from None
            except ConflictError:
                existing = client.get_experiment(project, env, key)
                if existing.archived:
                    logger.warning("%s exists archived; restoring it", key)
                    return existing, False  # _converge restores it and applies the declaration
                if uncertain and _matches_sent(existing, project, desired):
                    return existing, False  # our own earlier POST landed after all
                if spec.adopt:
                    return existing, True
                raise self._exists_error(existing, project, env, key) from None

    @staticmethod
    def _exists_error(
        existing: ExperimentRep, project: str, env: str, key: str
    ) -> LaunchDarklyError:
        return ConflictError(
            409,
            "conflict",
            f"an experiment with key {key!r} already exists in {project}/{env} and is not "
            "managed by this stack; set adopt=True to take it over (it will be changed to match "
            "this declaration), or choose another key",
            method="POST",
            path="experiments",
        )

    # -- read -------------------------------------------------------------------------------

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        project, env, key = _split_id(id_, props)
        where = _address(project, env, key)
        hint = plan.declared_part(props)
        with _operation("read", where):
            try:
                rep = self.client().get_experiment(project, env, key)
            except NotFoundError:
                return ReadResult(None, {})
            if rep.archived:
                # Archived is what destroy leaves behind: for Pulumi the experiment is gone.
                return ReadResult(None, {})
            live = plan.declared_from_live(rep, project, hint)
            return ReadResult(where, plan.outputs(rep, live), live)

    # -- update -----------------------------------------------------------------------------

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        spec = ExperimentSpec.model_validate(plan.declared_part(_news))
        desired = plan.declared(spec)
        project, env, key = spec.project_key, spec.environment_key, spec.key
        with _operation("update", _address(project, env, key)):
            live = _live_from_outputs(_olds)
            rep = self._converge(project, env, key, None, desired, live=live)
            if rep is None:
                # Nothing to send (steering inputs only): keep what LaunchDarkly last said.
                outs = {k: v for k, v in _olds.items() if k in plan.OUTPUT_ONLY_FIELDS}
                return UpdateResult({**desired, **outs})
            return UpdateResult(self._outputs(rep, project, desired))

    def _converge(
        self,
        project: str,
        env: str,
        key: str,
        rep: ExperimentRep | None,
        desired: dict[str, Any],
        *,
        live: plan.LiveView | None = None,
    ) -> ExperimentRep:
        """PATCH step by step until the experiment matches ``desired``; returns the last answer.

        Starts from ``rep`` (fresh) or ``live`` (from state, possibly stale). Conflicts and unknown
        outcomes re-read and re-plan, so nothing is applied twice. A failure after some steps
        landed says which, so the user knows to refresh.
        """
        client = self.client()
        window = client.retry_window()
        fresh = rep is not None
        if rep is not None:
            live = plan.LiveView.from_rep(rep, project, desired)
        assert live is not None
        applied: list[str] = []
        try:
            while True:
                try:
                    instructions = plan.next_instructions(live, desired)
                except plan.PlanError:
                    if fresh:
                        raise
                    # Decided on state that may be stale: decide again on a fresh read.
                    rep, live, fresh = self._reread(project, env, key, desired)
                    continue
                if not instructions:
                    break
                if len(applied) >= MAX_PATCH_STEPS:
                    raise LaunchDarklyError(
                        f"experiment {key!r} did not reach the declared state after "
                        f"{MAX_PATCH_STEPS} instructions; run `pulumi refresh` and try again"
                    )
                try:
                    rep = client.patch_experiment(project, env, key, instructions)
                except (OutcomeUnknown, ConflictError) as exc:
                    # Applied or not? Conflicted? Re-read and re-plan: nothing is applied twice.
                    window.wait(exc)
                    rep, live, fresh = self._reread(project, env, key, desired)
                    continue
                except InvalidRequestError:
                    if fresh:
                        raise
                    rep, live, fresh = self._reread(project, env, key, desired)
                    if plan.next_instructions(live, desired) == instructions:
                        raise  # refused on fresh state too: LaunchDarkly's message stands
                    continue
                applied.extend(i["kind"] for i in instructions)
                live, fresh = plan.LiveView.from_rep(rep, project, desired), True
        except (LaunchDarklyError, plan.PlanError) as exc:
            if applied:
                exc.add_note(
                    f"Already applied in LaunchDarkly before this failure: {', '.join(applied)}. "
                    "Run `pulumi refresh` to record it in the stack's state."
                )
            raise
        if rep is None or _needs_full_read(rep):
            rep = client.get_experiment(project, env, key)
        return rep

    def _reread(
        self, project: str, env: str, key: str, desired: dict[str, Any]
    ) -> tuple[ExperimentRep, plan.LiveView, bool]:
        rep = self.client().get_experiment(project, env, key)
        return rep, plan.LiveView.from_rep(rep, project, desired), True

    # -- delete -----------------------------------------------------------------------------

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        project, env, key = _split_id(_id, _props)
        with _operation("delete", _address(project, env, key)):
            client = self.client()
            window = client.retry_window()
            while True:
                try:
                    client.patch_experiment(project, env, key, [{"kind": "archiveExperiment"}])
                    return
                except NotFoundError:
                    return  # already gone: nothing to archive
                except OutcomeUnknown as exc:
                    # Only report success once the archive is confirmed: Pulumi then forgets it.
                    try:
                        if client.get_experiment(project, env, key, expand="").archived:
                            return
                    except NotFoundError:
                        return
                    window.wait(exc)

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _outputs(rep: ExperimentRep, project: str, desired: dict[str, Any]) -> dict[str, Any]:
        return plan.outputs(rep, plan.declared_from_live(rep, project, desired))


# -- module helpers ---------------------------------------------------------------------------


def _log_to_stderr(level: str) -> None:
    """The engine shows a dynamic provider's stderr to the user: log there, once."""
    package_logger = logging.getLogger("launchdarkly_experiments")
    package_logger.setLevel(level.upper())
    if not any(getattr(h, "_launchdarkly", False) for h in package_logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("launchdarkly: %(levelname)s %(message)s"))
        handler._launchdarkly = True  # type: ignore[attr-defined]
        package_logger.addHandler(handler)


def _change_failures(
    olds: Mapping[str, Any], new: dict[str, Any], inputs: dict[str, Any]
) -> list[CheckFailure]:
    """The change rules (type, lifecycle) between old inputs and ``new``, as check failures.

    When the change starts a new iteration, ``inputs`` gets the notice the preview shows.
    """
    old = {k: v for k, v in plan.declared_part(dict(olds)).items() if v is not None}
    if not old or has_unknown(old):
        return []
    refusals = plan.change_problems(old, new)
    if not refusals and plan.restarts_iteration(old, new):
        inputs[plan.ITERATION_CHANGE] = plan.NEW_ITERATION_NOTICE
    return [CheckFailure(r.property, r.message) for r in refusals]


def _address(project: str, env: str, key: str) -> str:
    return f"{project}/{env}/{key}"


def _split_id(id_: str, props: Mapping[str, Any]) -> tuple[str, str, str]:
    project, env, key = props.get("projectKey"), props.get("environmentKey"), props.get("key")
    if isinstance(project, str) and isinstance(env, str) and isinstance(key, str):
        return project, env, key
    parts = id_.split("/")
    if len(parts) != 3 or not all(parts):
        raise LaunchDarklyError(
            f"resource id {id_!r} is not of the form <projectKey>/<environmentKey>/<experimentKey>"
        )
    return parts[0], parts[1], parts[2]


def _live_from_outputs(outputs: Mapping[str, Any]) -> plan.LiveView:
    current = outputs.get("currentIteration") or {}
    status = current.get("status")
    return plan.LiveView(
        declared=plan.declared_part(dict(outputs)),
        status=IterationStatus(status) if status else None,
        treatment_ids=dict(current.get("treatmentIds") or {}),
        archived=outputs.get("archivedDate") is not None,
    )


def _matches_sent(existing: ExperimentRep, project: str, desired: Mapping[str, Any]) -> bool:
    """Is ``existing`` the experiment our own earlier POST created (same body)?"""
    live = plan.declared_from_live(existing, project, dict(desired))
    keys = ("name", "description", "iteration", "tags", "methodology", "dataSource", "type")
    return not existing.archived and all(live.get(k) == desired.get(k) for k in keys)


def _needs_full_read(rep: ExperimentRep) -> bool:
    current = rep.current_iteration
    return current is None or current.treatments is None


@contextmanager
def _operation(operation: str, where: str) -> Iterator[None]:
    """Name the operation and experiment in every error, and drop deep tracebacks."""
    try:
        yield
    except (LaunchDarklyError, plan.PlanError) as exc:
        error: Exception
        if isinstance(exc, APIError):
            error = exc.with_context(f"{operation} experiment {where}")
        elif isinstance(exc, plan.PlanError):
            error = LaunchDarklyError(f"{operation} experiment {where}: {exc}")
        else:
            error = type(exc)(f"{operation} experiment {where}: {exc}")
        for note in getattr(exc, "__notes__", ()):
            error.add_note(note)
        raise error from None
