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
# The flag's targeting rule, by its description (its `_id` works too).
RULE = "Beta customers"

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
                parameters=[TreatmentParameterArgs(flag_key=FLAG, variation="Bottom")],
            ),
            TreatmentArgs(
                name="Top",
                allocation_percent=50,
                parameters=[TreatmentParameterArgs(flag_key=FLAG, variation="Top")],
            ),
        ],
        flags={FLAG: FlagArgs(rule_id=RULE)},
    ),
)

pulumi.export("experiment_id", experiment.experiment_id)
pulumi.export("current_iteration", experiment.current_iteration)
