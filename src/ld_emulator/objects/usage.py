"""Who uses an object: what deleting a metric or metric group, or dropping a randomization unit,
would leave without it.

"In use" means: listed by a (live) metric group, or named by the current or draft iteration of
an experiment that is not archived (an archived experiment keeps rendering what it measured),
or, for a unit, by a holdout that has not ended. Under the ``in-use-refused`` strict point such
a change is a 400 naming the users; under ``lenient`` it goes ahead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..documents import HOLDOUT, METRIC_GROUP, Documents
from ..errors import invalid
from ..profiles import Profile
from ..store import Query, Store, StoredExperiment

__all__ = ["groups_listing", "refuse_if_used", "users_of_metric", "users_of_unit"]

JSON = dict[str, Any]


def _active(store: Store, query: Query) -> Iterator[tuple[StoredExperiment, list[JSON]]]:
    """Not-archived experiments with their current and draft iterations."""
    for stored in store.select(query)[1]:
        iterations = [stored.doc["current"]]
        if stored.doc.get("draft"):
            iterations.append(stored.doc["draft"])
        yield stored, iterations


def _label(stored: StoredExperiment) -> str:
    return f"experiment '{stored.key}' ({stored.environment})"


def groups_listing(docs: Documents, metric_key: str) -> list[str]:
    """The live metric groups that list a metric."""
    return [
        str(group["key"])
        for group in docs.all(METRIC_GROUP)
        if any(m["key"] == metric_key for m in group["metrics"])
    ]


def users_of_metric(store: Store, docs: Documents, key: str, *, is_group: bool) -> list[str]:
    """What uses a metric (``is_group`` False) or metric group: groups and experiments."""
    users = [] if is_group else [f"metric group '{g}'" for g in groups_listing(docs, key)]
    query = Query(docs.project, None, frozenset({"active"}), metric_keys=(key,))
    for stored, iterations in _active(store, query):
        if any(
            m.get("key") == key and bool(m.get("isGroup", False)) == is_group
            for it in iterations
            for m in it.get("metrics", [])
        ):
            users.append(_label(stored))
    return users


def users_of_unit(store: Store, docs: Documents, unit: str, environments: list[str]) -> list[str]:
    """What uses a randomization unit: experiments, and holdouts that have not ended."""
    users = []
    for stored, iterations in _active(store, Query(docs.project, None, frozenset({"active"}))):
        if any(it.get("randomizationUnit") == unit for it in iterations):
            users.append(_label(stored))
    for env in environments:
        for holdout in docs.all(HOLDOUT, env):
            if holdout["status"] != "ended" and holdout["randomizationUnit"] == unit:
                users.append(f"holdout '{holdout['key']}' ({env})")
    return users


def refuse_if_used(profile: Profile, what: str, users: list[str], remedy: str) -> None:
    """Under ``in-use-refused``, a 400 naming what uses ``what`` (the first five) if anything
    does; under ``lenient``, nothing."""
    if users and "in-use-refused" in profile:
        shown = ", ".join(users[:5]) + (f" and {len(users) - 5} more" if len(users) > 5 else "")
        raise invalid(f"{what} is in use by {shown}: {remedy}")
