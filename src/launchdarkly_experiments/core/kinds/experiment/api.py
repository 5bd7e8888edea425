"""The experiments endpoints, over the one client, with the answers parsed into models.

The HTTP client speaks JSON only and knows nothing of experiments; this is where a path is built
and an answer becomes an ``ExperimentRep``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ....http.client import SEMANTIC_PATCH, LaunchDarklyClient
from ... import paths
from .models import ExperimentRep
from .state import Address

# Every expand the provider needs to rebuild inputs and outputs from one GET.
FULL_EXPAND = "treatments,draftIteration,previousIterations,analysisConfig,secondaryMetrics"


def get_experiment(
    client: LaunchDarklyClient, address: Address, *, expand: str = FULL_EXPAND
) -> ExperimentRep:
    path = paths.experiment(address.project, address.environment, address.key)
    return ExperimentRep.model_validate(client.request("GET", path, params={"expand": expand}))


def create_experiment(
    client: LaunchDarklyClient, address: Address, body: Mapping[str, Any]
) -> ExperimentRep:
    path = paths.experiments(address.project, address.environment)
    return ExperimentRep.model_validate(client.request("POST", path, json=body))


def patch_experiment(
    client: LaunchDarklyClient, address: Address, instructions: list[dict[str, Any]]
) -> ExperimentRep:
    path = paths.experiment(address.project, address.environment, address.key)
    answer = client.request(
        "PATCH", path, json={"instructions": instructions}, content_type=SEMANTIC_PATCH
    )
    return ExperimentRep.model_validate(answer)
