"""The Pulumi dynamic-provider adapter over ``core``.

``resources`` (generated: one resource per kind and its ``*Args`` classes, what a program
imports), ``resource`` (what they stand on), ``adapter`` (the ``ResourceProvider`` behind each
class of ``launchdarkly_experiments.provider``, what a provider host imports) and ``unknowns``
(how the dynamic SDK marks values unknown at preview).
"""
