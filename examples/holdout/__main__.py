"""A holdout, and an experiment that respects it: users in the holdout never enter it.

The holdout keeps 5% of this environment's users out of every experiment placed in it, so that
it measures the combined effect of everything shipped during the quarter. An experiment joins
it with ``holdout_id``, the holdout's **id** (not its key), taken here by output: the engine
creates the metric, then the holdout, then the experiment.

LaunchDarkly cannot delete a holdout: ``pulumi destroy`` ends it, and an ended holdout keeps its
key (a new ``up`` on the same project needs another one).
"""

import pulumi

from launchdarkly_experiments import (
    Experiment,
    FlagArgs,
    Holdout,
    IterationArgs,
    Metric,
    MetricArgs,
    TreatmentArgs,
    TreatmentParameterArgs,
)

FLAG = "checkout-button"

# Keys are this example's own ("q4-"), so other examples can be up in the same project.
completed = Metric(
    "q4-checkout-completed",
    key="q4-checkout-completed",
    name="Checkout completed",
    kind="custom",
    event_key="checkout-completed",
    is_numeric=False,
)
q4 = Holdout(
    "q4-holdout",
    key="q4-holdout",
    name="Q4 holdout",
    description="Customers held out of every Q4 experiment",
    holdout_amount=5,
    primary_metric_key=completed.key,
)

experiment = Experiment(
    "checkout-button-q4",
    key="checkout-button-q4",
    name="Checkout button (outside the Q4 holdout)",
    holdout_id=q4.holdout_id,
    tags=["examples", "q4"],
    iteration=IterationArgs(
        hypothesis="Showing the checkout button above the cart raises completed checkouts.",
        metrics=[MetricArgs(key=completed.key)],
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
        flags={FLAG: FlagArgs(rule_id="fallthrough")},
    ),
)

pulumi.export("experiment_id", experiment.experiment_id)
pulumi.export("holdout_id", experiment.holdout_id)
