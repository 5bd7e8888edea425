"""The MetricGroup kind: a funnel or standard group of a project's metrics, changed by JSON
Patch (``core.kinds.json_patch``) on LaunchDarkly's beta route (``LD-API-Version: beta``).

Its declaration is the class below; its models, rules and reference checks are the modules
beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ....errors import ConfigurationError, NotFoundError, Problem
from ... import paths
from ...kind import IdFormat
from ...lookups import BETA
from ..checks import service_token_message
from ..json_patch import Endpoint, JsonPatchKind
from .models import (
    API_DEFAULTS,
    KEPT,
    REPLACE_ON,
    MetricGroupKind,
    MetricGroupOutputs,
    MetricGroupSpec,
)
from .references import check_references
from .rules import RULES

JSON = dict[str, Any]


class MetricGroup(JsonPatchKind[MetricGroupSpec]):
    """The declaration of the MetricGroup kind."""

    name = "MetricGroup"
    noun = "metric group"
    description = (
        "A LaunchDarkly metric group of one project: a funnel (its metrics are steps, in "
        "order) or a standard group. The id is `<projectKey>/<key>`, which `pulumi import` "
        "takes. Deleting the resource deletes the group (under a strict reading LaunchDarkly "
        "refuses while an experiment that is not archived measures it)."
    )
    inputs = MetricGroupSpec
    outputs = MetricGroupOutputs
    replace_on = REPLACE_ON
    id_format = IdFormat(("projectKey", "key"))
    rules = RULES
    settings_defaults = {"projectKey": "project_key"}
    kept = KEPT
    api_defaults = API_DEFAULTS
    change_notes = {"maintainerId": "in place (left out: kept as it is)"}
    on_delete = (
        "deleted; a group an experiment that is not archived measures may be refused (the "
        "error names the experiment)"
    )

    def references(self, inputs: Mapping[str, Any]) -> list[Problem]:
        return check_references(inputs, self.context)

    def endpoint(self, address: Mapping[str, str]) -> Endpoint:
        project, key = address["projectKey"], address["key"]
        return Endpoint(
            self.context.client(),
            paths.metric_groups(project),
            paths.metric_group(project, key),
            BETA,
        )

    def declared(self, spec: MetricGroupSpec) -> JSON:
        form = super().declared(spec)
        if form["kind"] == MetricGroupKind.STANDARD:
            # A standard group's metric named by its key: what a left-out name sends.
            form["metrics"] = [
                {k: v for k, v in m.items() if k != "nameInGroup" or v != m["key"]}
                for m in form["metrics"]
            ]
        return form

    def wire(self, desired: Mapping[str, Any]) -> JSON:
        body = dict(desired)
        if "metrics" in body:
            body["metrics"] = [
                {"key": m["key"], "nameInGroup": m.get("nameInGroup", m["key"])}
                for m in body["metrics"]
            ]
        return body

    def create_body(self, spec: MetricGroupSpec, desired: Mapping[str, Any]) -> JSON:
        # LaunchDarkly requires a maintainer and tags: defaults for the create, never a change.
        body = super().create_body(spec, desired)
        body.setdefault("tags", [])
        if "maintainerId" not in body:
            body["maintainerId"] = self.default_maintainer()
        return body

    def default_maintainer(self) -> str:
        """The provider's maintainerId setting, else the token's member (one cached GET); a
        service token and no setting: an error naming both places to set one."""
        setting = self.context.settings.maintainer_id
        if setting:
            return setting
        try:
            return str(self.context.lookups().get_member("me")["_id"])
        except NotFoundError:
            problem = Problem(
                "maintainerId", service_token_message(self.context.settings, self.noun)
            )
            raise ConfigurationError([problem]) from None

    def live_form(self, rep: Mapping[str, Any], address: Mapping[str, str], hint: JSON) -> JSON:
        data: JSON = {
            "projectKey": address["projectKey"],
            "key": rep.get("key", address["key"]),
            "name": rep.get("name"),
            "kind": rep.get("kind"),
            "metrics": [
                {k: m[k] for k in ("key", "nameInGroup") if m.get(k) is not None}
                for m in rep.get("metrics") or []
                if isinstance(m, Mapping)
            ],
        }
        for name in ("description", "tags"):
            if rep.get(name) is not None:
                data[name] = rep[name]
        if "maintainerId" in hint:
            # A maintainer that is no member renders none: what was declared is all there is.
            data["maintainerId"] = _maintainer(rep) or hint["maintainerId"]
        return self.canonical(data)

    def computed(self, rep: Mapping[str, Any]) -> JSON:
        return {
            "metricGroupId": rep.get("_id"),
            "version": rep.get("_version"),
            "creationDate": rep.get("_creationDate"),
            "lastModified": rep.get("_lastModified"),
            "effectiveMaintainerId": _maintainer(rep),
        }


def _maintainer(rep: Mapping[str, Any]) -> str | None:
    """The maintainer's member id, from ``maintainer.member._id``."""
    maintainer = rep.get("maintainer")
    member = maintainer.get("member") if isinstance(maintainer, Mapping) else None
    found = member.get("_id") if isinstance(member, Mapping) else None
    return found if isinstance(found, str) else None


__all__ = ["MetricGroup"]
