"""Declare ``Experiment`` resources from a YAML or JSON file.

The file holds a list of experiments under ``experiments:``, each written with the same
snake_case names as ``ExperimentArgs`` and its nested argument classes, plus an optional
``defaults:`` mapping of top-level fields every entry inherits (an entry's own value wins)::

    defaults:
      tags: [from-file]
    experiments:
      - key: checkout-button-placement
        name: Checkout button placement
        iteration:
          hypothesis: ...
          metrics: [{key: checkout-completed}]
          primary_single_metric_key: checkout-completed
          treatments:
            - name: Bottom
              baseline: true
              allocation_percent: 50
              parameters: [{flag_key: checkout-button, variation_id: ...}]
          flags:
            checkout-button: {rule_id: fallthrough, flag_config_version: 3}

The file's shape is checked here, before any resource is declared: bad syntax, a missing or
unknown field, or a value of the wrong type raises ``ValueError`` naming the file, the entry and
the field. Rules between fields (one baseline, allocations total at most 100, ...) are checked by
the provider at ``pulumi preview`` like for any other program.

The schema is read from the argument classes themselves, so a field added to ``ExperimentArgs``
is accepted here without change.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import types
from collections.abc import Awaitable, Mapping
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import pulumi
import yaml
from pydantic.alias_generators import to_snake

from launchdarkly_experiments import Experiment, ExperimentArgs
from launchdarkly_experiments.dynamic import resource as _resource

__all__ = ["declare_experiments", "load_experiment_args"]


class _InputMarker:
    """Stands in for ``pulumi.Input`` when reading annotations: ``Input[T]`` is just ``T``."""

    def __getitem__(self, item: Any) -> Any:
        return item


class _PulumiNamespace:
    Input = _InputMarker()
    Output = pulumi.Output


def _field_types(cls: type) -> dict[str, tuple[Any, bool]]:
    """``{field name: (plain type, required)}`` for one argument dataclass."""
    namespace = {**vars(_resource), "pulumi": _PulumiNamespace}
    result: dict[str, tuple[Any, bool]] = {}
    for item in dataclasses.fields(cls):
        annotation = eval(item.type, namespace) if isinstance(item.type, str) else item.type
        required = (
            item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING
        )
        result[item.name] = (_strip_outputs(annotation), required)
    return result


def _strip_outputs(annotation: Any) -> Any:
    """Drop the ``Awaitable``/``Output`` members a non-string ``pulumi.Input[...]`` expands to."""
    if get_origin(annotation) in (Union, types.UnionType):
        members = [
            a for a in get_args(annotation) if get_origin(a) not in (Awaitable, pulumi.Output)
        ]
        if len(members) == 1:
            return members[0]
        result = members[0]
        for member in members[1:]:
            result = result | member
        return result
    return annotation


class _Problem(Exception):
    """A shape problem at one place in an entry (``where`` is a dotted field path)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _describe(annotation: Any) -> str:
    if annotation is str:
        return "a string"
    if annotation is bool:
        return "true or false"
    if annotation is int:
        return "a whole number"
    if annotation is float:
        return "a number"
    if dataclasses.is_dataclass(annotation):
        name = getattr(annotation, "__name__", str(annotation))
        return f"a mapping ({name.removesuffix('Args')})"
    origin = get_origin(annotation)
    if origin is list:
        return f"a list of {_describe(get_args(annotation)[0]).removeprefix('a ')}s"
    if origin is dict:
        return f"a mapping of names to {_describe(get_args(annotation)[1]).removeprefix('a ')}s"
    if origin in (Union, types.UnionType):
        parts = [_describe(a) for a in get_args(annotation) if a is not type(None)]
        if {"a number", "a whole number"} & set(parts):
            parts = [p for p in parts if p not in ("a number", "a whole number")]
            parts.insert(0, "a number")
        return " or ".join(parts)
    return str(annotation)


def _convert(value: Any, annotation: Any, where: str) -> Any:
    """Check ``value`` against ``annotation`` and build argument objects for dataclasses."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        if value is None and len(options) < len(get_args(annotation)):
            return None
        for option in options:
            if _accepts(value, option):
                return _convert(value, option, where)
        raise _Problem(where, f"expected {_describe(annotation)}, got {_kind(value)}")
    if not _accepts(value, annotation):
        raise _Problem(where, f"expected {_describe(annotation)}, got {_kind(value)}")
    if dataclasses.is_dataclass(annotation):
        assert isinstance(annotation, type)
        return _build(annotation, value, where)
    if origin is list:
        (item_type,) = get_args(annotation)
        return [_convert(v, item_type, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        _, item_type = get_args(annotation)
        converted: dict[str, Any] = {}
        for name, item in value.items():
            if not isinstance(name, str):
                raise _Problem(where, f"names must be strings, got {_kind(name)} {name!r}")
            converted[name] = _convert(item, item_type, f"{where}.{name}")
        return converted
    return value


def _accepts(value: Any, annotation: Any) -> bool:
    """Whether ``value`` has the outer shape of ``annotation`` (items are checked later)."""
    origin = get_origin(annotation)
    if dataclasses.is_dataclass(annotation) or origin is dict:
        return isinstance(value, dict)
    if origin is list:
        return isinstance(value, list)
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is str:
        return isinstance(value, str)
    return False


def _build(cls: type, data: Mapping[Any, Any], where: str) -> Any:
    """One argument object from a mapping, refusing unknown and missing fields."""
    schema = _field_types(cls)
    prefix = f"{where}." if where else ""
    for name in data:
        if name not in schema:
            raise _Problem(f"{prefix}{name}", _unknown_field_message(name, schema))
    missing = [name for name, (_, required) in schema.items() if required and name not in data]
    if missing:
        also = f" (also missing: {', '.join(missing[1:])})" if len(missing) > 1 else ""
        raise _Problem(f"{prefix}{missing[0]}", f"missing required field{also}")
    kwargs = {
        name: _convert(value, schema[name][0], f"{prefix}{name}") for name, value in data.items()
    }
    return cls(**kwargs)


def _unknown_field_message(name: Any, schema: Mapping[str, Any]) -> str:
    message = f"unknown field {name!r}"
    if isinstance(name, str):
        snake = to_snake(name)
        if snake != name and snake in schema:
            return f"{message}; fields are written in snake_case: did you mean {snake!r}?"
        close = difflib.get_close_matches(name, list(schema), n=1)
        if close:
            return f"{message}; did you mean {close[0]!r}?"
    return f"{message}; expected one of: {', '.join(schema)}"


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the experiments file: {exc.strerror}") from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
            ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        if context:
            problem = f"{context}: {problem}"
        place = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ValueError(f"{path}: not valid YAML: {problem}{place}") from None


_TOP_LEVEL = ("defaults", "experiments")


def load_experiment_args(
    path: str | Path, *, defaults: Mapping[str, Any] | None = None
) -> list[ExperimentArgs]:
    """Read and check the file; one ``ExperimentArgs`` per entry, in file order.

    ``defaults`` are top-level fields for every entry; the file's own ``defaults:`` and then each
    entry's fields take precedence over them.
    """
    path = Path(path)
    document = _read(path)
    if not isinstance(document, dict):
        raise ValueError(
            f"{path}: expected a mapping with an 'experiments' list at the top, "
            f"got {_kind(document)}"
        )
    for name in document:
        if name not in _TOP_LEVEL:
            raise ValueError(
                f"{path}: unknown top-level field {name!r}; expected {' and '.join(_TOP_LEVEL)}"
            )
    experiments = document.get("experiments")
    if not isinstance(experiments, list) or not experiments:
        raise ValueError(
            f"{path}: 'experiments' must be a non-empty list of experiments, "
            f"got {_kind(experiments)}"
        )

    schema = _field_types(ExperimentArgs)
    merged_defaults: dict[str, Any] = {}
    for label, source in (("defaults argument", defaults), ("defaults", document.get("defaults"))):
        if source is None:
            continue
        if not isinstance(source, Mapping):
            raise ValueError(f"{path}: {label}: expected a mapping, got {_kind(source)}")
        for name in source:
            if name not in schema:
                raise ValueError(f"{path}: {label}: {_unknown_field_message(name, schema)}")
            if name in ("key", "name", "iteration"):
                raise ValueError(
                    f"{path}: {label}: {name!r} is different for every experiment and cannot "
                    "be a default"
                )
        merged_defaults.update(source)

    result: list[ExperimentArgs] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(experiments):
        label = f"experiments[{index}]"
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            label += f" ({entry['key']})"
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: {label}: expected a mapping, got {_kind(entry)}")
        try:
            args = _build(ExperimentArgs, {**merged_defaults, **entry}, "")
        except _Problem as problem:
            raise ValueError(f"{path}: {label}: {problem}") from None
        key = args.key
        assert isinstance(key, str)
        if key in seen:
            raise ValueError(
                f"{path}: {label}: key: {key!r} is already used by experiments[{seen[key]}]; "
                "each experiment in a file needs its own key"
            )
        seen[key] = index
        result.append(args)
    return result


def declare_experiments(
    path: str | Path,
    *,
    defaults: Mapping[str, Any] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> dict[str, Experiment]:
    """Declare one ``Experiment`` per entry of the file; returns them by experiment key.

    The Pulumi resource name of each experiment is its key. Raises ``ValueError`` naming the
    file, the entry and the field when the file is malformed; nothing is declared then.
    """
    declared: dict[str, Experiment] = {}
    for args in load_experiment_args(path, defaults=defaults):
        key = args.key
        assert isinstance(key, str)
        declared[key] = Experiment(key, args, opts)
    return declared
