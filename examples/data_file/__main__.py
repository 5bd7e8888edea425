"""Metrics and experiments declared from a data file (experiments.yaml next to this program).

``declare_experiments`` declares the file's metrics too (one ``Metric`` each) and hands their
keys to the experiments by output, so the engine creates the metrics first.

``declare_experiments`` checks the whole file first: every problem (syntax, duplicate keys, a
missing, unknown or mistyped field, a broken rule between fields) is reported at once with
``file:line:column``, before any resource is declared.
"""

from pathlib import Path

import pulumi

from launchdarkly_experiments.catalog_resources import declare_experiments

HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()

experiments = declare_experiments(HERE / "experiments.yaml")

for key, experiment in experiments.items():
    pulumi.export(key, experiment.experiment_id)
