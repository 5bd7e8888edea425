"""Experiments declared in a YAML or JSON file: load, check and describe the file.

The file holds a list of experiments under ``experiments:``, each written with the snake_case names
of ``ExperimentArgs`` and its nested argument classes, plus an optional ``defaults:`` mapping of
top-level fields every entry inherits (an entry's own value wins)::

    defaults:
      tags: [managed-by-pulumi]
    experiments:
      - key: checkout-button-placement
        name: Checkout button placement
        iteration:
          hypothesis: ...
          metrics: [{key: checkout-completed}]
          primary_single_metric_key: checkout-completed
          treatments: [...]
          flags:
            checkout-button: {rule_id: fallthrough, flag_config_version: 3}

``load(path)`` checks every entry with the provider's own validation
(``core.rules.validation_problems``, the same function ``pulumi preview`` runs), so a file that
loads is a file the provider accepts.
Every problem in the file is reported at once, each with ``file:line:column``, in one
``CatalogError``. YAML duplicate keys are refused, and a value that YAML reads as a boolean,
number or null where a string is expected (``name: No``) gets a hint to quote it.

This module does not import pulumi: ``catalog_resources.declare_experiments`` turns a loaded
catalog into ``Experiment`` resources.

Regenerate the editor schema with::

    python -m launchdarkly_experiments.catalog schema > schemas/experiments.schema.json
"""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel
from pydantic.alias_generators import to_camel, to_snake

from .core.models import ExperimentSpec, field_type
from .core.rules import validation_problems
from .errors import CatalogError

__all__ = [
    "Catalog",
    "CatalogError",
    "Entry",
    "Problem",
    "json_schema",
    "load",
]

TOP_LEVEL = ("defaults", "experiments")
# Different for every experiment: not allowed under ``defaults``.
PER_EXPERIMENT = ("key", "name", "iteration")
# Filled in from the stack (launchdarkly:projectKey / environmentKey) when an entry leaves them
# out; validation uses this stand-in so that the rest of the entry is still checked.
_ADDRESS_STAND_IN = "stack-default"
_ADDRESS_FIELDS = ("project_key", "environment_key")

_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_READ_AS = {_BOOL_TAG: "a boolean", _NULL_TAG: "null", _INT_TAG: "a number", _FLOAT_TAG: "a number"}


# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One problem in the file: where it is and what is wrong."""

    file: str
    line: int | None  # 1-based; None when the problem has no place in the file
    column: int | None
    where: str  # e.g. "experiments[1] (pricing-plan-order): iteration.treatments[0].baseline"
    message: str

    def __str__(self) -> str:
        place = self.file
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        where = f" {self.where}:" if self.where else ""
        return f"{place}:{where} {self.message}"


@dataclass(frozen=True)
class Entry:
    """One experiment of the file, as written (snake_case names, file defaults merged in)."""

    key: str
    line: int | None
    fields: dict[str, Any]

    def wire(self) -> dict[str, Any]:
        """The camelCase properties the provider receives for this entry."""
        converted = _to_wire(self.fields, ExperimentSpec)
        assert isinstance(converted, dict)
        return converted

    def resource_args(self) -> dict[str, Any]:
        """Keyword arguments for ``Experiment``: top-level snake_case names, wire-form values."""
        wire = self.wire()
        return {to_snake(name): value for name, value in wire.items()}


@dataclass(frozen=True)
class Catalog:
    """A checked experiments file."""

    path: Path
    entries: tuple[Entry, ...] = field(default_factory=tuple)

    def keys(self) -> list[str]:
        return [entry.key for entry in self.entries]

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


# -- the model's shape: snake_case names -> wire names, nested models -------------------------


def _model_fields(model: type[BaseModel]) -> dict[str, tuple[str, Any]]:
    """``{snake name: (wire name, annotation)}`` of one model."""
    return {
        name: (info.alias or to_camel(name), field_type(info.annotation))
        for name, info in model.model_fields.items()
    }


def _to_wire(value: Any, annotation: Any) -> Any:
    """Rename the model's own snake_case names to wire names; user data (flag keys) stays."""
    annotation = field_type(annotation)
    origin = get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not isinstance(value, dict):
            return value
        known = _model_fields(annotation)
        by_wire = {wire: (wire, sub) for wire, sub in known.values()}
        result: dict[Any, Any] = {}
        for name, item in value.items():
            wire_name, sub = known.get(name) or by_wire.get(name) or (name, Any)
            result[wire_name] = _to_wire(item, sub)
        return result
    if origin is list and isinstance(value, list):
        (item_type,) = get_args(annotation)
        return [_to_wire(item, item_type) for item in value]
    if origin is dict and isinstance(value, dict):
        _, item_type = get_args(annotation)
        return {k: _to_wire(v, item_type) for k, v in value.items()}
    return copy.deepcopy(value)


def _camel_case_keys(value: Any, annotation: Any, where: str) -> Iterator[tuple[str, str]]:
    """(place, wire name) of every own field written in camelCase instead of snake_case."""
    annotation = field_type(annotation)
    origin = get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not isinstance(value, dict):
            return
        known = _model_fields(annotation)
        by_wire = {wire: snake for snake, (wire, _) in known.items()}
        for name, item in value.items():
            place = f"{where}.{name}" if where else str(name)
            if name not in known and name in by_wire:
                yield place, by_wire[name]
            sub = known.get(name) or known.get(by_wire.get(name, ""))
            if sub is not None:
                yield from _camel_case_keys(item, sub[1], place)
    elif origin is list and isinstance(value, list):
        (item_type,) = get_args(annotation)
        for index, item in enumerate(value):
            yield from _camel_case_keys(item, item_type, f"{where}[{index}]")
    elif origin is dict and isinstance(value, dict):
        _, item_type = get_args(annotation)
        for name, item in value.items():
            yield from _camel_case_keys(item, item_type, f"{where}.{name}")


def _all_wire_names(model: type[BaseModel]) -> set[str]:
    names: set[str] = set()
    for wire, sub in _model_fields(model).values():
        names.add(wire)
        for candidate in (sub, *get_args(sub)):
            inner = field_type(candidate)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                names |= _all_wire_names(inner)
    return names


_CAMEL_NAMES = sorted((n for n in _all_wire_names(ExperimentSpec) if n != to_snake(n)), key=len)
_CAMEL_RE = re.compile(r"\b(" + "|".join(reversed(_CAMEL_NAMES)) + r")\b")


def _snake_text(text: str) -> str:
    """The provider's messages name fields in camelCase; the file uses snake_case."""
    return _CAMEL_RE.sub(lambda m: to_snake(m.group(1)), text)


# -- reading the file -----------------------------------------------------------------------------


class _Reader:
    """Parses the file into plain data and keeps the YAML node tree for positions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.root: yaml.Node | None = None
        self.is_json = path.suffix.lower() == ".json"

    def problem(self, node: yaml.Node | None, where: str, message: str) -> None:
        line = column = None
        if node is not None:
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
        self.problems.append(Problem(str(self.path), line, column, where, message))

    def read(self) -> Any:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            self.problem(None, "", f"cannot read the experiments file: {exc.strerror}")
            return None
        except UnicodeDecodeError as exc:
            self.problem(None, "", f"not UTF-8 text: {exc.reason} at byte {exc.start}")
            return None
        if self.is_json:
            return self._read_json(text)
        return self._read_yaml(text)

    def _read_json(self, text: str) -> Any:
        def refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            result: dict[str, Any] = {}
            for name, value in pairs:
                if name in result:
                    self.problem(None, "", f"duplicate key {name!r} in one object")
                result[name] = value
            return result

        try:
            data = json.loads(text, object_pairs_hook=refuse_duplicates)
        except json.JSONDecodeError as exc:
            self.problems.append(
                Problem(str(self.path), exc.lineno, exc.colno, "", f"not valid JSON: {exc.msg}")
            )
            return None
        # Positions only: JSON is YAML, so the node tree gives line numbers for the problems.
        try:
            self.root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            self.root = None
        if self.root is not None:
            self.problems = [p for p in self.problems if "duplicate key" not in p.message]
            self._check_duplicates(self.root, "")
        return data

    def _read_yaml(self, text: str) -> Any:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return None
            self._check_duplicates(root, "")
            self.root = root
            return loader.construct_document(root)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            context = getattr(exc, "context", None)
            if context:
                problem = f"{context}: {problem}"
            line = mark.line + 1 if mark is not None else None
            column = mark.column + 1 if mark is not None else None
            self.problems.append(
                Problem(str(self.path), line, column, "", f"not valid YAML: {problem}")
            )
            return None
        finally:
            loader.dispose()

    def _check_duplicates(self, node: yaml.Node, where: str, seen: set[int] | None = None) -> None:
        seen = set() if seen is None else seen
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], yaml.Node] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                name = str(key_node.value)
                place = f"{where}.{name}" if where else name
                ident = (key_node.tag, name)
                if ident in first:
                    earlier = first[ident].start_mark.line + 1
                    self.problem(
                        key_node,
                        place,
                        f"duplicate key {name!r} (first at line {earlier}); YAML would silently "
                        "keep only the last one: remove or rename one of them",
                    )
                else:
                    first[ident] = key_node
                self._check_duplicates(value_node, place, seen)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._check_duplicates(item, f"{where}[{index}]", seen)


def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
    """The node under ``part`` (a key, its snake_case form, or a list index)."""
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        candidates = (part, to_snake(part))
        found = None
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value in candidates:
                found = value_node  # the last one wins, as in the loaded data
        return found
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        return node.value[part] if 0 <= part < len(node.value) else None
    return None


def _key_node(node: yaml.Node | None, name: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value in (name, to_snake(name)):
                return key_node
    return None


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _parts(path: str) -> list[str | int]:
    """``iteration.treatments[1].name`` -> ``["iteration", "treatments", 1, "name"]``.

    Flag keys may contain dots; they are matched back against the file by ``_locate``.
    """
    return [int(index) if index else name for name, index in _PATH_PART.findall(path)]


def _locate(
    node: yaml.Node | None, parts: list[str | int]
) -> tuple[yaml.Node | None, list[str | int]]:
    """The deepest node found along ``parts``, and the parts not found under it."""
    rest = list(parts)
    while rest and node is not None:
        nxt = _child(node, rest[0])
        taken = 1
        if nxt is None and isinstance(rest[0], str):
            # A key containing dots (a flag key such as "web.checkout") spans several parts.
            for end in range(len(rest), 1, -1):
                if all(isinstance(p, str) for p in rest[:end]):
                    nxt = _child(node, ".".join(str(p) for p in rest[:end]))
                    if nxt is not None:
                        taken = end
                        break
        if nxt is None:
            break
        node, rest = nxt, rest[taken:]
    return node, rest


def _display(path: str) -> str:
    return _snake_text(path)


def _hint(node: yaml.Node | None, message: str) -> str:
    """Suggest quoting a plain YAML scalar that YAML read as something other than a string."""
    if (
        isinstance(node, yaml.ScalarNode)
        and node.style is None
        and node.tag in _READ_AS
        and "string" in message
    ):
        text = node.value if node.value else "~"
        return (
            f"{message} (YAML reads {text} as {_READ_AS[node.tag]}: did you mean the string "
            f'{text!r}? quote it: "{text}")'
        )
    return message


# -- load ----------------------------------------------------------------------------------------


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


def load(path: str | Path, *, defaults: Mapping[str, Any] | None = None) -> Catalog:
    """Read and check an experiments file; raise ``CatalogError`` listing every problem.

    ``defaults`` are top-level fields for every entry, weaker than the file's ``defaults:`` and
    than each entry's own fields. ``.json`` files are read as JSON, anything else as YAML.
    """
    path = Path(path)
    reader = _Reader(path)
    document = reader.read()
    if reader.problems and document is None:
        raise CatalogError(str(path), reader.problems)
    root = reader.root
    if not isinstance(document, dict):
        reader.problem(
            root,
            "",
            f"expected a mapping with an 'experiments' list at the top, got {_kind(document)}",
        )
        raise CatalogError(str(path), reader.problems)
    for name in document:
        if name not in TOP_LEVEL:
            reader.problem(
                _key_node(root, str(name)),
                str(name),
                f"unknown top-level field {name!r}; expected {' and '.join(TOP_LEVEL)}",
            )

    merged_defaults = _defaults(
        reader, defaults, document.get("defaults"), _child(root, "defaults")
    )
    experiments = document.get("experiments")
    experiments_node = _child(root, "experiments")
    entries: list[Entry] = []
    if not isinstance(experiments, list) or not experiments:
        reader.problem(
            experiments_node or root,
            "experiments",
            f"must be a non-empty list of experiments, got {_kind(experiments)}"
            + (" (empty)" if experiments == [] else ""),
        )
    else:
        seen_keys: dict[str, int] = {}
        for index, item in enumerate(experiments):
            entry = _check_entry(reader, index, item, merged_defaults, root, experiments_node)
            if entry is None:
                continue
            if entry.key in seen_keys:
                reader.problem(
                    _key_node(_child(experiments_node, index), "key"),
                    _label(index, item),
                    f"key: {entry.key!r} is already used by experiments[{seen_keys[entry.key]}]; "
                    "each experiment in a file needs its own key",
                )
            else:
                seen_keys[entry.key] = index
            entries.append(entry)

    problems = _unique(reader.problems)
    if problems:
        raise CatalogError(str(path), problems)
    return Catalog(path, tuple(entries))


def _unique(problems: list[Problem]) -> list[Problem]:
    """Drop repeats (a bad default is reported once, not once per entry); sort by position."""
    seen: set[tuple[Any, ...]] = set()
    result: list[Problem] = []
    for problem in problems:
        ident = (problem.line, problem.column, problem.where, problem.message)
        if ident not in seen:
            seen.add(ident)
            result.append(problem)
    return sorted(result, key=lambda p: (p.line is None, p.line or 0, p.column or 0))


def _defaults(
    reader: _Reader,
    argument: Mapping[str, Any] | None,
    in_file: Any,
    node: yaml.Node | None,
) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    known = _model_fields(ExperimentSpec)
    by_wire = {wire: snake for snake, (wire, _) in known.items()}
    for label, source, source_node in (
        ("defaults argument", argument, None),
        ("defaults", in_file, node),
    ):
        if source is None:
            continue
        if not isinstance(source, Mapping):
            reader.problem(source_node, label, f"expected a mapping, got {_kind(source)}")
            continue
        for name, value in source.items():
            name_node = _key_node(source_node, str(name))
            if name in PER_EXPERIMENT:
                reader.problem(
                    name_node,
                    f"{label}.{name}",
                    f"{name!r} is different for every experiment and cannot be a default",
                )
            elif name not in known and name not in by_wire:
                reader.problem(
                    name_node,
                    f"{label}.{name}",
                    f"unknown field {name!r}; expected one of: "
                    + ", ".join(n for n in known if n not in PER_EXPERIMENT),
                )
            else:
                merged[name] = value
    return merged


def _label(index: int, item: Any) -> str:
    label = f"experiments[{index}]"
    if isinstance(item, dict) and isinstance(item.get("key"), str):
        label += f" ({item['key']})"
    return label


def _check_entry(
    reader: _Reader,
    index: int,
    item: Any,
    defaults: dict[str, Any],
    root: yaml.Node | None,
    experiments_node: yaml.Node | None,
) -> Entry | None:
    label = _label(index, item)
    node = _child(experiments_node, index)
    if not isinstance(item, dict):
        reader.problem(node, label, f"expected a mapping, got {_kind(item)}")
        return None
    fields = {**defaults, **item}
    defaults_node = _child(root, "defaults")

    for place, snake in _camel_case_keys(fields, ExperimentSpec, ""):
        parts = _parts(place)
        found, _ = _locate(node, parts[:-1])
        reader.problem(
            _key_node(found, str(parts[-1])),
            f"{label}: {place}",
            f"fields are written in snake_case: did you mean {snake!r}?",
        )

    wire = _to_wire(fields, ExperimentSpec)
    assert isinstance(wire, dict)
    stand_ins = [n for n in ("projectKey", "environmentKey") if wire.get(n) is None]
    for name in stand_ins:
        wire[name] = _ADDRESS_STAND_IN
    for path, message in validation_problems(wire):
        parts = _parts(path)
        source_node, where = node, label
        top = parts[0] if parts else None
        # A field not written in the entry: its value (or its absence) comes from defaults.
        from_defaults = isinstance(top, str) and top not in item and to_snake(top) not in item
        if from_defaults and isinstance(top, str) and _child(defaults_node, top) is not None:
            source_node, where = defaults_node, "defaults"
        found, rest = _locate(source_node, parts)
        if rest and found is not None and isinstance(rest[0], str):
            # A missing or unknown field: point at its key when it is there, else the mapping.
            found = _key_node(found, str(rest[0])) or found
        where_text = f"{where}: {_display(path)}" if path and path != "(resource)" else where
        reader.problem(found, where_text, _hint(found, _snake_text(message)))

    key = fields.get("key")
    if not isinstance(key, str):
        return None
    return Entry(key, node.start_mark.line + 1 if node is not None else None, fields)


# -- JSON Schema for editors ----------------------------------------------------------------------

# Fields the models accept as numbers or numeric strings (pydantic documents them as strings).
_NUMBER_OR_STRING = ("allocation_percent", "bayesian_threshold", "significance_threshold")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of an experiments file, generated from the provider's models."""
    entry = ExperimentSpec.model_json_schema(by_alias=False, mode="validation")
    definitions = entry.pop("$defs", {})
    entry["required"] = [r for r in entry.get("required", []) if r not in _ADDRESS_FIELDS]
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


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m launchdarkly_experiments.catalog schema`` | ``check FILE...``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["schema"] and len(args) == 1:
        sys.stdout.write(schema_text())
        return 0
    if args[:1] == ["check"] and len(args) > 1:
        failed = False
        for name in args[1:]:
            try:
                catalog = load(name)
            except CatalogError as exc:
                print(exc, file=sys.stderr)
                failed = True
            else:
                print(f"{name}: {len(catalog)} experiment(s), no problems")
        return 1 if failed else 0
    print(
        "usage: python -m launchdarkly_experiments.catalog schema | check FILE...",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
