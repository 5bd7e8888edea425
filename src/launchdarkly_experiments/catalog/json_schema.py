"""The JSON Schema of an experiments file, generated from the provider's models (for editors)."""

from __future__ import annotations

import json
from typing import Any

from .loader import PER_EXPERIMENT
from .sections import EXPERIMENTS, METRIC_GROUPS, METRICS, SECTIONS, Section

# Fields the models accept as numbers or numeric strings (pydantic documents them as strings).
_NUMBER_OR_STRING = ("allocation_percent", "bayesian_threshold", "significance_threshold")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of an experiments file, generated from the provider's models."""
    definitions: dict[str, Any] = {}
    entries = {section.name: _entry(section, definitions) for section in SECTIONS}
    experiment = entries[EXPERIMENTS.name]
    defaults = {
        "type": "object",
        "description": "Top-level fields every experiment inherits; an entry's own value wins. "
        "Metrics and metric groups inherit those they have (project_key, tags, ...).",
        "additionalProperties": False,
        "properties": {
            k: v for k, v in experiment["properties"].items() if k not in PER_EXPERIMENT
        },
    }
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/pulumi-launchdarkly-experiments/schemas/experiments.schema.json",
        "title": "LaunchDarkly experiments file",
        "description": "Experiments, and the metrics and metric groups they measure, declared "
        "by launchdarkly_experiments.catalog.",
        "type": "object",
        "additionalProperties": False,
        "anyOf": [
            {"required": [section.name]} for section in (EXPERIMENTS, METRICS, METRIC_GROUPS)
        ],
        "properties": {
            "defaults": defaults,
            **{
                section.name: {"type": "array", "minItems": 1, "items": entries[section.name]}
                for section in (METRICS, METRIC_GROUPS, EXPERIMENTS)
            },
        },
        "$defs": definitions,
    }
    _numbers_or_strings(schema)
    return schema


def _entry(section: Section, definitions: dict[str, Any]) -> dict[str, Any]:
    """One entry of a section; its definitions go to ``definitions`` (one name, one model)."""
    entry = section.model.model_json_schema(by_alias=False, mode="validation")
    for name, definition in entry.pop("$defs", {}).items():
        assert definitions.setdefault(name, definition) == definition, f"two {name} definitions"
    entry["required"] = [r for r in entry.get("required", []) if r not in section.address_fields]
    entry["title"] = section.kind.name
    entry["description"] = _DESCRIPTIONS[section.name]
    return entry


_DESCRIPTIONS = {
    EXPERIMENTS.name: "One experiment, with the snake_case names of ExperimentArgs. "
    "project_key and environment_key default to the stack's launchdarkly:projectKey / "
    "environmentKey.",
    METRICS.name: "One metric, with the snake_case names of MetricResourceArgs. project_key "
    "defaults to the stack's launchdarkly:projectKey.",
    METRIC_GROUPS.name: "One metric group, with the snake_case names of MetricGroupArgs. "
    "project_key defaults to the stack's launchdarkly:projectKey.",
}


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
