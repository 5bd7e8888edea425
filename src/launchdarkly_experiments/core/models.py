"""Typed building blocks every resource kind's models are made of (``kinds/<kind>/models.py``).

Python attributes are snake_case; the wire (API bodies and Pulumi state) is camelCase. Input models
forbid unknown fields; response models ignore them (LaunchDarkly adds fields over time); output
models describe what a kind computes (its outputs beside the inputs), for the schema, the SDKs and
the docs.

Per-field rules live in the models, as pydantic constraints and annotated types, so that a field
validates the same alone as inside its model (``input_field``). Rules across fields are in each
kind's ``rules``.
"""

from __future__ import annotations

import functools
import re
import types
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter
from pydantic.alias_generators import to_camel

KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_KEY_RE = re.compile(KEY_PATTERN)


def _check_key(value: str) -> str:
    if not _KEY_RE.match(value):
        raise ValueError(
            "must start with a letter or digit and contain only letters, digits, '.', '_' or '-'"
        )
    return value


Key = Annotated[str, Field(min_length=1, max_length=256), AfterValidator(_check_key)]
NonEmpty = Annotated[str, Field(min_length=1)]


def _sorted_set(tags: list[str] | None) -> list[str] | None:
    # LaunchDarkly treats tags as a set: order and repeats carry no meaning.
    return sorted(set(tags)) if tags is not None else None


def _empty_is_none(description: str | None) -> str | None:
    # LaunchDarkly does not distinguish an empty description from none.
    return description or None


TagSet = Annotated[list[NonEmpty] | None, AfterValidator(_sorted_set)]
Description = Annotated[str | None, AfterValidator(_empty_is_none)]


@dataclass(frozen=True)
class Accepts:
    """In an ``Annotated`` type: the Python types a program may pass for a field that the model
    normalizes to another one (a percentage given as 50 or "50"); the generated argument classes
    type the field with them."""

    types: tuple[type, ...]

    def __init__(self, *accepted: type) -> None:
        object.__setattr__(self, "types", accepted)


def field_type(annotation: Any) -> Any:
    """A field's type with ``Annotated`` metadata and an optional ``None`` stripped off.

    A union of several types other than ``None`` is returned as it is.
    """
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def project_key_field(replaced: str) -> Any:
    """Every kind's ``projectKey``: the provider's setting by default; a change replaces
    ``replaced`` ("the metric")."""
    return Field(
        description="LaunchDarkly project key (default: the provider's projectKey). Changing it "
        f"replaces {replaced}."
    )


def environment_key_field(replaced: str) -> Any:
    """The ``environmentKey`` of a kind that lives in one environment."""
    return Field(
        description="Environment key (default: the provider's environmentKey). Changing it "
        f"replaces {replaced}."
    )


def adopt_field(noun: str, note: str = "") -> Any:
    """``adopt``, the steering input of every kind with a key: never a change itself."""
    description = f"On create, take over an existing {noun} with this key; never a change."
    return Field(default=False, description=f"{description} {note}".strip())


class InputModel(BaseModel):
    """Base of every user-input and request model.

    Every base here defers building its validators to a model's first use (``defer_build``):
    a provider host builds those its calls need, not every model of its kind at import.

    ``schema_name`` names a nested model's type in the package schema (and so in the SDKs),
    ``args_name`` its argument class in the Python dynamic resources.
    """

    schema_name: ClassVar[str] = ""
    args_name: ClassVar[str] = ""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        use_enum_values=True,
        defer_build=True,
    )

    def wire(self) -> dict[str, Any]:
        """The camelCase JSON body, without unset (None) fields."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class OutputModel(BaseModel):
    """Base of the models of computed outputs (what LaunchDarkly computes, beside the inputs);
    ``schema_name`` names a nested one's type in the package schema."""

    schema_name: ClassVar[str] = ""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, defer_build=True
    )


class ResponseModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True
    )


class Link(ResponseModel):
    href: str | None = None
    type: str | None = None


# ---------------------------------------------------------------------------------------------
# One input field at a time (for declarations that are only partly known at preview)


@dataclass(frozen=True)
class InputField:
    """One field of an input model at a camelCase path such as ``iteration.treatments``."""

    path: str
    python_names: tuple[str, ...]  # the same path in attribute names (inputs may use them)
    adapter: TypeAdapter[Any]
    default: Any


@functools.cache
def input_field(root: type[BaseModel], path: str) -> InputField:
    """The field of ``root`` at ``path``: validates (and dumps) a value exactly as its model
    would."""
    model: type[BaseModel] = root
    python_path: list[str] = []
    names = path.split(".")
    for depth, alias in enumerate(names):
        by_alias = {info.alias or name: name for name, info in model.model_fields.items()}
        if alias not in by_alias:
            raise KeyError(f"no input field {path!r}")
        name = by_alias[alias]
        python_path.append(name)
        info = model.model_fields[name]
        if depth == len(names) - 1:
            annotated: Any = (
                Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
            )
            default = None if info.is_required() else info.get_default(call_default_factory=True)
            return InputField(path, tuple(python_path), TypeAdapter(annotated), default)
        nested = _model_in(info.annotation)
        if nested is None:
            raise KeyError(f"no input field {path!r}: {alias!r} holds no fields")
        model = nested
    raise KeyError(f"no input field {path!r}")


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation holds directly or as ``Model | None``."""
    candidates = getattr(annotation, "__args__", None) or (annotation,)
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def nested_models(model: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model a model's fields hold, at any depth, dependencies first, each once."""
    found: list[type[BaseModel]] = []

    def visit(current: type[BaseModel]) -> None:
        for info in current.model_fields.values():
            for inner in _models_in(info.annotation):
                if inner not in found:
                    visit(inner)
                    if inner not in found:
                        found.append(inner)

    visit(model)
    return found


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    annotation = field_type(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def wire_names(model: type[BaseModel]) -> set[str]:
    """Every wire (camelCase) field name of a model and the models it holds, at any depth."""
    names = {info.alias or name for name, info in model.model_fields.items()}
    for inner in nested_models(model):
        names |= {info.alias or name for name, info in inner.model_fields.items()}
    return names
