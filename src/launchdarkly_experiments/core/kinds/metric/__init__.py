"""The Metric kind: a metric of one project, changed by JSON Patch (``core.kinds.json_patch``).

Its declaration is the class below; its models and rules are the modules beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ....errors import Problem
from ... import paths
from ...kind import IdFormat
from ..checks import maintainer_problems, project_problem
from ..json_patch import Endpoint, JsonPatchKind
from .models import (
    API_DEFAULTS,
    KEPT,
    REPLACE_ON,
    MetricKind,
    MetricOutputs,
    MetricSpec,
)
from .rules import RULES

JSON = dict[str, Any]

#: The declared fields a live metric is read back with, when it has them.
_READ_BACK = (
    "description",
    "selector",
    "urls",
    "isNumeric",
    "unit",
    "eventKey",
    "successCriteria",
    "tags",
    "unitAggregationType",
    "analysisType",
    "percentileValue",
    "eventDefault",
    "dataSource",
    "filters",
)
#: The fields of the nested objects a live metric renders that a declaration may give (a
#: rendering may add others).
_NESTED = {
    "urls": ("kind", "url", "substring", "pattern"),
    "eventDefault": ("disabled", "value"),
    "dataSource": ("key", "environmentKey"),
}


class Metric(JsonPatchKind[MetricSpec]):
    """The declaration of the Metric kind."""

    name = "Metric"
    noun = "metric"
    description = (
        "A LaunchDarkly metric of one project: a page viewed, an element clicked or a custom "
        "event. The id is `<projectKey>/<key>`, which `pulumi import` takes. Deleting the "
        "resource deletes the metric (under a strict reading LaunchDarkly refuses while a "
        "metric group or an experiment that is not archived uses it)."
    )
    inputs = MetricSpec
    outputs = MetricOutputs
    replace_on = REPLACE_ON
    id_format = IdFormat(("projectKey", "key"))
    rules = RULES
    settings_defaults = {"projectKey": "project_key"}
    kept = KEPT
    api_defaults = API_DEFAULTS
    change_notes = {
        "kind": "replace (LaunchDarkly cannot change a metric's kind)",
        "maintainerId": "in place (left out: kept as it is)",
        "randomizationUnits": "in place (left out: kept as it is)",
    }
    on_delete = (
        "deleted; a metric a metric group lists, or an experiment that is not archived "
        "measures, may be refused (the error names what uses it)"
    )

    def references(self, inputs: Mapping[str, Any]) -> list[Problem]:
        """With a token: the project exists, and the maintainer (declared, else the provider's
        setting) is a member."""
        project = inputs.get("projectKey")
        if not isinstance(project, str):
            return []
        lookups = self.context.lookups()
        missing = project_problem(lookups, project)
        problems = [missing] if missing else []
        return problems or maintainer_problems(inputs, lookups, self.context.settings)

    def endpoint(self, address: Mapping[str, str]) -> Endpoint:
        project, key = address["projectKey"], address["key"]
        return Endpoint(self.context.client(), paths.metrics(project), paths.metric(project, key))

    def declared(self, spec: MetricSpec) -> JSON:
        form = super().declared(spec)
        if form.get("isNumeric") is False and form["kind"] != MetricKind.CUSTOM:
            del form["isNumeric"]  # what LaunchDarkly shows for every other kind
        return form

    def create_body(self, spec: MetricSpec, desired: Mapping[str, Any]) -> JSON:
        body = super().create_body(spec, desired)
        maintainer = self.context.settings.maintainer_id
        if "maintainerId" not in body and maintainer:
            # A default for the create, not a declaration: never a change.
            body["maintainerId"] = maintainer
        return body

    def live_form(self, rep: Mapping[str, Any], address: Mapping[str, str], hint: JSON) -> JSON:
        data: JSON = {
            "projectKey": address["projectKey"],
            "key": rep.get("key", address["key"]),
            "name": rep.get("name"),
            "kind": rep.get("kind"),
        }
        for name in _READ_BACK:
            if rep.get(name) is not None:
                data[name] = _declarable(name, rep[name])
        for name in self.kept:
            if name in hint and rep.get(name) is not None:
                data[name] = rep[name]
        return self.canonical(data)

    def computed(self, rep: Mapping[str, Any]) -> JSON:
        modified = rep.get("lastModified")
        return {
            "metricId": rep.get("_id"),
            "versionId": rep.get("_versionId"),
            "version": rep.get("_version"),
            "creationDate": rep.get("_creationDate"),
            "lastModified": modified.get("date") if isinstance(modified, Mapping) else None,
            "effectiveMaintainerId": rep.get("maintainerId"),
            "effectiveRandomizationUnits": rep.get("randomizationUnits"),
        }


def _declarable(name: str, value: Any) -> Any:
    """A live value with only the nested fields a declaration gives."""
    fields = _NESTED.get(name)
    if fields is None:
        return value
    if isinstance(value, list):
        return [_declarable(name, item) for item in value]
    if isinstance(value, Mapping):
        return {k: v for k, v in value.items() if k in fields and v is not None}
    return value


__all__ = ["Metric"]
