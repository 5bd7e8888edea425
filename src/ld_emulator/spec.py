"""The OpenAPI contract the emulator checks itself against.

The emulator never trusts the provider's models: request bodies and response bodies are
validated with ``jsonschema`` against the schemas in ``openapi.json`` (LaunchDarkly's own
spec), with every ``$ref`` resolved into ``components/schemas``.

Two flavours of each schema exist:

* *strict* (the default): every object schema that lists ``properties`` and says nothing about
  ``additionalProperties`` gets ``additionalProperties: false``. Requests are checked this way,
  so a misspelt or unknown field is a 400 naming the field instead of being silently dropped.
  Responses are checked this way in the test-suite, so the emulator cannot emit a field the
  spec does not know.
* *lax*: the spec exactly as published.

Both flavours carry :data:`SUPPLEMENT`: the few response properties LaunchDarkly is known to
send that the 2026-08 spec does not list (each with its source). They only widen what a
response may hold; requests are unaffected.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Iterable
from functools import cache
from importlib import import_module, resources
from typing import Any

from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .errors import shorten

__all__ = [
    "SPEC_URI",
    "SUPPLEMENT",
    "SpecError",
    "declared_statuses",
    "load_spec",
    "query_parameters",
    "response_schema_name",
    "validate",
    "validation_problem",
]

SPEC_URI = "urn:launchdarkly:openapi"

_FIELDS_BY_STATUS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
#: Response properties the spec's schemas do not list but LaunchDarkly sends:
#: ``{schema: {property: schema}}``. Sources (docs/emulator.md, *Live-verified facts*):
#: ``mutableFieldsByStatus``: the ``expand`` value of GET experiment in LaunchDarkly's docs and
#: the generated clients v23+ (the ``MutableFieldsByStatusRep`` of the previous spec file);
#: ``_version`` of a flag's environment: the targeting version, verified live
#: (``flagConfigVersion`` is compared with it); ``type`` of a rollout's
#: ``experimentAllocation``: ``"experiment"`` while an experiment runs on the rule, verified live.
SUPPLEMENT: dict[str, dict[str, Any]] = {
    "Experiment": {
        "mutableFieldsByStatus": {
            "type": "object",
            "properties": {
                "not_started": _FIELDS_BY_STATUS,
                "running": _FIELDS_BY_STATUS,
                "stopped": _FIELDS_BY_STATUS,
            },
        }
    },
    "FeatureFlagConfig": {"_version": {"type": "integer"}},
    "ExperimentAllocationRep": {"type": {"type": "string"}},
}

# Imported dynamically so that type-checking does not depend on third-party stubs being present.
_jsonschema = import_module("jsonschema")
Draft202012Validator: Any = _jsonschema.Draft202012Validator


class SpecError(Exception):
    """A body does not match its schema. ``field`` is a dotted path (may be empty)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@cache
def load_spec() -> dict[str, Any]:
    """The OpenAPI document shipped with the package (parsed once)."""
    text = resources.files(__package__).joinpath("openapi.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _strictify(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _strictify(v) for k, v in node.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strictify(v) for v in node]
    return node


_lock = threading.Lock()
_validators: dict[tuple[str, bool], Any] = {}


@cache
def _registry(strict: bool) -> Registry[Any]:
    spec = load_spec()
    doc = {"components": copy.deepcopy(spec["components"])}
    schemas = doc["components"]["schemas"]
    for name, properties in SUPPLEMENT.items():
        schemas[name].setdefault("properties", {}).update(copy.deepcopy(properties))
    if strict:
        doc = _strictify(doc)
    resource: Resource[Any] = Resource.from_contents(doc, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    return registry


def _validator(schema_name: str, strict: bool) -> Any:
    key = (schema_name, strict)
    with _lock:
        found = _validators.get(key)
        if found is None:
            if schema_name not in load_spec()["components"]["schemas"]:
                raise KeyError(f"no schema named {schema_name!r} in the OpenAPI spec")
            schema = {"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"}
            found = Draft202012Validator(schema, registry=_registry(strict))
            _validators[key] = found
        return found


def _path_text(parts: Iterable[Any]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _describe(error: Any) -> SpecError:
    where = list(error.absolute_path)
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        name = extra[0] if extra else "?"
        field = _path_text([*where, name])
        return SpecError(field, f"unknown field '{field}' is not allowed here")
    if error.validator == "required":
        match = re.match(r"'([^']+)' is a required property", error.message)
        name = match.group(1) if match else "?"
        field = _path_text([*where, name])
        return SpecError(field, f"field '{field}' is required")
    field = _path_text(where)
    label = f"field '{field}'" if field else "request body"
    message = str(error.message)
    quoted = repr(error.instance)
    if len(quoted) > _QUOTE_LIMIT and quoted in message:
        # jsonschema quotes the offending value whole; a client may have sent megabytes
        message = message.replace(quoted, shorten(quoted, _QUOTE_LIMIT))
    return SpecError(field, f"{label}: {shorten(message, 4 * _QUOTE_LIMIT)}")


_QUOTE_LIMIT = 80


def validation_problem(
    schema_name: str, instance: Any, *, strict: bool = True, prefix: str = ""
) -> SpecError | None:
    """The first (deterministically ordered) problem of ``instance``, or None if it is valid."""
    errors = list(_validator(schema_name, strict).iter_errors(instance))
    if not errors:
        return None
    errors.sort(key=lambda e: (len(e.absolute_path), [str(p) for p in e.absolute_path]))
    problem = _describe(errors[0])
    if prefix:
        field = f"{prefix}.{problem.field}" if problem.field else prefix
        message = problem.message.replace(f"'{problem.field}'", f"'{field}'", 1)
        if not problem.field:
            message = f"field '{prefix}': " + problem.message.removeprefix("request body: ")
        problem = SpecError(field, message)
    return problem


def validate(schema_name: str, instance: Any, *, strict: bool = True) -> None:
    """Raise :class:`SpecError` if ``instance`` does not match ``components/schemas/<name>``."""
    problem = validation_problem(schema_name, instance, strict=strict)
    if problem is not None:
        raise problem


def response_schema_name(path_template: str, method: str, status: int) -> str | None:
    """The component schema the spec declares for a response, e.g. ``Experiment``."""
    operation = load_spec()["paths"].get(path_template, {}).get(method.lower())
    if operation is None:
        return None
    response = operation.get("responses", {}).get(str(status))
    if response is None:
        return None
    ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
    if not isinstance(ref, str):
        return None
    return ref.rsplit("/", 1)[-1]


@cache
def declared_statuses(path_template: str, method: str) -> frozenset[int]:
    """The statuses the spec declares for an operation."""
    operation = load_spec()["paths"].get(path_template, {}).get(method.lower(), {})
    return frozenset(int(code) for code in operation.get("responses", {}) if code.isdigit())


@cache
def query_parameters(path_template: str, method: str) -> dict[str, dict[str, Any]]:
    """The query parameters the spec declares for an operation: name -> schema."""
    operation = load_spec()["paths"].get(path_template, {}).get(method.lower(), {})
    return {
        str(p["name"]): dict(p.get("schema", {}))
        for p in operation.get("parameters", [])
        if p.get("in") == "query"
    }
