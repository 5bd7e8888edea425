"""The Experiment kind: an experiment in one project and environment, run as code.

Its declaration is the class below; its models, rules, plan, state, name resolution, reference
checks and operations are the modules beside it.
"""

from __future__ import annotations

from ...kind import IdFormat
from .models import ADDRESS_FIELDS, STEERING_FIELDS, ExperimentOutputs, ExperimentSpec
from .reconcile import Reconciler
from .rules import RULES
from .state import ITERATION_CHANGE


class Experiment(Reconciler):
    """The declaration of the Experiment kind (its operations are ``Reconciler``'s)."""

    name = "Experiment"
    description = (
        "A LaunchDarkly experiment in one project and environment. The id is "
        "`<projectKey>/<environmentKey>/<key>`, which `pulumi import` takes. Deleting the "
        "resource archives the experiment (LaunchDarkly has no delete)."
    )
    inputs = ExperimentSpec
    outputs = ExperimentOutputs
    replace_on = ADDRESS_FIELDS
    steering = STEERING_FIELDS
    id_format = IdFormat(ADDRESS_FIELDS)
    rules = RULES
    settings_defaults = {"projectKey": "project_key", "environmentKey": "environment_key"}
    computed_inputs = (ITERATION_CHANGE,)
    change_notes = {
        "type": "refused at preview (an experiment's type cannot change: give a new key)",
        "state": "in place (see the lifecycle table)",
        "iteration": "in place (see the lifecycle table)",
        "winningTreatment": "in place (used when stopping)",
        "winningReason": "in place (used when stopping)",
    }
    on_delete = (
        "archived (LaunchDarkly has no delete); a running iteration is stopped first where "
        "LaunchDarkly refuses to archive it, with the baseline recorded as winner"
    )


__all__ = ["Experiment"]
