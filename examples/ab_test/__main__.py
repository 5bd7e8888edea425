"""A/B test: does a checkout button above the cart sell more than one below it?

Two treatments on the ``checkout-button`` flag's targeting rule, 50/50. The metrics are declared
here too: the primary metric counts completed checkouts; revenue and add-to-cart clicks are
watched as secondary metrics. The experiment takes their keys by output (``completed.key``), so
the engine creates the metrics first and deletes them last.
"""

import pulumi

from launchdarkly_experiments import (
    Experiment,
    FlagArgs,
    IterationArgs,
    Metric,
    MetricArgs,
    MetricUrlArgs,
    TreatmentArgs,
    TreatmentParameterArgs,
)

FLAG = "checkout-button"
# The flag's targeting rule, by its description (its `_id` works too).
RULE = "Beta customers"

# Metric keys are this example's own ("ab-"), so other examples can be up in the same project;
# the events they count are the application's.
completed = Metric(
    "ab-checkout-completed",
    key="ab-checkout-completed",
    name="Checkout completed",
    kind="custom",
    event_key="checkout-completed",
    is_numeric=False,  # a conversion: counted, not measured
)
revenue = Metric(
    "ab-revenue-per-user",
    key="ab-revenue-per-user",
    name="Revenue per user",
    kind="custom",
    event_key="purchase",
    is_numeric=True,
    unit="USD",
    success_criteria="HigherThanBaseline",
)
add_to_cart = Metric(
    "ab-add-to-cart",
    key="ab-add-to-cart",
    name="Add to cart clicked",
    kind="click",
    selector="#add-to-cart",
    urls=[MetricUrlArgs(kind="substring", substring="/products")],
)

experiment = Experiment(
    "checkout-button-ab",
    key="checkout-button-ab",
    name="Checkout button: top or bottom",
    description="Does a checkout button above the cart sell more than one below it?",
    tags=["examples", "checkout"],
    iteration=IterationArgs(
        hypothesis="Showing the checkout button above the cart raises completed checkouts.",
        metrics=[
            MetricArgs(key=completed.key),
            MetricArgs(key=revenue.key),
            MetricArgs(key=add_to_cart.key),
        ],
        primary_single_metric_key=completed.key,
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
