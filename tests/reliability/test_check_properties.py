"""Property-based: check never raises, and every rejection names a property."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.output import Unknown

from launchdarkly_experiments.provider import ExperimentProvider
from tests.support.declarations import DECLARATION

FIELDS = sorted(
    {
        *DECLARATION,
        "description",
        "tags",
        "methodology",
        "dataSource",
        "type",
        "analysisConfig",
        "holdoutId",
        "maintainerId",
        "state",
        "winningTreatment",
        "winningReason",
        "onRunningChange",
        "adopt",
        "changeJustification",
    }
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["bayesian", "mab", "running", "stopped", "50", "-1", "1e400", "fallthrough"]),
    st.builds(Unknown),
)
json_like = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=12), children, max_size=4),
    ),
    max_leaves=20,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


PROVIDER = ExperimentProvider()


def assert_well_formed(props: dict[str, Any]) -> None:
    result = PROVIDER.check({}, {**props, "__provider": "blob"})
    assert isinstance(result.inputs, dict)
    for failure in result.failures:
        assert isinstance(failure.property, str) and failure.property != ""
        assert isinstance(failure.reason, str) and failure.reason.strip()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), json_like, max_size=8))
def test_arbitrary_inputs_never_raise(props: dict[str, Any]) -> None:
    assert_well_formed(props)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_one_corrupted_field_of_a_valid_declaration_is_named(data: st.DataObject) -> None:
    props = copy.deepcopy(DECLARATION)
    target = data.draw(st.sampled_from(paths(props)[1:]))
    replacement = data.draw(json_like)
    node: Any = props
    for part in target[:-1]:
        node = node[part]
    node[target[-1]] = replacement
    result = PROVIDER.check({}, {**props, "__provider": "blob"})
    for failure in result.failures:
        assert failure.property != "" and failure.reason.strip()
        # The named property lies on the corrupted path or is a rule across its collection.
        head = str(target[0])
        assert failure.property.split(".")[0].split("[")[0] in (head, "winningTreatment"), (
            target,
            failure.property,
        )
