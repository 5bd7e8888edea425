"""The Pulumi package schema of the native provider, generated from the resource kinds.

Each kind (``core.kinds.KINDS``) is a resource: its inputs, nested types and computed outputs come
from its models (names from their camelCase aliases, descriptions from their
``Field(description=...)``, allowed values from their enums, type names from ``schema_name``),
the provider configuration from ``config.SETTINGS``. Nothing is listed by hand.
``schema/schema.json`` is this function's output, committed so that SDKs are generated from a
reviewed file; a test keeps it fresh.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Sequence
from enum import Enum
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..config import SETTINGS
from ..core import kinds as resource_kinds
from ..core.kind import ResourceKind
from ..core.models import field_type, nested_models
from ..version import VERSION

PACKAGE = "launchdarkly-experiments"
REPOSITORY = "https://github.com/pulumi-launchdarkly-experiments/pulumi-launchdarkly-experiments"
# Where the engine downloads the plugin a program pins: the release assets of REPOSITORY, named
# pulumi-resource-launchdarkly-experiments-v<version>-<os>-<arch>.tar.gz.
PLUGIN_DOWNLOAD_URL = (
    "github://api.github.com/pulumi-launchdarkly-experiments/pulumi-launchdarkly-experiments"
)
# The Go SDK's module (sdk/go.mod declares it; tags sdk/vX.Y.Z) and its package.
GO_MODULE = "github.com/pulumi-launchdarkly-experiments/pulumi-launchdarkly-experiments/sdk"
GO_PACKAGE = f"{GO_MODULE}/go/launchdarklyexperiments"


def resource_token(kind_name: str) -> str:
    """A kind's resource type token (``launchdarkly-experiments:index:Experiment``)."""
    return f"{PACKAGE}:index:{kind_name}"


def type_token(model: type[BaseModel]) -> str:
    return f"{PACKAGE}:index:{getattr(model, 'schema_name', '') or model.__name__}"


EXPERIMENT_TOKEN = resource_token("Experiment")


def _type_ref(model: type[BaseModel]) -> dict[str, Any]:
    return {"$ref": f"#/types/{type_token(model)}"}


def _type_spec(annotation: Any) -> tuple[dict[str, Any], list[str]]:
    """The schema type of a model field's annotation, and its allowed values (enums)."""
    annotation = field_type(annotation)
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_spec(typing.get_args(annotation)[0])
    if origin is list:
        item, _ = _type_spec(typing.get_args(annotation)[0])
        return {"type": "array", "items": item}, []
    if origin is dict:
        value, _ = _type_spec(typing.get_args(annotation)[1])
        return {"type": "object", "additionalProperties": value}, []
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return _type_ref(annotation), []
        if issubclass(annotation, Enum):
            return {"type": "string"}, [str(m.value) for m in annotation]
        if issubclass(annotation, bool):
            return {"type": "boolean"}, []
        if issubclass(annotation, int):
            return {"type": "integer"}, []
        if issubclass(annotation, float):
            return {"type": "number"}, []
        if issubclass(annotation, str):
            return {"type": "string"}, []
    if annotation is Any or origin in (typing.Union, types.UnionType):
        # A value of several scalar types (a variation given by its name or its value): the
        # schema's "any", checked by the core's models like every other input.
        return {"$ref": "pulumi.json#/Any"}, []
    raise TypeError(f"no schema type for {annotation!r}")


def _property(info: FieldInfo) -> dict[str, Any]:
    spec, allowed = _type_spec(info.annotation)
    description = info.description or ""
    if allowed:
        description = f"{description} One of: {', '.join(allowed)}.".strip()
    return {**spec, "description": description} if description else spec


def _object(model: type[BaseModel]) -> tuple[dict[str, Any], list[str]]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, info in model.model_fields.items():
        wire = info.alias or name
        properties[wire] = _property(info)
        if info.is_required():
            required.append(wire)
    return properties, required


def _config_properties() -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for setting in SETTINGS:
        text = f"{setting.description} Environment variable: `{setting.env_var}`."
        if setting.default is not None:
            text += f" Default: `{setting.default}`."
        prop: dict[str, Any] = {"type": setting.schema_type, "description": text}
        if setting.secret:
            prop["secret"] = True
        properties[setting.config_name] = prop
    return properties


def _type_definition(model: type[BaseModel]) -> dict[str, Any]:
    properties, required = _object(model)
    return {
        "type": "object",
        "description": (model.__doc__ or model.__name__).strip().splitlines()[0],
        "properties": properties,
        "required": required,
    }


def _resource(kind: type[ResourceKind[Any]]) -> dict[str, Any]:
    inputs, required = _object(kind.inputs)
    computed, _ = _object(kind.outputs)
    return {
        "description": kind.description,
        "inputProperties": inputs,
        # Inputs a provider setting fills in may be left out.
        "requiredInputs": [r for r in required if r not in kind.settings_defaults],
        "properties": {**inputs, **computed},
        "required": required,
    }


def package_schema(kinds: Sequence[type[ResourceKind[Any]]] | None = None) -> dict[str, Any]:
    """The whole package schema of ``kinds`` (by default every kind), as a JSON-ready dict."""
    if kinds is None:
        kinds = resource_kinds.KINDS
    type_defs: dict[str, Any] = {}
    for kind in kinds:
        for model in (*nested_models(kind.inputs), *nested_models(kind.outputs)):
            token = type_token(model)
            if token in type_defs and type_defs[token] != _type_definition(model):
                raise TypeError(f"two types named {token} in the schema")
            type_defs[token] = _type_definition(model)
    config = _config_properties()
    return {
        "name": PACKAGE,
        "displayName": "LaunchDarkly Experiments",
        "version": VERSION,
        "description": "LaunchDarkly experiments as code: create, run, stop and archive "
        "experiments through LaunchDarkly's REST API.",
        "keywords": ["pulumi", "launchdarkly", "experiments", "category/utility"],
        "license": "Apache-2.0",
        "publisher": "pulumi-launchdarkly-experiments",
        "homepage": REPOSITORY,
        "repository": REPOSITORY,
        "pluginDownloadURL": PLUGIN_DOWNLOAD_URL,
        "config": {"variables": config},
        "provider": {
            "description": "Settings for one LaunchDarkly account and, optionally, a default "
            "project and environment. Each setting falls back to its environment variable.",
            "inputProperties": config,
            # Provider outputs can only be strings in every SDK; the token stays an input.
            "properties": {
                k: v for k, v in config.items() if v["type"] == "string" and not v.get("secret")
            },
        },
        "resources": {resource_token(kind.name): _resource(kind) for kind in kinds},
        "types": type_defs,
        "language": {
            # respectSchemaVersion: the SDKs carry this version instead of a placeholder.
            "nodejs": {
                "packageName": "@pulumi-launchdarkly-experiments/launchdarkly-experiments",
                "packageDescription": "LaunchDarkly experiments as Pulumi resources.",
                "respectSchemaVersion": True,
            },
            "go": {
                "importBasePath": GO_PACKAGE,
                "packageImportAliases": {GO_PACKAGE: "launchdarklyexperiments"},
                "respectSchemaVersion": True,
            },
            "python": {
                "packageName": "pulumi_launchdarkly_experiments",
                "respectSchemaVersion": True,
                # A pyproject.toml (PEP 621) instead of setup.py: metadata, not code, so
                # scripts/gen-sdk.sh can give the distribution its own name.
                "pyproject": {"enabled": True},
            },
        },
    }


def schema_json(kinds: Sequence[type[ResourceKind[Any]]] | None = None) -> str:
    """The schema as committed in schema/schema.json (stable key order, final newline)."""
    return json.dumps(package_schema(kinds), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    """``python -m launchdarkly_experiments.native.schema``: print the schema."""
    print(schema_json(), end="")


if __name__ == "__main__":
    main()
