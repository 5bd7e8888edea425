"""A detailed diff: which property paths differ between two declared forms, and how.

Paths use Pulumi's property-path syntax (``iteration.treatments[1].allocationPercent``, map keys
that are not plain names quoted: ``iteration.flags["checkout-button"].ruleId``), so the engine
shows each changed leaf. Lists are compared item by item; a longer or shorter list adds or
deletes its tail items.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi.provider.experimental.provider import PropertyDiff, PropertyDiffKind

_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MISSING: Any = object()


def _child(path: str, key: str) -> str:
    if _PLAIN_NAME.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


def changed_paths(old: Any, new: Any, path: str = "") -> list[tuple[str, str]]:
    """(path, "add" | "delete" | "update") for each differing leaf or added/removed item."""
    if old is _MISSING:
        return [(path, "add")]
    if new is _MISSING:
        return [(path, "delete")]
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        found: list[tuple[str, str]] = []
        for key in sorted(set(old) | set(new)):
            found += changed_paths(
                old.get(key, _MISSING), new.get(key, _MISSING), _child(path, key)
            )
        return found
    if isinstance(old, list) and isinstance(new, list):
        found = []
        for i in range(max(len(old), len(new))):
            before = old[i] if i < len(old) else _MISSING
            after = new[i] if i < len(new) else _MISSING
            found += changed_paths(before, after, f"{path}[{i}]")
        return found
    return [] if old == new else [(path, "update")]


_KINDS = {
    ("add", False): PropertyDiffKind.ADD,
    ("add", True): PropertyDiffKind.ADD_REPLACE,
    ("delete", False): PropertyDiffKind.DELETE,
    ("delete", True): PropertyDiffKind.DELETE_REPLACE,
    ("update", False): PropertyDiffKind.UPDATE,
    ("update", True): PropertyDiffKind.UPDATE_REPLACE,
}


def detailed_diff(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    replace_keys: Iterable[str],
    ignore_keys: Iterable[str] = (),
) -> dict[str, PropertyDiff]:
    """The engine's detailed diff between old outputs and new inputs (both in declared form)."""
    replacing, ignored = set(replace_keys), set(ignore_keys)
    details: dict[str, PropertyDiff] = {}
    for key in sorted((set(old) | set(new)) - ignored):
        before, after = old.get(key, _MISSING), new.get(key, _MISSING)
        for path, change in changed_paths(before, after, _child("", key)):
            details[path] = PropertyDiff(_KINDS[change, key in replacing], input_diff=True)
    return details
