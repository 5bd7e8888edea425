"""Declare ``Experiment`` resources from an experiments file (the Pulumi side of ``catalog``).

::

    from launchdarkly_experiments.catalog_resources import declare_experiments

    experiments = declare_experiments("experiments.yaml")  # {key: Experiment}

The whole file is checked first (``catalog.load``): when it has problems, ``CatalogError`` lists
every one of them with ``file:line:column`` and nothing is declared.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi

from .catalog import Catalog, load
from .dynamic.resources import Experiment

__all__ = ["declare_experiments"]


def declare_experiments(
    source: Catalog | str | Path,
    *,
    defaults: Mapping[str, Any] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> dict[str, Experiment]:
    """One ``Experiment`` per entry, named after its key; returns them by key.

    ``source`` is a loaded ``Catalog`` or the path of a file to load (with ``defaults``, see
    ``catalog.load``).
    """
    catalog = source if isinstance(source, Catalog) else load(source, defaults=defaults)
    # A loop, not a comprehension (a frame of its own): every frame on the stack at registration
    # is kept in the engine's state of each experiment.
    declared: dict[str, Experiment] = {}
    for entry in catalog:
        declared[entry.key] = Experiment(entry.key, opts=opts, **entry.resource_args())
    return declared
