"""Multi-armed bandit: LaunchDarkly moves traffic towards the best pricing-page layout.

``type="mab"`` on the ``pricing-page`` flag with its three variations. Every
``reallocation_frequency_millis`` (here daily) LaunchDarkly shifts allocation towards the arm
that does best on the revenue metric declared here; the declared percentages are the
starting split.
"""

import pulumi

from launchdarkly_experiments import (
    Experiment,
    FlagArgs,
    IterationArgs,
    Metric,
    MetricArgs,
    TreatmentArgs,
    TreatmentParameterArgs,
)

FLAG = "pricing-page"
ONE_DAY_MS = 24 * 60 * 60 * 1000

# The metric key is this example's own ("bandit-"), so other examples can be up in the project.
revenue = Metric(
    "bandit-revenue-per-user",
    key="bandit-revenue-per-user",
    name="Revenue per user",
    kind="custom",
    event_key="purchase",
    is_numeric=True,
    unit="USD",
    success_criteria="HigherThanBaseline",
)

experiment = Experiment(
    "pricing-page-bandit",
    key="pricing-page-bandit",
    name="Pricing page bandit",
    type="mab",
    tags=["examples", "pricing"],
    iteration=IterationArgs(
        hypothesis="One pricing-page layout earns more per user; send it most of the traffic.",
        metrics=[MetricArgs(key=revenue.key)],
        primary_single_metric_key=revenue.key,
        treatments=[
            TreatmentArgs(
                name="Control",
                baseline=True,
                allocation_percent=34,
                parameters=[TreatmentParameterArgs(flag_key=FLAG, variation="Control")],
            ),
            TreatmentArgs(
                name="Annual first",
                allocation_percent=33,
                parameters=[TreatmentParameterArgs(flag_key=FLAG, variation="Annual first")],
            ),
            TreatmentArgs(
                name="Monthly first",
                allocation_percent=33,
                parameters=[TreatmentParameterArgs(flag_key=FLAG, variation="Monthly first")],
            ),
        ],
        flags={FLAG: FlagArgs(rule_id="fallthrough")},
        reallocation_frequency_millis=ONE_DAY_MS,
    ),
)

pulumi.export("experiment_id", experiment.experiment_id)
pulumi.export("current_iteration", experiment.current_iteration)
