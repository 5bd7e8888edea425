"""The Metric's rules across fields: what each kind of metric requires (the spec's field
descriptions of ``MetricPost``, as the emulator enforces them) and what only some kinds take."""

from __future__ import annotations

from collections.abc import Iterator

from ....errors import Problem
from ...rules import RuleSet
from .models import (
    AnalysisType,
    FilterType,
    MetricEventDefault,
    MetricFilter,
    MetricKind,
    MetricSpec,
    MetricUrl,
    UrlKind,
)

RULES = RuleSet(MetricSpec)


def _required(prop: str, kind: MetricKind, what: str) -> Problem:
    return Problem(prop, f"required for {kind} metrics ({what}); it is not set")


def _only(prop: str, allowed: str, kind: MetricKind) -> Problem:
    return Problem(prop, f"only {allowed} take it; this metric's kind is '{kind}'")


@RULES.rule("kind", "selector", "urls")
def page_metrics_name_their_pages(
    kind: MetricKind, selector: str | None, urls: list[MetricUrl] | None
) -> Iterator[Problem]:
    if kind == MetricKind.CLICK and selector is None:
        yield _required("selector", kind, "the CSS selectors of the elements clicked")
    if kind in (MetricKind.CLICK, MetricKind.PAGEVIEW) and urls is None:
        yield _required("urls", kind, "the pages watched, one or more")
    if kind != MetricKind.CLICK and selector is not None:
        yield _only("selector", "click metrics", kind)
    if kind == MetricKind.CUSTOM and urls is not None:
        yield _only("urls", "click and pageview metrics", kind)


_URL_FIELD = {
    UrlKind.EXACT: "url",
    UrlKind.CANONICAL: "url",
    UrlKind.SUBSTRING: "substring",
    UrlKind.REGEX: "pattern",
}


@RULES.rule("urls")
def each_url_gives_what_its_kind_matches(urls: list[MetricUrl] | None) -> Iterator[Problem]:
    for index, url in enumerate(urls or []):
        needed = _URL_FIELD[UrlKind(url.kind)]
        if getattr(url, needed) is None:
            yield Problem(
                f"urls[{index}].{needed}", f"required for a URL of kind '{url.kind}'; it is not set"
            )
        for other in sorted({"url", "substring", "pattern"} - {needed}):
            if getattr(url, other) is not None:
                yield Problem(
                    f"urls[{index}].{other}",
                    f"a URL of kind '{url.kind}' is matched by {needed!r}, not {other!r}",
                )


@RULES.rule("kind", "isNumeric", "eventKey")
def custom_metrics_name_their_event(
    kind: MetricKind, is_numeric: bool | None, event_key: str | None
) -> Iterator[Problem]:
    if kind == MetricKind.CUSTOM:
        if is_numeric is None:
            yield _required(
                "isNumeric", kind, "true to measure a value, false to count conversions"
            )
        if event_key is None:
            yield _required("eventKey", kind, "the event key your code sends")
        return
    if is_numeric:
        yield _only("isNumeric", "custom metrics", kind)
    if event_key is not None:
        yield _only("eventKey", "custom metrics", kind)


@RULES.rule("kind", "isNumeric", "successCriteria")
def numeric_metrics_say_what_success_is(
    kind: MetricKind, is_numeric: bool | None, success_criteria: str | None
) -> Iterator[Problem]:
    if kind == MetricKind.CUSTOM and is_numeric and success_criteria is None:
        yield Problem(
            "successCriteria",
            "required for numeric custom metrics (HigherThanBaseline or LowerThanBaseline); "
            "it is not set",
        )
    if kind != MetricKind.CUSTOM and success_criteria is not None:
        yield _only("successCriteria", "custom metrics", kind)


@RULES.rule("kind", "isNumeric", "unit")
def only_numeric_metrics_have_a_unit(
    kind: MetricKind, is_numeric: bool | None, unit: str | None
) -> Iterator[Problem]:
    if unit is not None and (kind != MetricKind.CUSTOM or is_numeric is False):
        yield Problem(
            "unit",
            f"only numeric custom metrics take it; this metric is a {kind} metric"
            + (" that counts conversions (isNumeric false)" if is_numeric is False else ""),
        )


@RULES.rule("kind", "filters")
def only_custom_metrics_filter_events(
    kind: MetricKind, filters: MetricFilter | None
) -> Iterator[Problem]:
    if filters is not None and kind != MetricKind.CUSTOM:
        yield _only("filters", "custom metrics", kind)
    if filters is not None and filters.type != FilterType.GROUP and filters.attribute is None:
        yield Problem("filters.attribute", f"required for a '{filters.type}' filter; it is not set")


@RULES.rule("analysisType", "percentileValue")
def a_percentile_goes_with_percentile_analysis(
    analysis_type: AnalysisType | None, percentile_value: int | None
) -> Iterator[Problem]:
    if analysis_type == AnalysisType.PERCENTILE and percentile_value is None:
        yield Problem("percentileValue", 'required with analysisType "percentile"; it is not set')
    if analysis_type != AnalysisType.PERCENTILE and percentile_value is not None:
        given = "not set" if analysis_type is None else f"'{analysis_type}'"
        yield Problem(
            "percentileValue",
            f'only with analysisType "percentile" (analysisType is {given})',
        )


@RULES.rule("eventDefault")
def missing_events_count_as_zero(default: MetricEventDefault | None) -> Iterator[Problem]:
    if default is not None and default.value not in (None, 0):
        yield Problem("eventDefault.value", f"LaunchDarkly supports only 0; got {default.value:g}")
