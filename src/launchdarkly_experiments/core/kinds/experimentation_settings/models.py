"""The ExperimentationSettings' models: a project's randomization units."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from ...models import InputModel, Key, NonEmpty, OutputModel, ResponseModel, project_key_field


class RandomizationUnit(InputModel):
    """One randomization unit of the project: a context kind experiments can randomize by."""

    schema_name: ClassVar[str] = "RandomizationUnit"
    args_name: ClassVar[str] = "RandomizationUnitArgs"

    randomization_unit: NonEmpty = Field(description="The unit: the key of a context kind.")
    default: bool = Field(
        default=False,
        description="Whether new experiments use this unit when they name none; at most one "
        "unit is the default (none: the first listed).",
    )
    standard_randomization_unit: NonEmpty | None = Field(
        default=None,
        description="Deprecated by LaunchDarkly (sent as given, never read back).",
    )


class SettingsSpec(InputModel):
    """Everything a user declares for one ``ExperimentationSettings`` resource."""

    schema_name: ClassVar[str] = "ExperimentationSettings"
    args_name: ClassVar[str] = "ExperimentationSettingsArgs"

    project_key: Key = project_key_field("the resource (the old project's units are restored)")
    randomization_units: list[RandomizationUnit] = Field(
        min_length=1,
        description="The project's randomization units, at least one; they replace the "
        "project's units (the first is the default unless one says default).",
    )


# -- responses (tolerant: unknown fields ignored) -----------------------------------------------


class UnitRep(ResponseModel):
    randomization_unit: str
    default: bool | None = None


class SettingsRep(ResponseModel):
    """A ``RandomizationSettingsRep`` as LaunchDarkly returns it."""

    randomization_units: list[UnitRep] = Field(default_factory=list)


# -- computed outputs -----------------------------------------------------------------------------


class SettingsOutputs(OutputModel):
    """What the resource records and LaunchDarkly computes: the outputs beside every input."""

    previous_randomization_units: list[RandomizationUnit] = Field(
        description="The project's units before this resource took them over (what deleting "
        "the resource restores)."
    )
    default_randomization_unit: str = Field(
        description="The unit new experiments use when they name none."
    )
