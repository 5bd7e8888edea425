"""The Pulumi dynamic-provider adapter over ``core``.

``resource`` (the ``Experiment`` resource and its ``*Args`` classes), ``adapter`` (the
``ResourceProvider`` behind ``launchdarkly_experiments.provider.ExperimentProvider``) and
``unknowns`` (how the dynamic SDK marks values unknown at preview).
"""
