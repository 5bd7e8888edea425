"""The ExperimentationSettings kind: a project's randomization units, one resource per project.

The settings always exist, so the resource takes them over: its create records the units it
found (``previousRandomizationUnits``) before it PUTs the declared ones, and its delete PUTs the
recorded ones back. Its declaration is the class below, with its operations; its models, rules
and state are the modules beside it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ....errors import NotFoundError, Problem
from ... import paths
from ...kind import IdFormat, Observed, ResourceKind, Written
from ..checks import found, quoted
from ..operations import converge, operation_errors
from . import state
from .models import RandomizationUnit, SettingsOutputs, SettingsRep, SettingsSpec
from .rules import RULES

logger = logging.getLogger(__name__)


class ExperimentationSettings(ResourceKind[SettingsSpec]):
    """The declaration of the ExperimentationSettings kind, and its operations."""

    name = "ExperimentationSettings"
    description = (
        "A LaunchDarkly project's experimentation settings: its randomization units (one "
        "resource per project). The id is `<projectKey>`, which `pulumi import` takes. Creating "
        "the resource records the units the project had; deleting it puts them back."
    )
    inputs = SettingsSpec
    outputs = SettingsOutputs
    replace_on = ("projectKey",)
    id_format = IdFormat(("projectKey",))
    rules = RULES
    settings_defaults = {"projectKey": "project_key"}
    on_delete = (
        "the project's units are restored to those recorded when the resource took them over "
        "(`previousRandomizationUnits`; at an import, the units it found)"
    )

    def declared(self, spec: SettingsSpec) -> dict[str, Any]:
        form = super().declared(spec)
        form["randomizationUnits"] = state.canonical(form["randomizationUnits"])
        return form

    def references(self, inputs: Mapping[str, Any]) -> list[Problem]:
        """Each unit must be a context kind of the project."""
        project = str(inputs["projectKey"])
        kinds = found(self.context.lookups().list_context_kinds, project)
        if kinds is None:
            return [
                Problem("projectKey", f"project {project!r} not found (or the token cannot see it)")
            ]
        keys = [str(k.get("key")) for k in kinds if isinstance(k, dict) and not k.get("archived")]
        return [
            Problem(
                f"randomizationUnits[{index}].randomizationUnit",
                f"{unit['randomizationUnit']!r} is not a context kind of project {project!r}; "
                f"context kinds: {quoted(keys)} (PUT .../context-kinds/<key> creates one)",
            )
            for index, unit in enumerate(inputs["randomizationUnits"])
            if unit["randomizationUnit"] not in keys
        ]

    # -- create, read, update, delete -------------------------------------------------------

    def create(self, spec: SettingsSpec) -> Written:
        """Record the project's units, then PUT the declared ones (unless they are already)."""
        desired = self.declared(spec)
        project = spec.project_key
        with operation_errors("create", f"experimentation settings of {project}"):
            rep = self._get(project)
            previous = state.live_units(rep, [])
            live = state.outputs(rep, project, desired["randomizationUnits"], previous)
            units = desired["randomizationUnits"]
            outputs = self._converge(project, units, previous, live, fresh=True)
            return Written(project, outputs)

    def read(self, id_: str, stored: Mapping[str, Any]) -> Observed | None:
        """The project's units; at an import, the units found are also what delete restores."""
        project = self.id_format.address(id_, stored)["projectKey"]
        hint = list(stored.get("randomizationUnits") or [])
        with operation_errors("read", f"experimentation settings of {project}"):
            try:
                rep = self._get(project)
            except NotFoundError:
                return None
            previous = stored.get("previousRandomizationUnits")
            if previous is None:
                previous = state.live_units(rep, [])
            outputs = state.outputs(rep, project, hint, list(previous))
            return Observed(id_, outputs, self.declared_part(outputs))

    def update(self, spec: SettingsSpec, stored: Mapping[str, Any]) -> dict[str, Any]:
        desired = self.declared(spec)
        project = spec.project_key
        previous = list(stored.get("previousRandomizationUnits") or [])
        with operation_errors("update", f"experimentation settings of {project}"):
            units = desired["randomizationUnits"]
            return self._converge(project, units, previous, dict(stored), fresh=False)

    def delete(self, id_: str, stored: Mapping[str, Any]) -> None:
        """PUT back the units recorded when the resource took them over."""
        project = self.id_format.address(id_, stored)["projectKey"]
        previous = list(stored.get("previousRandomizationUnits") or [])
        if not previous:
            logger.warning("no units recorded for %s: its units are left as they are", project)
            return
        with operation_errors("delete", f"experimentation settings of {project}"):
            self._converge(project, previous, previous, dict(stored), fresh=False)

    # -- helpers ----------------------------------------------------------------------------

    def _get(self, project: str) -> SettingsRep:
        answer = self.context.client().request("GET", paths.experimentation_settings(project))
        return SettingsRep.model_validate(answer)

    def _converge(
        self,
        project: str,
        units: list[dict[str, Any]],
        previous: list[dict[str, Any]],
        live: dict[str, Any],
        *,
        fresh: bool,
    ) -> dict[str, Any]:
        """PUT ``units`` until the project has them; the outputs at the end."""
        path = paths.experimentation_settings(project)

        def put(body: dict[str, Any]) -> dict[str, Any]:
            answer = self.context.client().request("PUT", path, json=body)
            return state.outputs(SettingsRep.model_validate(answer), project, units, previous)

        return converge(
            self.context.client(),
            live=live,
            fresh=fresh,
            plan=lambda current: (
                None
                if state.same_units(current.get("randomizationUnits") or [], units)
                else state.put_body(units)
            ),
            send=put,
            read=lambda: state.outputs(self._get(project), project, units, previous),
            describe=lambda body: "PUT randomizationUnits",
        )


__all__ = ["ExperimentationSettings", "RandomizationUnit"]
