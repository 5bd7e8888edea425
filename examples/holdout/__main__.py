"""An experiment that respects a holdout: users in ``q4-holdout`` never enter it.

``holdout_id`` is the id of the holdout (not its key); LaunchDarkly then keeps the holdout's
users out of this experiment so that the holdout measures the combined effect of everything
shipped during the quarter.
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

Q4_HOLDOUT_ID = "f3b74309-d581-44e1-8a2b-bb2933b4fe40"  # holdout "q4-holdout"
FLAG = "checkout-button"

experiment = Experiment(
    "checkout-button-q4",
    key="checkout-button-q4",
    name="Checkout button (outside the Q4 holdout)",
    holdout_id=Q4_HOLDOUT_ID,
    tags=["examples", "q4"],
    iteration=IterationArgs(
        hypothesis="Showing the checkout button above the cart raises completed checkouts.",
        metrics=[MetricArgs(key="checkout-completed")],
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
        flags={FLAG: FlagArgs(rule_id="fallthrough")},
    ),
)

pulumi.export("experiment_id", experiment.experiment_id)
pulumi.export("holdout_id", experiment.holdout_id)
