"""What is generated from the resource kinds (``core.kinds.KINDS``), and the command that writes
it: ``python -m launchdarkly_experiments.codegen [--check]``.

* ``schema/schema.json``: the native provider's package schema (``native.schema``), from which
  ``scripts/gen-sdk.sh`` generates the SDKs;
* ``src/launchdarkly_experiments/dynamic/resources.py``: the Python dynamic resources and their
  typed ``*Args`` classes (``python``);
* the README's resource reference (``reference``);
* ``schemas/experiments.schema.json``: the experiments file's JSON Schema (``catalog``).

A development tool: it writes into a checkout of the repository. Tests keep every output fresh.
"""
