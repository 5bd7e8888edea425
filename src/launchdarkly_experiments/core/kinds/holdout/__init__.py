"""The Holdout kind: a holdout in one project and environment.

Its declaration is the class below, with its operations; its models, rules, state and reference
checks are the modules beside it. What LaunchDarkly allows shapes it: a holdout takes a new name
and description (semantic patch ``updateName``, ``updateDescription``) and nothing else; there is
no DELETE, so destroying it ends it (``endHoldout``), and an ended holdout keeps its key for good
(a holdout cannot restart).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ....errors import ConflictError, LaunchDarklyError, NotFoundError, Problem
from ....http.client import SEMANTIC_PATCH
from ... import paths
from ...kind import IdFormat, Observed, ResourceKind, Written
from ...rules import Declaration
from ..operations import converge, create_once, exists_error, operation_errors
from . import state
from .models import HoldoutOutputs, HoldoutRep, HoldoutSpec
from .references import check_references
from .rules import (
    ADDRESS_FIELDS,
    FIXED_FIELDS,
    RULES,
    SERVER_DEFAULTS,
    STEERING,
    change_problems,
    known_fields,
)

logger = logging.getLogger(__name__)

CHANGE_RULE_FIELDS = (*ADDRESS_FIELDS, *FIXED_FIELDS)

END_WARNING = (
    "LaunchDarkly has no delete for holdouts: %s is ended (endHoldout) instead; it keeps its "
    "key, and a holdout cannot restart"
)


class Holdout(ResourceKind[HoldoutSpec]):
    """The declaration of the Holdout kind, and its operations."""

    name = "Holdout"
    description = (
        "A LaunchDarkly holdout in one project and environment: a share of traffic kept out of "
        "the experiments in it. The id is `<projectKey>/<environmentKey>/<key>`, which `pulumi "
        "import` takes. Only the name and description change in place; deleting the resource "
        "ends the holdout (LaunchDarkly has no delete), and an ended holdout keeps its key."
    )
    inputs = HoldoutSpec
    outputs = HoldoutOutputs
    replace_on = ADDRESS_FIELDS
    steering = STEERING
    id_format = IdFormat(ADDRESS_FIELDS)
    rules = RULES
    settings_defaults = {"projectKey": "project_key", "environmentKey": "environment_key"}
    server_defaults = SERVER_DEFAULTS
    change_notes = {
        name: "refused at preview (cannot change: give the holdout a new key)"
        for name in FIXED_FIELDS
    }
    on_delete = (
        "ended with `endHoldout` (LaunchDarkly has no delete; a warning says so when it "
        "happens); an ended holdout keeps its key, so declaring that key again fails: a holdout "
        "cannot restart"
    )

    # -- check: the change rules -----------------------------------------------------------

    def change_problems(self, old: Mapping[str, Any], new: Declaration) -> list[Problem]:
        known = known_fields(new, CHANGE_RULE_FIELDS)  # the rules wait for known values
        return [] if known is None else change_problems(old, known)

    def references(self, inputs: Mapping[str, Any]) -> list[Problem]:
        return check_references(inputs, self.context)

    # -- create, read, update, delete -------------------------------------------------------

    def create(self, spec: HoldoutSpec) -> Written:
        """POST the holdout once (or continue with the one an unknown outcome made, or adopt
        the key's), then give it the declared name and description if it had others."""
        desired = self.declared(spec)
        address = self.id_format.format(desired)
        client = self.context.client()
        with operation_errors("create", f"holdout {address}"):
            body = state.post_body(spec, self.context.settings.maintainer_id)
            rep, _ = create_once(
                client,
                f"holdout {address}",
                post=lambda: self._post(spec, body),
                find=lambda: self._find(spec.project_key, spec.environment_key, spec.key),
                is_ours=lambda rep: (
                    not rep.ended
                    and state.matches_sent(
                        state.declared_from_live(rep, spec.project_key, spec.environment_key),
                        desired,
                    )
                ),
                take_over=lambda rep: self._take_over(rep, spec),
                exists=lambda: exists_error(
                    "holdout", spec.key, f"{spec.project_key}/{spec.environment_key}"
                ),
            )
            live = self._outputs(rep, spec.project_key, spec.environment_key, desired)
            outputs = self._converge(spec, live, fresh=True)
            return Written(address, outputs)

    def read(self, id_: str, stored: Mapping[str, Any]) -> Observed | None:
        """The live holdout, or None when it is gone (an ended holdout counts as gone)."""
        where = self.id_format.address(id_, stored)
        with operation_errors("read", f"holdout {id_}"):
            rep = self._find(where["projectKey"], where["environmentKey"], where["key"])
            if rep is None or rep.ended:
                return None
            hint = self.declared_part(stored)
            outputs = self._outputs(rep, where["projectKey"], where["environmentKey"], hint)
            return Observed(id_, outputs, self.declared_part(outputs))

    def update(self, spec: HoldoutSpec, stored: Mapping[str, Any]) -> dict[str, Any]:
        """Rename or redescribe in place (one PATCH); nothing else of a holdout can change."""
        address = self.id_format.format(self.declared(spec))
        with operation_errors("update", f"holdout {address}"):
            return self._converge(spec, dict(stored), fresh=False)

    def delete(self, id_: str, stored: Mapping[str, Any]) -> None:
        """End the holdout (LaunchDarkly has no delete); return once it is seen ended."""
        where = self.id_format.address(id_, stored)
        project, environment, key = where["projectKey"], where["environmentKey"], where["key"]
        logger.warning(END_WARNING, f"holdout {id_}")
        with operation_errors("delete", f"holdout {id_}"):
            converge(
                self.context.client(),
                live=dict(stored),
                fresh=False,
                plan=lambda live: None if live.get("status") in (None, "ended") else "end",
                send=lambda _: self._end(project, environment, key, stored),
                read=lambda: self._ended_or_live(project, environment, key, stored),
                describe=lambda _: "endHoldout",
            )

    # -- helpers ----------------------------------------------------------------------------

    def _post(self, spec: HoldoutSpec, body: dict[str, Any]) -> HoldoutRep:
        path = paths.holdouts(spec.project_key, spec.environment_key)
        return HoldoutRep.model_validate(self.context.client().request("POST", path, json=body))

    def _find(self, project: str, environment: str, key: str) -> HoldoutRep | None:
        path = paths.holdout(project, environment, key)
        try:
            return HoldoutRep.model_validate(self.context.client().request("GET", path))
        except NotFoundError:
            return None

    def _patch(
        self,
        project: str,
        environment: str,
        key: str,
        instructions: list[dict[str, Any]],
        hint: Mapping[str, Any],
    ) -> dict[str, Any]:
        answer = self.context.client().request(
            "PATCH",
            paths.holdout(project, environment, key),
            json={"instructions": instructions},
            content_type=SEMANTIC_PATCH,
        )
        return self._outputs(HoldoutRep.model_validate(answer), project, environment, hint)

    def _end(
        self, project: str, environment: str, key: str, hint: Mapping[str, Any]
    ) -> dict[str, Any]:
        """``endHoldout``; a holdout that is gone counts as ended."""
        try:
            return self._patch(project, environment, key, [{"kind": "endHoldout"}], hint)
        except NotFoundError:
            return {"status": "ended"}

    def _ended_or_live(
        self, project: str, environment: str, key: str, hint: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The holdout's outputs; a holdout that is gone reads as ended."""
        rep = self._find(project, environment, key)
        if rep is None:
            return {"status": "ended"}
        return self._outputs(rep, project, environment, hint)

    def _outputs(
        self, rep: HoldoutRep, project: str, environment: str, hint: Mapping[str, Any]
    ) -> dict[str, Any]:
        return state.outputs(rep, project, environment, self.declared_part(hint))

    def _take_over(self, rep: HoldoutRep, spec: HoldoutSpec) -> bool:
        """Continue with a holdout that has the key: only with ``adopt``, never an ended one,
        and only if what cannot change is as declared."""
        where = f"{spec.project_key}/{spec.environment_key}"
        if rep.ended:
            raise ConflictError(
                409,
                "conflict",
                f"holdout {spec.key!r} in {where} has ended, and a holdout cannot restart (an "
                "ended holdout keeps its key for good); give the holdout a new key",
                method="POST",
                path="holdouts",
            )
        if not spec.adopt:
            return False
        live = state.declared_from_live(rep, spec.project_key, spec.environment_key)
        differences = change_problems(live, self.declared(spec))
        if differences:
            raise LaunchDarklyError(
                f"cannot adopt holdout {spec.key!r} in {where}: it differs from the declaration "
                f"in {', '.join(p.property for p in differences)}, which cannot change; declare "
                "it as it is, or give the holdout a new key"
            )
        return True

    def _converge(self, spec: HoldoutSpec, live: dict[str, Any], *, fresh: bool) -> dict[str, Any]:
        """PATCH until the live name and description are the declared ones."""
        desired = self.declared(spec)
        project, environment, key = spec.project_key, spec.environment_key, spec.key

        def plan(current: dict[str, Any]) -> list[dict[str, Any]] | None:
            if current.get("status") == "ended":
                raise LaunchDarklyError(
                    f"holdout {key!r} has ended (outside this stack?), and a holdout cannot "
                    "restart; give the holdout a new key"
                )
            fixed = change_problems(current, desired)
            if fixed:
                raise LaunchDarklyError(f"{fixed[0].property}: {fixed[0].message}")
            return state.instructions(current, desired) or None

        def read() -> dict[str, Any]:
            rep = self._find(project, environment, key)
            if rep is None:
                raise NotFoundError(
                    404,
                    "not_found",
                    f"holdout {key!r} not found (deleted outside this stack?); run `pulumi "
                    "refresh`",
                    method="GET",
                    path=paths.holdout(project, environment, key),
                )
            return self._outputs(rep, project, environment, desired)

        return converge(
            self.context.client(),
            live=live,
            fresh=fresh,
            plan=plan,
            send=lambda step: self._patch(project, environment, key, step, desired),
            read=read,
            describe=lambda step: ", ".join(i["kind"] for i in step),
        )
