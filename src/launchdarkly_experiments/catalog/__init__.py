"""Experiments declared in a YAML or JSON file: load, check and describe the file.

One concern per module: ``reader`` (YAML/JSON into data and a node tree with positions),
``locate`` (a property path back to its place in the file), ``names`` (snake_case file names
<-> the wire names of the models), ``loader`` (``load``: every problem of the file at once),
``json_schema`` (the editors' schema) and ``cli`` (``python -m launchdarkly_experiments.catalog``).

The file holds a list of experiments under ``experiments:``, each written with the snake_case names
of ``ExperimentArgs`` and its nested argument classes, plus an optional ``defaults:`` mapping of
top-level fields every entry inherits (an entry's own value wins)::

    defaults:
      tags: [managed-by-pulumi]
    experiments:
      - key: checkout-button-placement
        name: Checkout button placement
        iteration:
          hypothesis: ...
          metrics: [{key: checkout-completed}]
          primary_single_metric_key: checkout-completed
          treatments: [...]
          flags:
            checkout-button: {rule_id: fallthrough, flag_config_version: 3}

It may also list ``metrics:`` and ``metric_groups:`` (``sections``), written with the names of
``MetricResourceArgs`` and ``MetricGroupArgs``; they inherit the defaults they have a field for.
``Catalog.references`` says where an entry names another entry of the file.

``load(path)`` checks every entry with the provider's own validation of its kind
(``core.rules.validation_problems``, the same function ``pulumi preview`` runs), so a file that
loads is a file the provider accepts; a key used twice in one section is a problem too.
Every problem in the file is reported at once, each with ``file:line:column``, in one
``CatalogError``. YAML duplicate keys are refused, and a value that YAML reads as a boolean,
number or null where a string is expected (``name: No``) gets a hint to quote it.

This module does not import pulumi: ``catalog_resources.declare`` turns a loaded catalog into
``Metric``, ``MetricGroup`` and ``Experiment`` resources.

Regenerate the editor schema with::

    python -m launchdarkly_experiments.catalog schema > schemas/experiments.schema.json
"""

from __future__ import annotations

from ..errors import CatalogError, Problem
from .cli import main
from .json_schema import json_schema, schema_text
from .loader import load
from .results import Catalog, Entry, Reference

__all__ = [
    "Catalog",
    "CatalogError",
    "Entry",
    "Problem",
    "Reference",
    "json_schema",
    "load",
    "main",
    "schema_text",
]
