"""Experiments declared from a data file (experiments.yaml next to this program).

``declare_experiments`` checks the file first: a syntax error, a missing or unknown field or a
value of the wrong type stops the program with a message naming the file, the entry and the
field, before any resource is declared.
"""

import sys
from pathlib import Path

import pulumi

HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
sys.path.insert(0, str(HERE))

from experiments_from_file import declare_experiments  # noqa: E402

experiments = declare_experiments(HERE / "experiments.yaml")

for key, experiment in experiments.items():
    pulumi.export(key, experiment.experiment_id)
