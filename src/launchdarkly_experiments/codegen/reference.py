"""The README's resource reference, from the resource kinds: one section per kind with its
inputs, nested arguments and computed outputs, each field with its type, default, what a change
of it does and its description (the model's ``Field(description=...)``)."""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from enum import Enum
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..config import DYNAMIC_NAMESPACE
from ..core.kind import ResourceKind
from ..core.models import Accepts, InputModel, field_type, nested_models
from ..native.schema import resource_token

BEGIN = "<!-- BEGIN resource reference -->"
END = "<!-- END resource reference -->"


def _type(annotation: Any) -> str:
    for meta in getattr(annotation, "__metadata__", ()):
        if isinstance(meta, Accepts):
            return "number or numeric string"
    annotation = field_type(annotation)
    origin = typing.get_origin(annotation)
    if origin is list:
        return f"list of {_type(typing.get_args(annotation)[0])}"
    if origin is dict:
        return f"map of {_type(typing.get_args(annotation)[1])}"
    if isinstance(annotation, type) and issubclass(annotation, InputModel):
        return f"`{annotation.args_name}`"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"`{getattr(annotation, 'schema_name', '') or annotation.__name__}`"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return ", ".join(f'`"{m.value}"`' for m in annotation)
    if annotation is Any or origin in (typing.Union, types.UnionType):
        return "any"
    for kind in (bool, int, float, str):
        if isinstance(annotation, type) and issubclass(annotation, kind):
            return f"`{kind.__name__}`"
    return f"`{annotation}`"


def _default(info: FieldInfo, name: str, settings: typing.Mapping[str, str]) -> str:
    if name in settings:
        return f"`{DYNAMIC_NAMESPACE}:{name}`"
    if info.is_required():
        return "required"
    default = info.get_default(call_default_factory=True)
    if default is None:
        return "none"
    if isinstance(default, Enum):
        default = default.value
    return f'`"{default}"`' if isinstance(default, str) else f"`{default}`"


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _inputs_table(kind: type[ResourceKind[Any]]) -> list[str]:
    lines = [
        "| Input | Type | Default | On change | Meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, info in kind.inputs.model_fields.items():
        wire = info.alias or name
        if wire in kind.change_notes:
            change = kind.change_notes[wire]
        elif wire in kind.replace_on:
            change = "replace"
        elif wire in kind.steering:
            change = "never a change"
        else:
            change = "in place"
        default = _default(info, wire, kind.settings_defaults)
        lines.append(
            f"| `{name}` | {_type(info.annotation)} | {default} | {change} "
            f"| {_cell(info.description)} |"
        )
    return lines


def _fields_table(model: type[BaseModel], heading: str) -> list[str]:
    lines = [f"| {heading} | Type | Default | Meaning |", "| --- | --- | --- | --- |"]
    for name, info in model.model_fields.items():
        default = _default(info, info.alias or name, {}) if issubclass(model, InputModel) else ""
        lines.append(
            f"| `{name}` | {_type(info.annotation)} | {default} | {_cell(info.description)} |"
        )
    return lines


def _kind_section(kind: type[ResourceKind[Any]]) -> list[str]:
    args = kind.inputs.args_name
    lines = [
        f"### `{kind.name}`",
        "",
        kind.description,
        "",
        f"* Python: `launchdarkly_experiments.{kind.name}(resource_name, "
        f"args={args}(...), opts=None)`, or the same fields as keyword arguments; type token "
        f"`pulumi-python:dynamic/launchdarkly:{kind.name}`.",
        f"* Native provider (TypeScript, Go, Python SDK, YAML): `{resource_token(kind.name)}`, "
        "inputs in camelCase.",
        f"* Id: `{kind.id_format}`; `pulumi import {resource_token(kind.name)} <name> "
        f"{kind.id_format}` (native).",
        f"* Deleting the resource: {kind.on_delete}.",
        "",
        f"#### `{args}`",
        "",
        *_inputs_table(kind),
    ]
    for model in nested_models(kind.inputs):
        assert issubclass(model, InputModel)
        lines += ["", f"#### `{model.args_name}`", "", *_fields_table(model, "Input")]
    lines += [
        "",
        f"#### Outputs of `{kind.name}`",
        "",
        "Every input is also an output, as LaunchDarkly reports it (inputs left at their default "
        "read back as `None`), beside these computed ones:",
        "",
        *_fields_table(kind.outputs, "Output"),
    ]
    for model in nested_models(kind.outputs):
        name = getattr(model, "schema_name", "") or model.__name__
        lines += ["", f"`{name}`: {_cell(model.__doc__)}", "", *_fields_table(model, "Field")]
    return lines


def reference(kinds: Sequence[type[ResourceKind[Any]]]) -> str:
    """The generated part of the README's "Resource reference", markers included."""
    lines = [BEGIN, ""]
    for kind in kinds:
        lines += [*_kind_section(kind), ""]
    lines.append(END)
    return "\n".join(lines)


def with_reference(readme: str, kinds: Sequence[type[ResourceKind[Any]]]) -> str:
    """``readme`` with its generated part replaced by the reference of ``kinds``."""
    start, end = readme.index(BEGIN), readme.index(END) + len(END)
    return readme[:start] + reference(kinds) + readme[end:]
