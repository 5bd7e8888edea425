"""A funnel experiment: the primary metric is the ``checkout-funnel`` metric group.

A funnel group is listed in ``metrics`` with ``is_group=True`` and named by
``primary_funnel_key`` (instead of ``primary_single_metric_key``). Other metrics may still be
watched next to it.
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

experiment = Experiment(
    "checkout-funnel-test",
    key="checkout-funnel-test",
    name="Checkout funnel: button placement",
    tags=["examples", "funnel"],
    methodology="bayesian",
    iteration=IterationArgs(
        hypothesis="A checkout button above the cart moves more users through the whole funnel.",
        metrics=[
            MetricArgs(key="checkout-funnel", is_group=True),
            MetricArgs(key="revenue-per-user"),
        ],
        primary_funnel_key="checkout-funnel",
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
