"""The models' shape as the file writes it: snake_case names <-> the wire (camelCase) names.

User data inside maps (flag keys) is never renamed: only the models' own field names are.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.alias_generators import to_camel, to_snake

from ..core.models import field_type
from .sections import SECTIONS


def model_fields(model: type[BaseModel]) -> dict[str, tuple[str, Any]]:
    """``{snake name: (wire name, annotation)}`` of one model."""
    return {
        name: (info.alias or to_camel(name), field_type(info.annotation))
        for name, info in model.model_fields.items()
    }


def to_wire(value: Any, annotation: Any) -> Any:
    """Rename the model's own snake_case names to wire names; user data (flag keys) stays."""
    annotation = field_type(annotation)
    origin = get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not isinstance(value, dict):
            return value
        known = model_fields(annotation)
        by_wire = {wire: (wire, sub) for wire, sub in known.values()}
        result: dict[Any, Any] = {}
        for name, item in value.items():
            wire_name, sub = known.get(name) or by_wire.get(name) or (name, Any)
            result[wire_name] = to_wire(item, sub)
        return result
    if origin is list and isinstance(value, list):
        (item_type,) = get_args(annotation)
        return [to_wire(item, item_type) for item in value]
    if origin is dict and isinstance(value, dict):
        _, item_type = get_args(annotation)
        return {k: to_wire(v, item_type) for k, v in value.items()}
    return copy.deepcopy(value)


def camel_case_keys(value: Any, annotation: Any, where: str) -> Iterator[tuple[str, str]]:
    """(place, wire name) of every own field written in camelCase instead of snake_case."""
    annotation = field_type(annotation)
    origin = get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not isinstance(value, dict):
            return
        known = model_fields(annotation)
        by_wire = {wire: snake for snake, (wire, _) in known.items()}
        for name, item in value.items():
            place = f"{where}.{name}" if where else str(name)
            if name not in known and name in by_wire:
                yield place, by_wire[name]
            sub = known.get(name) or known.get(by_wire.get(name, ""))
            if sub is not None:
                yield from camel_case_keys(item, sub[1], place)
    elif origin is list and isinstance(value, list):
        (item_type,) = get_args(annotation)
        for index, item in enumerate(value):
            yield from camel_case_keys(item, item_type, f"{where}[{index}]")
    elif origin is dict and isinstance(value, dict):
        _, item_type = get_args(annotation)
        for name, item in value.items():
            yield from camel_case_keys(item, item_type, f"{where}.{name}")


def _all_wire_names(model: type[BaseModel]) -> set[str]:
    names: set[str] = set()
    for wire, sub in model_fields(model).values():
        names.add(wire)
        for candidate in (sub, *get_args(sub)):
            inner = field_type(candidate)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                names |= _all_wire_names(inner)
    return names


_CAMEL_NAMES = sorted(
    {
        n
        for model in (s.model for s in SECTIONS)
        for n in _all_wire_names(model)
        if n != to_snake(n)
    },
    key=len,
)
_CAMEL_RE = re.compile(r"\b(" + "|".join(reversed(_CAMEL_NAMES)) + r")\b")


def snake_text(text: str) -> str:
    """The provider's messages name fields in camelCase; the file uses snake_case."""
    return _CAMEL_RE.sub(lambda m: to_snake(m.group(1)), text)
