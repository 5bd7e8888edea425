"""The native Pulumi provider plugin ``pulumi-resource-launchdarkly-experiments``.

Usable from every Pulumi language (TypeScript, Go, YAML, Python SDKs under ``sdk/``), with
``pulumi import``, detailed diffs and secret outputs. See the README's "Native provider" section.
"""
