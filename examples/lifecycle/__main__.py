"""Walk one experiment from draft to a declared winner, driven by stack config.

    pulumi up                                   # state draft: designed, not started
    pulumi config set state running && pulumi up
    pulumi config set state stopped && pulumi config set winner Top && pulumi up

``state`` is this project's config key (default "draft"); ``winner`` names the winning
treatment and is required once ``state`` is "stopped". The metric it measures is declared here
and taken by output.
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

config = pulumi.Config()
state = config.get("state") or "draft"
winner = config.get("winner")

FLAG = "checkout-button"
# Not the fallthrough: examples/programme runs an experiment there, and a flag rule takes one
# running experiment at a time.
RULE = "Beta customers"

# The metric key is this example's own ("lifecycle-"), so other examples can be up in the project.
completed = Metric(
    "lifecycle-checkout-completed",
    key="lifecycle-checkout-completed",
    name="Checkout completed",
    kind="custom",
    event_key="checkout-completed",
    is_numeric=False,
)

experiment = Experiment(
    "checkout-button-lifecycle",
    key="checkout-button-lifecycle",
    name="Checkout button: from draft to winner",
    tags=["examples", "lifecycle"],
    state=state,
    winning_treatment=winner,
    winning_reason=f"{winner} won on checkout-completed" if winner else None,
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
        flags={FLAG: FlagArgs(rule_id=RULE)},
    ),
)

pulumi.export("state", experiment.state.apply(lambda s: s or "draft"))
pulumi.export("current_iteration", experiment.current_iteration)
