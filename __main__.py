"""The launchdarkly-experiments program: the experiments listed in experiments.yaml.

Each entry of experiments.yaml becomes one ``Experiment`` resource (its Pulumi name is its key).
project_key and environment_key come from the stack's launchdarkly:projectKey and
launchdarkly:environmentKey (Pulumi.dev.yaml, Pulumi.prod.yaml) unless an entry sets them.

Exports, per experiment: its key, its run state and its current iteration (id, status, treatment
ids and winner, as LaunchDarkly reports them).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pulumi

HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
# The file loader is shared with examples/data_file; it is not part of the installed package.
sys.path.insert(0, str(HERE / "examples" / "data_file"))

from experiments_from_file import declare_experiments  # noqa: E402


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
