"""The Metric's models: what a user declares (``MetricSpec``, the spec's ``MetricPost``) and what
LaunchDarkly computes (``MetricOutputs``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field

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


class MetricKind(StrEnum):
    PAGEVIEW = "pageview"
    CLICK = "click"
    CUSTOM = "custom"


class UrlKind(StrEnum):
    EXACT = "exact"
    CANONICAL = "canonical"
    SUBSTRING = "substring"
    REGEX = "regex"


class SuccessCriteria(StrEnum):
    HIGHER_THAN_BASELINE = "HigherThanBaseline"
    LOWER_THAN_BASELINE = "LowerThanBaseline"


class UnitAggregationType(StrEnum):
    AVERAGE = "average"
    SUM = "sum"


class AnalysisType(StrEnum):
    MEAN = "mean"
    PERCENTILE = "percentile"


class FilterType(StrEnum):
    GROUP = "group"
    CONTEXT_ATTRIBUTE = "contextAttribute"
    EVENT_PROPERTY = "eventProperty"


def _sorted_keys(values: list[str] | None) -> list[str] | None:
    # Randomization units are a set: order and repeats carry no meaning.
    return sorted(set(values)) if values is not None else None


KeySet = Annotated[list[Key] | None, AfterValidator(_sorted_keys)]


class MetricUrl(InputModel):
    """A page the metric watches (``UrlPost``): ``url`` for kinds exact and canonical,
    ``substring`` for substring, ``pattern`` for regex."""

    schema_name: ClassVar[str] = "MetricUrl"
    args_name: ClassVar[str] = "MetricUrlArgs"

    kind: UrlKind = Field(description="How a page's URL is matched.")
    url: NonEmpty | None = Field(default=None, description="The URL (kinds exact, canonical).")
    substring: NonEmpty | None = Field(
        default=None, description="A part of the URL (kind substring)."
    )
    pattern: NonEmpty | None = Field(
        default=None, description="A regular expression the URL matches (kind regex)."
    )


class MetricEventDefault(InputModel):
    """What a unit without events counts as (``MetricEventDefaultRep``)."""

    schema_name: ClassVar[str] = "MetricEventDefault"
    args_name: ClassVar[str] = "MetricEventDefaultArgs"

    disabled: bool | None = Field(
        default=None,
        description="Whether missing unit events are left out of results instead of counted "
        "as the default value (default false).",
    )
    value: float | None = Field(
        default=None,
        description="The value a missing unit event counts as; LaunchDarkly supports only 0.",
    )


class MetricDataSource(InputModel):
    """Where the metric's events come from (``MetricDataSourceRefRep``)."""

    schema_name: ClassVar[str] = "MetricDataSource"
    args_name: ClassVar[str] = "MetricDataSourceArgs"

    key: NonEmpty = Field(description='The data source\'s key (default "launchdarkly").')
    environment_key: NonEmpty | None = Field(
        default=None, description="The data source's environment, where it has one."
    )


class MetricFilter(InputModel):
    """A filter of the events the metric counts (``EventFilter``): a context attribute or event
    property test, or a group of filters (``values`` then holds the member filters)."""

    schema_name: ClassVar[str] = "MetricFilter"
    args_name: ClassVar[str] = "MetricFilterArgs"

    type: FilterType = Field(description="What the filter tests.")
    op: NonEmpty = Field(
        description='The operator ("in", ...; "and" or "or" for a group of filters).'
    )
    values: list[Any] = Field(
        description="The values compared, or the member filters of a group (as mappings)."
    )
    negate: bool = Field(description="True to invert the operator ('in' becomes 'not in').")
    attribute: NonEmpty | None = Field(
        default=None, description="The context attribute or event property tested."
    )
    context_kind: NonEmpty | None = Field(
        default=None, description="For a context attribute, the context kind."
    )


class MetricSpec(InputModel):
    """Everything a user declares for one ``Metric`` resource (``MetricPost``)."""

    schema_name: ClassVar[str] = "Metric"
    # "MetricArgs" is the experiment's metric reference (``MetricRef``).
    args_name: ClassVar[str] = "MetricResourceArgs"

    key: Key = Field(description="Metric key; changing it replaces the metric.")
    name: NonEmpty = Field(description="A human-friendly name.")
    kind: MetricKind = Field(
        description="What the metric tracks; it cannot change after creation (a change "
        "replaces the metric)."
    )
    description: Description = Field(default=None, description="Free-text description.")
    selector: NonEmpty | None = Field(
        default=None, description="CSS selectors of the elements clicked; click metrics only."
    )
    urls: list[MetricUrl] | None = Field(
        default=None,
        min_length=1,
        description="The pages watched; required for click and pageview metrics.",
    )
    is_numeric: bool | None = Field(
        default=None,
        description="Custom metrics: true to measure a value against the baseline, false to "
        "count conversions; required for custom metrics.",
    )
    unit: NonEmpty | None = Field(
        default=None, description="Unit of measure; numeric custom metrics only."
    )
    event_key: NonEmpty | None = Field(
        default=None, description="The event key your code sends; required for custom metrics."
    )
    success_criteria: SuccessCriteria | None = Field(
        default=None,
        description="Which direction is success; required for numeric custom metrics.",
    )
    tags: TagSet = Field(default=None, description="Tags (a set: order is ignored).")
    randomization_units: KeySet = Field(
        default=None,
        description="Context kinds the metric can be randomized by (a set; default: the "
        "project's default unit, kept as it is when left out).",
    )
    maintainer_id: NonEmpty | None = Field(
        default=None,
        description="Member id of the maintainer (default: the provider's maintainerId, else "
        "the token's member; kept as it is when left out).",
    )
    unit_aggregation_type: UnitAggregationType | None = Field(
        default=None, description="How several events of one unit are aggregated."
    )
    analysis_type: AnalysisType | None = Field(
        default=None, description="How the metric's events are analysed."
    )
    percentile_value: int | None = Field(
        default=None,
        ge=0,
        le=100,
        description='The percentile analysed, 0 to 100; only with analysisType "percentile", '
        "which requires it.",
    )
    event_default: MetricEventDefault | None = Field(
        default=None, description="What a unit without events counts as."
    )
    data_source: MetricDataSource | None = Field(
        default=None, description='Where events come from (default: key "launchdarkly").'
    )
    filters: MetricFilter | None = Field(
        default=None, description="Which events count; custom metrics only."
    )
    project_key: Key = project_key_field("the metric")
    adopt: bool = adopt_field("metric")


class MetricOutputs(OutputModel):
    """What LaunchDarkly computes for a metric: the outputs beside every input."""

    metric_id: str = Field(description="LaunchDarkly's `_id` of the metric.")
    version_id: str = Field(description="The `_versionId` of the metric's current version.")
    version: int | None = Field(default=None, description="Its version, one more per change.")
    creation_date: int | None = Field(default=None, description="Unix milliseconds.")
    last_modified: str | None = Field(default=None, description="When it last changed (ISO 8601).")
    effective_maintainer_id: str | None = Field(
        default=None, description="The maintainer LaunchDarkly recorded."
    )
    effective_randomization_units: list[str] | None = Field(
        default=None, description="The randomization units LaunchDarkly recorded."
    )


# The metric's address (part of its URL) and its kind, which LaunchDarkly cannot change.
REPLACE_ON = ("projectKey", "key", "kind")
#: Fields LaunchDarkly fills in when left out: kept as they are, read back only when declared.
KEPT = frozenset({"maintainerId", "randomizationUnits"})
#: What LaunchDarkly holds for a field left out.
API_DEFAULTS: dict[str, Any] = {"tags": [], "dataSource": {"key": "launchdarkly"}}
