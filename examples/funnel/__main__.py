"""A funnel experiment: the primary metric is a funnel metric group declared here.

The funnel's steps are three metrics, in order (a cart viewed, checkout started, an order
placed), each with its name in the group. The experiment lists the group in ``metrics`` with
``is_group=True`` and names it by ``primary_funnel_key`` (instead of
``primary_single_metric_key``); plain metrics may still be watched next to it. Every key goes
by output, so the engine creates the metrics, then the group, then the experiment.
"""

import pulumi

from launchdarkly_experiments import (
    Experiment,
    FlagArgs,
    IterationArgs,
    Metric,
    MetricArgs,
    MetricGroup,
    MetricGroupMetricArgs,
    MetricUrlArgs,
    TreatmentArgs,
    TreatmentParameterArgs,
)

FLAG = "checkout-button"

# Keys are this example's own ("funnel-"), so other examples can be up in the same project.
cart_viewed = Metric(
    "funnel-cart-viewed",
    key="funnel-cart-viewed",
    name="Cart viewed",
    kind="pageview",
    urls=[MetricUrlArgs(kind="substring", substring="/cart")],
)
checkout_started = Metric(
    "funnel-checkout-started",
    key="funnel-checkout-started",
    name="Checkout started",
    kind="click",
    selector="#checkout",
    urls=[MetricUrlArgs(kind="substring", substring="/cart")],
)
order_placed = Metric(
    "funnel-order-placed",
    key="funnel-order-placed",
    name="Order placed",
    kind="custom",
    event_key="order-placed",
    is_numeric=False,
)
checkout_funnel = MetricGroup(
    "funnel-checkout",
    key="funnel-checkout",
    name="Checkout funnel",
    kind="funnel",
    metrics=[
        MetricGroupMetricArgs(key=cart_viewed.key, name_in_group="Viewed the cart"),
        MetricGroupMetricArgs(key=checkout_started.key, name_in_group="Started checkout"),
        MetricGroupMetricArgs(key=order_placed.key, name_in_group="Placed the order"),
    ],
)

experiment = Experiment(
    "checkout-funnel-test",
    key="checkout-funnel-test",
    name="Checkout funnel: button placement",
    tags=["examples", "funnel"],
    methodology="bayesian",
    iteration=IterationArgs(
        hypothesis="A checkout button above the cart moves more users through the whole funnel.",
        metrics=[
            MetricArgs(key=checkout_funnel.key, is_group=True),
            MetricArgs(key=order_placed.key),
        ],
        primary_funnel_key=checkout_funnel.key,
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
        flags={FLAG: FlagArgs(rule_id="fallthrough")},
    ),
)

pulumi.export("experiment_id", experiment.experiment_id)
