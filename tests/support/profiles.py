"""Which tests run under every emulator profile: those whose requests the profiles answer
differently.

The profiles (``ld_emulator.profiles``, docs/emulator.md) differ only at named strict points,
and each point is reached by certain requests only: a write of an experiment, a listing asked
for more than 20 items, an injected gateway error. A test none of whose requests reach one gets
the same answers under every profile, so running it under each proves nothing more. Such a test
says so with :data:`one_profile` and runs under the default profile; its suite's fixture then
checks the claim against the emulator's request log (:func:`where_profiles_differ`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ld_emulator import STRICT_POINTS, Emulator
from ld_emulator.faults import GATEWAY_STATUSES

DEFAULT_PROFILE = "lenient"
Entry = dict[str, Any]


def _experiment_write(entry: Entry) -> bool:
    return entry["method"] in ("POST", "PATCH", "DELETE") and "/experiments" in entry["path"]


def _long_listing(entry: Entry) -> bool:
    limit = str(entry["query"].get("limit", ""))
    listing = entry["path"].endswith(("/experiments", "/holdouts"))
    return entry["method"] == "GET" and listing and limit.isdigit() and int(limit) > 20


def _write_to(*kinds: str) -> Callable[[Entry], bool]:
    """Writes whose path has one of ``kinds`` as a segment (e.g. ``metric-groups``)."""

    def reaches(entry: Entry) -> bool:
        segments = entry["path"].split("/")
        return entry["method"] in ("POST", "PATCH", "PUT", "DELETE") and any(
            kind in segments for kind in kinds
        )

    return reaches


def _any(*rules: Callable[[Entry], bool]) -> Callable[[Entry], bool]:
    return lambda entry: any(rule(entry) for rule in rules)


def _flag_read(entry: Entry) -> bool:
    return entry["method"] == "GET" and entry["path"].startswith("/api/v2/flags/")


def _gateway_error(entry: Entry) -> bool:
    return entry["status"] in GATEWAY_STATUSES


#: For each strict point, the requests that reach it.
REACHED_BY: dict[str, Callable[[Entry], bool]] = {
    "write-without-expansions": _experiment_write,
    "restart-needs-new-iteration": _experiment_write,
    "archive-running-refused": _experiment_write,
    "treatment-ids-renewed-on-start": _experiment_write,
    "flag-config-version-checked": _experiment_write,
    "duplicate-key-400": _experiment_write,
    "maintainer-must-be-member": _any(
        _experiment_write, _write_to("metrics", "metric-groups", "holdouts")
    ),
    "in-use-refused": _write_to("metrics", "metric-groups", "experimentation-settings", "holdouts"),
    "ended-holdout-takes-no-experiments": _experiment_write,
    "funnel-needs-two-metrics": _write_to("metric-groups"),
    "key-required": _write_to("metric-groups", "holdouts"),
    "experiment-serving-bumps-version": _experiment_write,
    "env-version-is-flag-version": _flag_read,
    "list-limit-20": _long_listing,
    "gateway-errors-html": _gateway_error,
}
if set(REACHED_BY) != set(STRICT_POINTS):  # a new point needs its requests named here
    raise AssertionError(f"strict points without a rule: {set(STRICT_POINTS) ^ set(REACHED_BY)}")

#: For a test whose requests reach no strict point: it runs under the default profile only.
one_profile = pytest.mark.parametrize("emulator", [DEFAULT_PROFILE], indirect=True)


def runs_under_one_profile(node: pytest.Item) -> bool:
    return any(
        mark.args and mark.args[0] == "emulator" for mark in node.iter_markers("parametrize")
    )


def where_profiles_differ(requests: list[Entry]) -> list[str]:
    """The logged requests that reach a strict point, each with the points it reaches."""
    found = []
    for entry in requests:
        points = [point for point, reaches in REACHED_BY.items() if reaches(entry)]
        if points:
            found.append(f"{entry['method']} {entry['path']} ({entry['status']}): {points}")
    return found


@contextlib.contextmanager
def one_profile_checked(node: pytest.Item, emulator: Emulator) -> Iterator[None]:
    """Around a test: if it is marked :data:`one_profile`, check afterwards that none of its
    requests reached a strict point, those it cleared from the log included."""
    if not runs_under_one_profile(node):
        yield
        return
    seen: list[Entry] = []
    clear = emulator.clear_requests

    def keep_then_clear() -> None:
        seen.extend(emulator.requests())
        clear()

    emulator.clear_requests = keep_then_clear  # type: ignore[method-assign]
    try:
        yield
    finally:
        del emulator.clear_requests
    reached = where_profiles_differ([*seen, *emulator.requests()])
    assert not reached, f"the profiles answer these differently: drop one_profile: {reached}"
