"""The domain of LaunchDarkly experiments, free of Pulumi.

``models`` (declarations and API shapes), ``rules`` (validation), ``plan`` (decisions),
``state`` (the resource's input/output shape) and ``reconcile`` (making LaunchDarkly match a
declaration over ``http.client``). Nothing under ``core`` imports ``pulumi``: an adapter turns
Pulumi's calls into these plain values and back (tests/unit/test_core_boundary.py checks it).
"""
