"""The Holdout's models: what a user declares, what LaunchDarkly answers, what is computed.

LaunchDarkly's create body (``HoldoutPostRequest``) spells its keys in lower case
(``randomizationunit``, ``holdoutamount``, ``primarymetrickey``, ``prerequisiteflagkey``): a wire
detail kept in ``state.post_body``. Users declare camelCase names like every other kind.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field

from ...models import (
    Description,
    InputModel,
    Key,
    NonEmpty,
    OutputModel,
    ResponseModel,
    adopt_field,
    environment_key_field,
    project_key_field,
)

# An experiment's metric reference and percentage are a holdout's too.
from ..experiment.models import MetricRef, Percent


def _above_zero(amount: str) -> str:
    if Decimal(amount) == 0:
        raise ValueError("must be a number above 0 and up to 100; got 0")
    return amount


#: A percentage above 0 and up to 100, a string on LaunchDarkly's wire ("5"); numbers accepted.
HoldoutAmount = Annotated[Percent, AfterValidator(_above_zero)]


class HoldoutSpec(InputModel):
    """Everything a user declares for one ``Holdout`` resource."""

    schema_name: ClassVar[str] = "Holdout"
    args_name: ClassVar[str] = "HoldoutArgs"

    project_key: Key = project_key_field("the holdout")
    environment_key: Key = environment_key_field("the holdout")
    key: Key = Field(
        description="Holdout key. Changing it replaces the holdout (the old one is ended; an "
        "ended holdout keeps its key for good)."
    )
    name: NonEmpty = Field(description="Display name.")
    holdout_amount: HoldoutAmount = Field(
        description='Percentage of traffic held out, above 0 and up to 100 (5 or "2.5").'
    )
    description: Description = Field(default=None, description="Free-text description.")
    randomization_unit: NonEmpty | None = Field(
        default=None,
        description="Randomization unit, a context kind (default: the project's default unit).",
    )
    metrics: list[MetricRef] | None = Field(
        default=None,
        description="Metrics measured (default: the primary metric alone).",
    )
    primary_metric_key: Key | None = Field(
        default=None, description="The primary metric's key; one of metrics when they are given."
    )
    prerequisite_flag_key: Key | None = Field(
        default=None, description="Key of the flag the holdout depends on."
    )
    attributes: list[NonEmpty] | None = Field(
        default=None, description="Context attributes the results can be sliced by."
    )
    maintainer_id: NonEmpty | None = Field(
        default=None,
        description="Member id of the maintainer (default: the token's member, else the "
        "provider's maintainerId).",
    )
    adopt: bool = adopt_field("holdout")


# -- responses (tolerant: unknown fields ignored) -----------------------------------------------


class KeyRep(ResponseModel):
    key: str


class HoldoutMetricRep(ResponseModel):
    key: str
    is_group: bool | None = None


class HoldoutIterationRep(ResponseModel):
    randomization_unit: str | None = None
    metrics: list[HoldoutMetricRep] | None = None
    primary_single_metric: KeyRep | None = None
    primary_funnel: KeyRep | None = None
    primary_metric: KeyRep | None = None  # deprecated, still rendered by some accounts
    flags: dict[str, Any] | None = None
    attributes: list[str] | None = None


class BaseExperimentRep(ResponseModel):
    """The holdout's base experiment: its key, name, maintainer and design live here."""

    key: str
    name: str
    description: str | None = None
    maintainer_id: str | None = Field(default=None, alias="_maintainerId")
    current_iteration: HoldoutIterationRep | None = None


class HoldoutRep(ResponseModel):
    """A ``HoldoutRep`` (or ``HoldoutDetailRep``) as LaunchDarkly returns it."""

    id: str = Field(alias="_id")
    status: str
    description: str | None = None
    holdout_amount: str
    created_at: int | None = None
    base_experiment: BaseExperimentRep

    @property
    def ended(self) -> bool:
        return self.status == "ended"


# -- computed outputs -----------------------------------------------------------------------------


class HoldoutOutputs(OutputModel):
    """What LaunchDarkly computes for a holdout: the outputs beside every input."""

    holdout_id: str = Field(
        description="LaunchDarkly's `_id` of the holdout: what an experiment's holdoutId takes."
    )
    status: str = Field(description="The holdout's status (running; ended once deleted).")
    created_at: int | None = Field(default=None, description="Unix milliseconds.")
