"""A whole experimentation programme, from a LaunchDarkly project with only its flags.

* the project's randomization units: user (the default) and organization;
* four metrics (a page view, a click, a conversion event, revenue) and a purchase funnel;
* a quarter's holdout in this environment, measured on revenue;
* two running experiments, the pricing one inside the holdout;
* a layer keeping the two experiments mutually exclusive.

Every reference goes by output (``revenue.key``, ``q1.holdout_id``, ``checkout.key``...), so
the engine creates in dependency order and ``pulumi destroy`` undoes it in reverse: the layer's
reservations removed, the experiments archived, the holdout ended, the group and metrics
deleted, the units restored. The same programme in Pulumi YAML: ``examples/programme_yaml``.

Stack config: ``checkoutName`` (the checkout experiment's name) and ``checkoutShare`` (its
share of the layer, default 50; the pricing experiment gets the rest).
"""

import pulumi

from launchdarkly_experiments import (
    Experiment,
    ExperimentationSettings,
    FlagArgs,
    Holdout,
    IterationArgs,
    Layer,
    LayerReservationArgs,
    Metric,
    MetricArgs,
    MetricGroup,
    MetricGroupMetricArgs,
    MetricUrlArgs,
    RandomizationUnitArgs,
    TreatmentArgs,
    TreatmentParameterArgs,
)

config = pulumi.Config()
checkout_name = config.get("checkoutName") or "Checkout button placement"
checkout_share = config.get_int("checkoutShare")
if checkout_share is None:
    checkout_share = 50

# The project's units. Deleting this resource puts back the units the project had before.
units = ExperimentationSettings(
    "units",
    randomization_units=[
        RandomizationUnitArgs(randomization_unit="user", default=True),
        RandomizationUnitArgs(randomization_unit="organization"),
    ],
)
# What randomizes by a unit must come after the units and go before they are restored.
after_units = pulumi.ResourceOptions(depends_on=[units])

pricing_viewed = Metric(
    "pricing-viewed",
    key="pricing-viewed",
    name="Pricing page viewed",
    kind="pageview",
    urls=[MetricUrlArgs(kind="substring", substring="/pricing")],
)
buy_clicked = Metric(
    "buy-clicked",
    key="buy-clicked",
    name="Buy button clicked",
    kind="click",
    selector="#buy",
    urls=[MetricUrlArgs(kind="substring", substring="/pricing")],
)
signed_up = Metric(
    "signed-up",
    key="signed-up",
    name="Signed up",
    kind="custom",
    event_key="signup-completed",
    is_numeric=False,  # a conversion: counted, not measured
)
revenue = Metric(
    "revenue",
    key="revenue",
    name="Revenue per user",
    kind="custom",
    event_key="purchase",
    is_numeric=True,
    unit="USD",
    success_criteria="HigherThanBaseline",
)

# A funnel's steps are in order, each with its name in the group.
purchase_funnel = MetricGroup(
    "purchase-funnel",
    key="purchase-funnel",
    name="Purchase funnel",
    kind="funnel",
    metrics=[
        MetricGroupMetricArgs(key=pricing_viewed.key, name_in_group="Viewed pricing"),
        MetricGroupMetricArgs(key=buy_clicked.key, name_in_group="Clicked buy"),
        MetricGroupMetricArgs(key=signed_up.key, name_in_group="Signed up"),
    ],
)

# LaunchDarkly cannot delete a holdout: destroying it ends it, and its key stays taken.
q1 = Holdout(
    "q1-holdout",
    key="q1-holdout",
    name="Q1 holdout",
    description="Kept out of every experiment this quarter",
    holdout_amount=5,
    randomization_unit="user",
    primary_metric_key=revenue.key,
    opts=after_units,
)


def arm(flag: str, variation: str, *, baseline: bool = False) -> TreatmentArgs:
    """A treatment serving one variation of one flag to half of the experiment's traffic."""
    return TreatmentArgs(
        name=variation,
        baseline=baseline,
        allocation_percent=50,
        parameters=[TreatmentParameterArgs(flag_key=flag, variation=variation)],
    )


checkout = Experiment(
    "checkout-placement",
    key="checkout-placement",
    name=checkout_name,
    state="running",
    iteration=IterationArgs(
        hypothesis="A button above the cart turns more pricing views into sign-ups",
        metrics=[
            MetricArgs(key=purchase_funnel.key, is_group=True),
            MetricArgs(key=revenue.key),
        ],
        primary_funnel_key=purchase_funnel.key,
        treatments=[
            arm("checkout-button", "Bottom", baseline=True),
            arm("checkout-button", "Top"),
        ],
        flags={"checkout-button": FlagArgs(rule_id="fallthrough")},
    ),
    opts=after_units,
)
pricing = Experiment(
    "pricing-order",
    key="pricing-order",
    name="Pricing page plan order",
    holdout_id=q1.holdout_id,  # its users never see this experiment
    state="running",
    iteration=IterationArgs(
        hypothesis="Showing the annual plan first raises revenue per user",
        metrics=[MetricArgs(key=revenue.key), MetricArgs(key=buy_clicked.key)],
        primary_single_metric_key=revenue.key,
        treatments=[
            arm("pricing-page", "Control", baseline=True),
            arm("pricing-page", "Annual first"),
        ],
        flags={"pricing-page": FlagArgs(rule_id="fallthrough")},
    ),
    opts=after_units,
)

# Nobody sees both experiments. LaunchDarkly cannot delete a layer either: destroying this
# resource removes its reservations and leaves the layer.
exclusive = Layer(
    "checkout-and-pricing",
    key="checkout-and-pricing",
    name="Checkout and pricing",
    description="Nobody sees both the checkout and the pricing experiment",
    reservations=[
        LayerReservationArgs(
            environment_key=checkout.environment_key,
            experiment_key=checkout.key,
            reservation_percent=checkout_share,
        ),
        LayerReservationArgs(
            environment_key=pricing.environment_key,
            experiment_key=pricing.key,
            reservation_percent=100 - checkout_share,
        ),
    ],
)

pulumi.export("holdout_id", q1.holdout_id)
treatment_ids = checkout.current_iteration.apply(lambda it: (it or {}).get("treatment_ids"))
pulumi.export("checkout_treatments", treatment_ids)
pulumi.export("pricing_experiment_id", pricing.experiment_id)
pulumi.export("default_unit", units.default_randomization_unit)
