"""The domain of LaunchDarkly experiments, free of Pulumi.

``models`` (declarations and API shapes), ``rules`` (validation), ``plan`` (decisions),
``state`` (the resource's input/output shape), ``reconcile`` (making LaunchDarkly match a
declaration over ``http.client``) and ``service`` (every provider operation on plain data, the
settings and the shared client). Nothing under ``core`` imports ``pulumi``: the two adapters,
``dynamic`` and ``native``, sit side by side over ``service`` and turn Pulumi's calls into these
plain values and back (tests/unit/test_core_boundary.py checks it).
"""
