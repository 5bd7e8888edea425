"""Experiments files the catalog tests share: an experiment entry, and metrics and metric groups
an experiment entry measures (``METRICS`` + ``experiments:`` + ``FUNNEL_ENTRY``)."""

VALID_ENTRY = """\
  - key: exp
    name: Exp
    iteration:
      hypothesis: h
      metrics: [{key: checkout-completed}]
      primary_single_metric_key: checkout-completed
      treatments:
        - name: A
          baseline: true
          allocation_percent: 50
          parameters: [{flag_key: checkout-button, variation_id: v1}]
      flags:
        checkout-button: {rule_id: fallthrough, flag_config_version: 3}
"""

METRICS = """\
defaults:
  tags: [managed-by-pulumi]
metrics:
  - key: visited
    name: Visited
    kind: pageview
    urls: [{kind: exact, url: "https://shop.example/"}]
  - key: bought
    name: Bought
    kind: custom
    event_key: bought
    is_numeric: false
    tags: [checkout]
metric_groups:
  - key: checkout-funnel
    name: Checkout funnel
    kind: funnel
    metrics:
      - {key: visited, name_in_group: Visited}
      - {key: bought, name_in_group: Bought}
      - {key: made-by-hand, name_in_group: Paid}
  - key: bought
    name: A standard group sharing a metric's key
    kind: standard
    metrics: [{key: bought}]
"""

FUNNEL_ENTRY = VALID_ENTRY.replace(
    "metrics: [{key: checkout-completed}]\n      primary_single_metric_key: checkout-completed",
    "metrics: [{key: checkout-funnel, is_group: true}, {key: bought}]\n"
    "      primary_funnel_key: checkout-funnel",
)
