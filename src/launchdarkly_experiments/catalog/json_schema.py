"""The JSON Schema of an experiments file, generated from the provider's models (for editors)."""

from __future__ import annotations

import json
from typing import Any

from ..core.kinds.experiment.models import ExperimentSpec
from .loader import ADDRESS_FIELDS, PER_EXPERIMENT

# Fields the models accept as numbers or numeric strings (pydantic documents them as strings).
_NUMBER_OR_STRING = ("allocation_percent", "bayesian_threshold", "significance_threshold")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of an experiments file, generated from the provider's models."""
    entry = ExperimentSpec.model_json_schema(by_alias=False, mode="validation")
    definitions = entry.pop("$defs", {})
    entry["required"] = [r for r in entry.get("required", []) if r not in ADDRESS_FIELDS]
    entry["title"] = "Experiment"
    entry["description"] = (
        "One experiment, with the snake_case names of ExperimentArgs. project_key and "
        "environment_key default to the stack's launchdarkly:projectKey / environmentKey."
    )
    defaults = {
        "type": "object",
        "description": "Top-level fields every experiment inherits; an entry's own value wins.",
        "additionalProperties": False,
        "properties": {k: v for k, v in entry["properties"].items() if k not in PER_EXPERIMENT},
    }
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/pulumi-launchdarkly-experiments/schemas/experiments.schema.json",
        "title": "LaunchDarkly experiments file",
        "description": "Experiments declared by launchdarkly_experiments.catalog.",
        "type": "object",
        "additionalProperties": False,
        "required": ["experiments"],
        "properties": {
            "defaults": defaults,
            "experiments": {"type": "array", "minItems": 1, "items": entry},
        },
        "$defs": definitions,
    }
    _numbers_or_strings(schema)
    return schema


def _numbers_or_strings(node: Any) -> None:
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            for name in _NUMBER_OR_STRING:
                if name in properties:
                    old = properties[name]
                    properties[name] = {
                        "title": old.get("title", name),
                        "description": "A number from 0 to 100, or a numeric string.",
                        "anyOf": [
                            {"type": "number", "minimum": 0, "maximum": 100},
                            {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*$"},
                        ],
                    }
        for value in node.values():
            _numbers_or_strings(value)
    elif isinstance(node, list):
        for value in node:
            _numbers_or_strings(value)


def schema_text() -> str:
    """The committed form of the schema (``schemas/experiments.schema.json``)."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
