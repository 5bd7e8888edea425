"""The launchdarkly-experiments program: the experiments listed in experiments.yaml.

Each entry of experiments.yaml becomes one ``Experiment`` resource (its Pulumi name is its key),
through ``launchdarkly_experiments.catalog``: the whole file is checked first, every problem
reported at once with file:line.
project_key and environment_key come from the stack's launchdarkly:projectKey and
launchdarkly:environmentKey (Pulumi.dev.yaml, Pulumi.prod.yaml) unless an entry sets them.

Exports, per experiment: its key, its run state and its current iteration (id, status, treatment
ids and winner, as LaunchDarkly reports them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi

from launchdarkly_experiments.catalog_resources import declare_experiments

HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()


def _summary(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": values["key"],
        # The provider leaves the default state ("draft") out of its outputs.
        "state": values["state"] or "draft",
        "current_iteration": values["current_iteration"],
    }


experiments = declare_experiments(HERE / "experiments.yaml")
for key, experiment in experiments.items():
    pulumi.export(
        key,
        pulumi.Output.all(
            key=experiment.key,
            state=experiment.state,
            current_iteration=experiment.current_iteration,
        ).apply(_summary),
    )
