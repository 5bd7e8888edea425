"""Values Pulumi does not know yet at preview (outputs of resources not created yet).

The dynamic-provider host hands them to ``check`` and ``diff`` as ``pulumi.output.Unknown``
objects, at any depth. These helpers let ``check`` apply every rule that does not depend on
them, and hold back the problems that might vanish once they are known.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import rpc
from pydantic import ValidationError

from .core.models import ExperimentSpec

_STAND_INS: dict[str, Any] = {
    "int_type": 1,
    "int_parsing": 1,
    "int_from_float": 1,
    "bool_type": False,
    "bool_parsing": False,
    "list_type": [],
    "value_error": "0",  # numeric strings (allocations, thresholds)
}


def with_stand_ins(props: dict[str, Any]) -> ExperimentSpec | None:
    """Validate ``props`` with each unknown leaf replaced by a value of the type it needs.

    Returns None when no such replacement validates (e.g. a whole object is unknown); the
    caller then reports only per-field problems.
    """
    candidate = _replace_unknowns(props, "unknown")
    for _ in range(4):
        try:
            return ExperimentSpec.model_validate(candidate)
        except ValidationError as exc:
            errors = exc.errors()
        progressed = False
        for error in errors:
            loc = tuple(error.get("loc", ()))
            if not is_unknown(_at(props, loc)):
                return None  # a real problem: no stand-in can hide it
            kind = error.get("type", "")
            if kind in ("enum", "literal_error"):
                expected = str((error.get("ctx") or {}).get("expected", ""))
                value: Any = expected.split("'")[1] if "'" in expected else None
            else:
                value = _STAND_INS.get(kind)
            if value is None:
                return None
            _set_at(candidate, loc, value)
            progressed = True
        if not progressed:
            return None
    return None


def _replace_unknowns(value: Any, stand_in: Any) -> Any:
    if is_unknown(value):
        return stand_in
    if isinstance(value, dict):
        return {k: _replace_unknowns(v, stand_in) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_unknowns(v, stand_in) for v in value]
    return value


def _at(node: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if not (in_dict or in_list):
            return None
        node = node[part]
    return node


def _set_at(node: Any, loc: tuple[Any, ...], value: Any) -> None:
    for part in loc[:-1]:
        node = node[part]
    node[loc[-1]] = value


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN)


def has_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


def depends_on_unknown(props: Mapping[str, Any], path: str) -> bool:
    """True when a problem at ``path`` may only be due to a value unknown at preview."""
    node: Any = props
    for part in path.replace("[", ".").replace("]", "").split("."):
        if is_unknown(node):
            return True
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            break
    if has_unknown(node):
        return True
    # Rules across the iteration (and the winner, a treatment name) read the whole iteration.
    spans_iteration = path.startswith("iteration") or path in ("winningTreatment", "state")
    return spans_iteration and has_unknown(props.get("iteration"))
