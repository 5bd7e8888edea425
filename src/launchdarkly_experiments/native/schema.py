"""The Pulumi package schema of the native provider, generated from the domain models.

Every resource input and nested type comes from the pydantic input models (names from their
camelCase aliases, descriptions from their ``Field(description=...)``, allowed values from their
enums), the provider configuration from ``config.SETTINGS``. Only the computed outputs, which
have no input model, are described here. ``schema/schema.json`` is this function's output,
committed so that SDKs are generated from a reviewed file; a test keeps it fresh.
"""

from __future__ import annotations

import json
import types
import typing
from enum import Enum
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..config import SETTINGS
from ..core.models import (
    AnalysisConfig,
    ExperimentSpec,
    FlagConfig,
    InputModel,
    IterationSpec,
    MetricRef,
    Treatment,
    TreatmentParameter,
    field_type,
)
from ..version import VERSION

PACKAGE = "launchdarkly-experiments"
EXPERIMENT_TOKEN = f"{PACKAGE}:index:Experiment"
REPOSITORY = "https://github.com/pulumi-launchdarkly-experiments/pulumi-launchdarkly-experiments"
# Where the engine downloads the plugin a program pins: the release assets of REPOSITORY, named
# pulumi-resource-launchdarkly-experiments-v<version>-<os>-<arch>.tar.gz.
PLUGIN_DOWNLOAD_URL = (
    "github://api.github.com/pulumi-launchdarkly-experiments/pulumi-launchdarkly-experiments"
)
# The Go SDK's module (sdk/go.mod declares it; tags sdk/vX.Y.Z) and its package.
GO_MODULE = "github.com/pulumi-launchdarkly-experiments/pulumi-launchdarkly-experiments/sdk"
GO_PACKAGE = f"{GO_MODULE}/go/launchdarklyexperiments"

# Schema type names of the nested input models.
TYPE_NAMES: dict[type[InputModel], str] = {
    IterationSpec: "Iteration",
    Treatment: "Treatment",
    TreatmentParameter: "TreatmentParameter",
    FlagConfig: "FlagConfig",
    MetricRef: "Metric",
    AnalysisConfig: "AnalysisConfig",
}

# Computed outputs (plan.outputs writes them): name -> (type spec, description).
_ITERATION_SUMMARY = "IterationSummary"
_SUMMARY_PROPERTIES: dict[str, tuple[dict[str, Any], str]] = {
    "id": ({"type": "string"}, "Iteration id."),
    "status": ({"type": "string"}, "not_started, running or stopped."),
    "createdAt": ({"type": "integer"}, "Unix milliseconds."),
    "startedAt": ({"type": "integer"}, "Unix milliseconds, once started."),
    "endedAt": ({"type": "integer"}, "Unix milliseconds, once stopped."),
    "treatmentIds": (
        {"type": "object", "additionalProperties": {"type": "string"}},
        "Treatment ids by treatment name.",
    ),
    "winningTreatmentId": ({"type": "string"}, "Id of the winning treatment."),
    "winningTreatment": ({"type": "string"}, "Name of the winning treatment."),
    "winningReason": ({"type": "string"}, "Why the winner won."),
}
_SHIPPED = "ShippedVariation"
_SHIPPED_PROPERTIES: dict[str, tuple[dict[str, Any], str]] = {
    "variationId": ({"type": "string"}, "The `_id` of the variation now served."),
    "variationName": ({"type": "string"}, "Its name."),
    "value": ({"$ref": "pulumi.json#/Any"}, "Its value."),
    "ruleId": ({"type": "string"}, 'The rule that serves it: its `_id`, or "fallthrough".'),
    "ruleDescription": ({"type": "string"}, "The rule's description."),
}
_COMPUTED: dict[str, tuple[dict[str, Any], str]] = {
    "experimentId": ({"type": "string"}, "LaunchDarkly's `_id` of the experiment."),
    "creationDate": ({"type": "integer"}, "Unix milliseconds."),
    "archivedDate": ({"type": "integer"}, "Unix milliseconds, when archived."),
    "effectiveMaintainerId": ({"type": "string"}, "The maintainer LaunchDarkly recorded."),
    "links": (
        {"type": "object", "additionalProperties": {"type": "string"}},
        "API links (self, parent).",
    ),
    "currentIteration": (
        {"$ref": f"#/types/{PACKAGE}:index:{_ITERATION_SUMMARY}"},
        "The current iteration as LaunchDarkly reports it.",
    ),
    "previousIterations": (
        {"type": "array", "items": {"$ref": f"#/types/{PACKAGE}:index:{_ITERATION_SUMMARY}"}},
        "Earlier iterations, oldest first.",
    ),
    "resolvedReferences": (
        {"type": "object", "additionalProperties": {"$ref": "pulumi.json#/Any"}},
        "What each name resolved to at create/update, by property path (a variation's `_id`, "
        "the flag version used, a rule's `_id`).",
    ),
    "shipped": (
        {"type": "object", "additionalProperties": {"$ref": f"#/types/{PACKAGE}:index:{_SHIPPED}"}},
        "Once the current iteration is stopped with a winner, by flag key what the flag now "
        "serves on the experiment's rule (LaunchDarkly ships the winner).",
    ),
}
# Settings whose value is a number in the schema (the rest are strings).
_NUMBER_SETTINGS = {"requestTimeout": "number", "retryDeadline": "number"}
_INTEGER_SETTINGS = {"maxConcurrentRequests": "integer"}

EXPERIMENT_DESCRIPTION = (
    "A LaunchDarkly experiment in one project and environment. The id is "
    "`<projectKey>/<environmentKey>/<key>`, which `pulumi import` takes. Deleting the resource "
    "archives the experiment (LaunchDarkly has no delete)."
)


def _type_ref(model: type[InputModel]) -> dict[str, Any]:
    return {"$ref": f"#/types/{PACKAGE}:index:{TYPE_NAMES[model]}"}


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
        if issubclass(annotation, InputModel):
            return _type_ref(annotation), []
        if issubclass(annotation, Enum):
            return {"type": "string"}, [str(m.value) for m in annotation]
        if issubclass(annotation, bool):
            return {"type": "boolean"}, []
        if issubclass(annotation, int):
            return {"type": "integer"}, []
        if issubclass(annotation, str):
            return {"type": "string"}, []
    if origin in (typing.Union, types.UnionType):
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


def _plain_object(
    fields: dict[str, tuple[dict[str, Any], str]],
) -> dict[str, Any]:
    return {name: {**spec, "description": text} for name, (spec, text) in fields.items()}


def _config_properties() -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for setting in SETTINGS:
        name = setting.config_name
        kind = _NUMBER_SETTINGS.get(name) or _INTEGER_SETTINGS.get(name) or "string"
        text = f"{setting.description} Environment variable: `{setting.env_var}`."
        if setting.default is not None:
            text += f" Default: `{setting.default}`."
        prop: dict[str, Any] = {"type": kind, "description": text}
        if name == "accessToken":
            prop["secret"] = True
        properties[name] = prop
    return properties


def package_schema() -> dict[str, Any]:
    """The whole package schema, as a JSON-ready dict."""
    inputs, required_inputs = _object(ExperimentSpec)
    # projectKey and environmentKey fall back to the provider's configuration.
    required_inputs = [r for r in required_inputs if r not in ("projectKey", "environmentKey")]
    outputs = {**inputs, **_plain_object(_COMPUTED)}
    type_defs: dict[str, Any] = {}
    for model, name in TYPE_NAMES.items():
        properties, required = _object(model)
        type_defs[f"{PACKAGE}:index:{name}"] = {
            "type": "object",
            "description": (model.__doc__ or name).strip().splitlines()[0],
            "properties": properties,
            "required": required,
        }
    type_defs[f"{PACKAGE}:index:{_ITERATION_SUMMARY}"] = {
        "type": "object",
        "description": "An iteration as LaunchDarkly reports it.",
        "properties": _plain_object(_SUMMARY_PROPERTIES),
        "required": ["id", "status", "createdAt", "treatmentIds"],
    }
    type_defs[f"{PACKAGE}:index:{_SHIPPED}"] = {
        "type": "object",
        "description": "What stopping an iteration with a winner made a flag serve.",
        "properties": _plain_object(_SHIPPED_PROPERTIES),
        "required": ["variationId", "ruleId"],
    }
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
        "resources": {
            EXPERIMENT_TOKEN: {
                "description": EXPERIMENT_DESCRIPTION,
                "inputProperties": inputs,
                "requiredInputs": required_inputs,
                "properties": outputs,
                "required": ["projectKey", "environmentKey", "key", "name", "iteration"],
            }
        },
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


def schema_json() -> str:
    """The schema as committed in schema/schema.json (stable key order, final newline)."""
    return json.dumps(package_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    """``python -m launchdarkly_experiments.native.schema``: print the schema."""
    print(schema_json(), end="")


if __name__ == "__main__":
    main()
