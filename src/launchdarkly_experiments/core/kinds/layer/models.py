"""The Layer's models: what a user declares, what LaunchDarkly answers, what is computed."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field

from ...models import (
    Description,
    InputModel,
    Key,
    NonEmpty,
    OutputModel,
    ResponseModel,
    adopt_field,
    project_key_field,
)


def _whole(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a whole number from 0 to 100")
    return value


Percentage = Annotated[int, BeforeValidator(_whole), Field(ge=0, le=100)]


class LayerReservation(InputModel):
    """An experiment's share of the layer's traffic in one environment."""

    schema_name: ClassVar[str] = "LayerReservation"
    args_name: ClassVar[str] = "LayerReservationArgs"

    environment_key: Key = Field(description="The environment the reservation is in.")
    experiment_key: Key = Field(description="The experiment it reserves traffic for.")
    reservation_percent: Percentage = Field(
        description="Percentage of traffic reserved, a whole number from 0 to 100 (0 only "
        "before the experiment starts); an environment's reservations total at most 100."
    )


class LayerSpec(InputModel):
    """Everything a user declares for one ``Layer`` resource."""

    schema_name: ClassVar[str] = "Layer"
    args_name: ClassVar[str] = "LayerArgs"

    project_key: Key = project_key_field("the layer")
    key: Key = Field(description="Layer key. Changing it replaces the layer.")
    name: NonEmpty = Field(description="Display name.")
    description: Description = Field(default=None, description="Free-text description.")
    reservations: list[LayerReservation] | None = Field(
        default=None,
        description="The experiments in the layer, each with its share of traffic in one "
        "environment: experiments in one layer never share traffic. The layer holds exactly "
        "these (order is ignored).",
    )
    adopt: bool = adopt_field(
        "layer",
        "Its reservations come with it; a layer an earlier destroy left without reservations "
        "is taken over even without adopt.",
    )


# -- responses (tolerant: unknown fields ignored) -----------------------------------------------


class ReservationRep(ResponseModel):
    experiment_key: str
    flag_key: str | None = None
    reservation_percent: int


class LayerEnvironmentRep(ResponseModel):
    reservations: list[ReservationRep] = Field(default_factory=list)


class LayerRep(ResponseModel):
    """A ``LayerRep`` as LaunchDarkly returns it (every environment with its reservations)."""

    key: str
    name: str
    description: str | None = None
    created_at: int | None = None
    environments: dict[str, LayerEnvironmentRep] = Field(default_factory=dict)


# -- computed outputs -----------------------------------------------------------------------------


class LayerOutputs(OutputModel):
    """What LaunchDarkly computes for a layer: the outputs beside every input."""

    created_at: int | None = Field(default=None, description="Unix milliseconds.")
