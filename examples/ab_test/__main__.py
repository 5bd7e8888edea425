"""A/B test: does a checkout button above the cart sell more than one below it?

Two treatments on the ``checkout-button`` flag's targeting rule, 50/50. The primary metric is
``checkout-completed``; ``revenue-per-user`` and ``add-to-cart`` are watched as secondary metrics.
"""

import pulumi

from launchdarkly_experiments import (
    Experiment,
    FlagArgs,
    IterationArgs,
    MetricArgs,
    TreatmentArgs,
    TreatmentParameterArgs,
)

FLAG = "checkout-button"
TOP = "a1b2c3d4-0000-4000-8000-000000000001"
BOTTOM = "a1b2c3d4-0000-4000-8000-000000000002"
RULE = "b7c1e2d3-0000-4000-8000-00000000a001"  # the flag's targeting rule `_id`

experiment = Experiment(
    "checkout-button-ab",
    key="checkout-button-ab",
    name="Checkout button: top or bottom",
    description="Does a checkout button above the cart sell more than one below it?",
    tags=["examples", "checkout"],
    iteration=IterationArgs(
        hypothesis="Showing the checkout button above the cart raises completed checkouts.",
        metrics=[
            MetricArgs(key="checkout-completed"),
            MetricArgs(key="revenue-per-user"),
            MetricArgs(key="add-to-cart"),
        ],
        primary_single_metric_key="checkout-completed",
        treatments=[
            TreatmentArgs(
                name="Bottom",
                baseline=True,
                allocation_percent=50,
                parameters=[TreatmentParameterArgs(flag_key=FLAG, variation_id=BOTTOM)],
            ),
            TreatmentArgs(
                name="Top",
                allocation_percent=50,
                parameters=[TreatmentParameterArgs(flag_key=FLAG, variation_id=TOP)],
            ),
        ],
        flags={FLAG: FlagArgs(rule_id=RULE, flag_config_version=3)},
    ),
)

pulumi.export("experiment_id", experiment.experiment_id)
pulumi.export("current_iteration", experiment.current_iteration)
