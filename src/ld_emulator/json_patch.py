"""JSON Patch (RFC 6902), as metrics and metric groups are changed: ``PATCH`` with a body like
``[{"op": "replace", "path": "/name", "value": "New name"}]``.

All six operations (``add``, ``remove``, ``replace``, ``move``, ``copy``, ``test``) on JSON
Pointers (RFC 6901, ``~0``/``~1`` escapes, ``-`` for the end of an array). The patch applies to a
copy, all or nothing: the first operation that cannot apply (a missing path, a failed ``test``)
is a 400 naming it. Which top-level fields may be changed is the caller's business
(:func:`apply_patch`'s ``writable``).
"""

from __future__ import annotations

import copy
from typing import Any

from . import spec
from .errors import invalid, shorten

__all__ = ["OPERATIONS", "apply_patch"]

JSON = dict[str, Any]

OPERATIONS = ("add", "remove", "replace", "move", "copy", "test")
_MISSING = object()


def _pointer(text: Any, where: str) -> list[str]:
    if not isinstance(text, str) or (text and not text.startswith("/")):
        raise invalid(f"{where}: '{shorten(str(text), 80)}' is not a JSON Pointer (e.g. '/name')")
    if text == "":
        return []
    return [part.replace("~1", "/").replace("~0", "~") for part in text[1:].split("/")]


def _index(container: list[Any], token: str, where: str, *, end_ok: bool) -> int:
    if token == "-" and end_ok:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise invalid(f"{where}: '{shorten(token, 40)}' is not an array index")
    index = int(token)
    if index > len(container) or (index == len(container) and not end_ok):
        raise invalid(f"{where}: index {index} is out of range (length {len(container)})")
    return index


def _parent(doc: Any, parts: list[str], where: str) -> Any:
    node = doc
    for token in parts[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, where, end_ok=False)]
        else:
            raise invalid(f"{where}: the path does not exist")
    return node


def _get(doc: Any, parts: list[str], where: str) -> Any:
    if not parts:
        return doc
    parent = _parent(doc, parts, where)
    token = parts[-1]
    if isinstance(parent, dict):
        if token not in parent:
            raise invalid(f"{where}: the path does not exist")
        return parent[token]
    if isinstance(parent, list):
        return parent[_index(parent, token, where, end_ok=False)]
    raise invalid(f"{where}: the path does not exist")


def _add(doc: Any, parts: list[str], value: Any, where: str) -> Any:
    if not parts:
        return value
    parent = _parent(doc, parts, where)
    token = parts[-1]
    if isinstance(parent, dict):
        parent[token] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, token, where, end_ok=True), value)
    else:
        raise invalid(f"{where}: the path does not exist")
    return doc


def _remove(doc: Any, parts: list[str], where: str) -> Any:
    if not parts:
        raise invalid(f"{where}: the whole document cannot be removed")
    _get(doc, parts, where)
    parent = _parent(doc, parts, where)
    if isinstance(parent, dict):
        del parent[parts[-1]]
    else:
        del parent[_index(parent, parts[-1], where, end_ok=False)]
    return doc


def apply_patch(doc: JSON, body: Any, writable: frozenset[str], what: str) -> JSON:
    """Validate ``body`` as the spec's ``JSONPatch`` and apply it to a copy of ``doc``.

    Every path (and ``from``) must start with a field of ``writable``; ``what`` names the
    object in messages ("metric", "metric group").
    """
    problem = spec.validation_problem("JSONPatch", body, strict=False)
    if problem is not None:
        raise invalid(problem.message)
    if not body:
        raise invalid("request body: a JSON Patch needs at least one operation")
    result: Any = copy.deepcopy(doc)
    for index, operation in enumerate(body):
        where = f"[{index}]"
        op = operation["op"]
        if op not in OPERATIONS:
            raise invalid(
                f"{where}.op: '{shorten(str(op), 40)}' is not a JSON Patch operation "
                f"(one of: {', '.join(OPERATIONS)})"
            )
        extra = sorted(set(operation) - {"op", "path", "value", "from"})
        if extra:
            raise invalid(f"{where}: unknown member '{shorten(extra[0], 80)}'")
        paths = [("path", operation["path"])]
        if op in ("move", "copy"):
            if "from" not in operation:
                raise invalid(f"{where}: operation '{op}' needs 'from'")
            paths.append(("from", operation["from"]))
        parsed: dict[str, list[str]] = {}
        for name, text in paths:
            parts = _pointer(text, f"{where}.{name}")
            if not parts or parts[0] not in writable:
                field = parts[0] if parts else "(the whole document)"
                raise invalid(
                    f"{where}.{name}: '{shorten(field, 80)}' is not a field of a {what} that can "
                    f"be changed (writable: {', '.join(sorted(writable))})"
                )
            parsed[name] = parts
        target = parsed["path"]
        if op in ("add", "replace", "test") and "value" not in operation:
            raise invalid(f"{where}: operation '{op}' needs 'value'")
        label = f"{where} ({op} {shorten(str(operation['path']), 80)})"
        if op == "add":
            result = _add(result, target, copy.deepcopy(operation["value"]), label)
        elif op == "remove":
            result = _remove(result, target, label)
        elif op == "replace":
            _get(result, target, label)
            value = copy.deepcopy(operation["value"])
            result = _add(_remove(result, target, label), target, value, label)
        elif op == "test":
            if _get(result, target, label) != operation["value"]:
                raise invalid(f"{label}: test failed: the value is not the one given")
        else:
            moved = copy.deepcopy(_get(result, parsed["from"], label))
            if op == "move":
                if target[: len(parsed["from"])] == parsed["from"] and target != parsed["from"]:
                    raise invalid(f"{label}: cannot move a value into itself")
                result = _remove(result, parsed["from"], label)
            result = _add(result, target, moved, label)
    if not isinstance(result, dict):  # pragma: no cover - the root is never writable
        raise invalid(f"the patched {what} is not an object")
    return dict(result)
