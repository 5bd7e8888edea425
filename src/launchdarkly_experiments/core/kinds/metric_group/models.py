"""The MetricGroup's models: what a user declares (``MetricGroupSpec``, the spec's
``MetricGroupPost``) and what LaunchDarkly computes (``MetricGroupOutputs``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field

from ...models import (
    Description,
    InputModel,
    Key,
    NonEmpty,
    OutputModel,
    TagSet,
    adopt_field,
    project_key_field,
)


class MetricGroupKind(StrEnum):
    FUNNEL = "funnel"
    STANDARD = "standard"


class MetricGroupMetric(InputModel):
    """A metric of the group (``MetricInMetricGroupInput``)."""

    schema_name: ClassVar[str] = "MetricGroupMetric"
    args_name: ClassVar[str] = "MetricGroupMetricArgs"

    key: Key = Field(description="The metric's key (a metric of the group's project).")
    name_in_group: NonEmpty | None = Field(
        default=None,
        description="The metric's name in the group (a funnel step's name); required in a "
        "funnel (default in a standard group: the metric key).",
    )


class MetricGroupSpec(InputModel):
    """Everything a user declares for one ``MetricGroup`` resource (``MetricGroupPost``)."""

    schema_name: ClassVar[str] = "MetricGroup"
    args_name: ClassVar[str] = "MetricGroupArgs"

    key: Key = Field(description="Metric group key; changing it replaces the group.")
    name: NonEmpty = Field(description="A human-friendly name.")
    kind: MetricGroupKind = Field(
        description="A funnel (its metrics are steps, in order) or a standard group."
    )
    metrics: list[MetricGroupMetric] = Field(
        min_length=1,
        description="The metrics of the group, in order (a funnel's steps), each once; a funnel "
        "has at least two.",
    )
    description: Description = Field(default=None, description="Free-text description.")
    maintainer_id: NonEmpty | None = Field(
        default=None,
        description="Member id of the maintainer (default: the provider's maintainerId, else "
        "the token's member; kept as it is when left out).",
    )
    tags: TagSet = Field(default=None, description="Tags (a set: order is ignored).")
    project_key: Key = project_key_field("the group")
    adopt: bool = adopt_field("metric group")


class MetricGroupOutputs(OutputModel):
    """What LaunchDarkly computes for a metric group: the outputs beside every input."""

    metric_group_id: str = Field(description="LaunchDarkly's `_id` of the metric group.")
    version: int | None = Field(default=None, description="Its version, one more per change.")
    creation_date: int | None = Field(default=None, description="Unix milliseconds.")
    last_modified: int | None = Field(
        default=None, description="When it last changed (Unix milliseconds)."
    )
    effective_maintainer_id: str | None = Field(
        default=None, description="The maintainer LaunchDarkly recorded (a member's id)."
    )


# The group's address, part of its URL.
REPLACE_ON = ("projectKey", "key")
KEPT = frozenset({"maintainerId"})
API_DEFAULTS: dict[str, Any] = {"tags": []}
