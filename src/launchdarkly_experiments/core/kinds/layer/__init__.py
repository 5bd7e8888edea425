"""The Layer kind: a layer of a project, and the experiments it keeps mutually exclusive.

Its declaration is the class below, with its operations; its models, rules, state and reference
checks are the modules beside it. LaunchDarkly has no single GET for a layer (it is read from
the project's list) and no DELETE: destroying the resource removes the reservations it made and
leaves the layer, which a later declaration of its key takes over.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ....errors import NotFoundError, Problem
from ....http.client import SEMANTIC_PATCH
from ... import paths
from ...kind import IdFormat, Observed, ResourceKind, Written, declared_form
from ..operations import converge, create_once, exists_error, operation_errors
from . import state
from .models import LayerOutputs, LayerRep, LayerSpec
from .references import check_references
from .rules import RULES

logger = logging.getLogger(__name__)

STAYS_WARNING = (
    "LaunchDarkly has no delete for layers: layer %s stays in the project, without the "
    "reservations this stack made"
)


class Layer(ResourceKind[LayerSpec]):
    """The declaration of the Layer kind, and its operations."""

    name = "Layer"
    description = (
        "A LaunchDarkly layer of a project: experiments in it never share traffic, each getting "
        "the share it reserves per environment. The id is `<projectKey>/<key>`, which `pulumi "
        "import` takes. Deleting the resource removes its reservations and leaves the layer "
        "(LaunchDarkly has no delete)."
    )
    inputs = LayerSpec
    outputs = LayerOutputs
    replace_on = ("projectKey", "key")
    steering = ("adopt",)
    id_format = IdFormat(("projectKey", "key"))
    rules = RULES
    settings_defaults = {"projectKey": "project_key"}
    # The new layer cannot reserve an experiment the old one still holds.
    delete_before_replace = True
    change_notes = {
        "projectKey": "replace (the old layer's reservations are removed first)",
        "key": "replace (the old layer's reservations are removed first)",
        "reservations": "in place: one PATCH per environment that changes",
    }
    on_delete = (
        "its reservations are removed and the layer stays (LaunchDarkly has no delete; a "
        "warning says so); declaring its key again takes it over"
    )

    def declared(self, spec: LayerSpec) -> dict[str, Any]:
        form = declared_form(spec)
        if not form.get("reservations"):
            form.pop("reservations", None)
        return form

    def diff_view(
        self, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Reservations in the old order: a reorder is no change."""
        view = super().diff_view(news, olds)
        if olds and view.get("reservations"):
            old = state.reservations_of(olds)
            view["reservations"] = state.ordered_like(view["reservations"], old)
        return view

    def references(self, inputs: Mapping[str, Any]) -> list[Problem]:
        return check_references(inputs, self.context)

    # -- create, read, update, delete -------------------------------------------------------

    def create(self, spec: LayerSpec) -> Written:
        """POST the layer once (or continue with the one an unknown outcome made, one left
        without reservations, or the key's with ``adopt``), then PATCH its reservations in,
        one environment at a time."""
        desired = self.declared(spec)
        address = self.id_format.format(desired)
        subject = f"layer {address}"
        with operation_errors("create", subject):
            body = state.post_body(spec)
            rep, _ = create_once(
                self.context.client(),
                subject,
                post=lambda: self._post(spec.project_key, body),
                find=lambda: self._find(spec.project_key, spec.key, []),
                is_ours=lambda rep: (
                    (rep.name, rep.description or "") == (spec.name, body["description"])
                    and not state.declared_from_live(rep, spec.project_key, {}).get("reservations")
                ),
                take_over=lambda rep: self._take_over(rep, spec),
                exists=lambda: exists_error("layer", spec.key, f"project {spec.project_key!r}"),
            )
            live = state.outputs(rep, spec.project_key, desired)
            return Written(address, self._converge(desired, live, fresh=True))

    def read(self, id_: str, stored: Mapping[str, Any]) -> Observed | None:
        """The live layer from the project's list (no single GET), or None if it is not there."""
        where = self.id_format.address(id_, stored)
        hint = self.declared_part(stored)
        with operation_errors("read", f"layer {id_}"):
            rep = self._find(where["projectKey"], where["key"], state.reservations_of(hint))
            if rep is None:
                return None
            outputs = state.outputs(rep, where["projectKey"], hint)
            return Observed(id_, outputs, self.declared_part(outputs))

    def update(self, spec: LayerSpec, stored: Mapping[str, Any]) -> dict[str, Any]:
        """PATCH the name, description and reservations in, one environment at a time."""
        desired = self.declared(spec)
        with operation_errors("update", f"layer {self.id_format.format(desired)}"):
            return self._converge(desired, dict(stored), fresh=False)

    def delete(self, id_: str, stored: Mapping[str, Any]) -> None:
        """Remove the reservations this resource made (one PATCH per environment) and leave
        the layer: LaunchDarkly has no delete."""
        where = self.id_format.address(id_, stored)
        project, key = where["projectKey"], where["key"]
        made = state.reservations_of(stored)
        logger.warning(STAYS_WARNING, id_)
        if not made:
            return
        with operation_errors("delete", f"layer {id_}"):
            converge(
                self.context.client(),
                live=dict(stored),
                fresh=False,
                plan=lambda live: state.removal_patch(live, made),
                send=lambda patch: self._patch(project, key, patch, stored),
                read=lambda: self._read_or_empty(project, key, stored),
                describe=state.describe,
            )

    # -- helpers ----------------------------------------------------------------------------

    def _post(self, project: str, body: dict[str, Any]) -> LayerRep:
        answer = self.context.client().request("POST", paths.layers(project), json=body)
        return LayerRep.model_validate(answer)

    def _find(self, project: str, key: str, reservations: list[dict[str, Any]]) -> LayerRep | None:
        """The layer from the project's list: narrowed to the layers that reserve one of its
        experiments when one is known, else (or if it is not among them) the whole list."""
        client = self.context.client()
        queries: list[dict[str, str]] = []
        if reservations:
            probe = reservations[0]["experimentKey"]
            queries.append({"filter": f"reservations.experimentKey contains {probe}"})
        queries.append({})
        for query in queries:
            page = client.request("GET", paths.layers(project), params=query or None)
            for item in page.get("items") or [] if isinstance(page, dict) else []:
                if isinstance(item, dict) and item.get("key") == key:
                    return LayerRep.model_validate(item)
        return None

    def _patch(
        self, project: str, key: str, patch: dict[str, Any], hint: Mapping[str, Any]
    ) -> dict[str, Any]:
        answer = self.context.client().request(
            "PATCH", paths.layer(project, key), json=patch, content_type=SEMANTIC_PATCH
        )
        return state.outputs(LayerRep.model_validate(answer), project, self.declared_part(hint))

    def _read_or_empty(self, project: str, key: str, hint: Mapping[str, Any]) -> dict[str, Any]:
        """The layer's outputs; one that is not listed holds no reservations."""
        rep = self._find(project, key, state.reservations_of(hint))
        return {} if rep is None else state.outputs(rep, project, self.declared_part(hint))

    def _take_over(self, rep: LayerRep, spec: LayerSpec) -> bool:
        """Continue with a layer that has the key: with ``adopt``, or when it holds no
        reservations (what a destroy leaves: LaunchDarkly cannot delete a layer)."""
        if spec.adopt:
            return True
        if state.declared_from_live(rep, spec.project_key, {}).get("reservations"):
            return False
        logger.warning(
            "layer %s/%s exists without reservations (left by an earlier destroy?); taking it over",
            spec.project_key,
            spec.key,
        )
        return True

    def _converge(
        self, desired: dict[str, Any], live: dict[str, Any], *, fresh: bool
    ) -> dict[str, Any]:
        project, key = str(desired["projectKey"]), str(desired["key"])

        def read() -> dict[str, Any]:
            rep = self._find(project, key, state.reservations_of(desired))
            if rep is None:
                raise NotFoundError(
                    404,
                    "not_found",
                    f"layer {key!r} is not in project {project!r}'s list of layers",
                    method="GET",
                    path=paths.layers(project),
                )
            return state.outputs(rep, project, desired)

        return converge(
            self.context.client(),
            live=live,
            fresh=fresh,
            plan=lambda current: state.next_patch(current, desired),
            send=lambda patch: self._patch(project, key, patch, desired),
            read=read,
            describe=state.describe,
        )
