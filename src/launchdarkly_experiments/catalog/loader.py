"""``load``: read an experiments file, check every entry of every section, report every problem
at once."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic.alias_generators import to_snake

from ..core.rules import validation_problems
from ..errors import CatalogError, Problem
from .locate import child, display, key_node, locate, path_parts, quote_hint
from .names import camel_case_keys, model_fields, snake_text, to_wire
from .reader import Reader
from .results import Catalog, Entry
from .sections import EXPERIMENTS, SECTIONS, Section

TOP_LEVEL = ("defaults", *(section.name for section in SECTIONS))
# Different for every experiment: not allowed under ``defaults``.
PER_EXPERIMENT = ("key", "name", "iteration")
# Filled in from the stack (launchdarkly:projectKey / environmentKey) when an entry leaves them
# out; validation uses this stand-in so that the rest of the entry is still checked.
_ADDRESS_STAND_IN = "stack-default"


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
    reader = Reader(path)
    document = reader.read()
    if reader.problems and document is None:
        raise CatalogError(str(path), reader.problems)
    root = reader.root
    if not isinstance(document, dict):
        reader.problem(
            root,
            "",
            "expected a mapping with an 'experiments' list at the top (and 'metrics' and "
            f"'metric_groups' lists if the file declares them), got {_kind(document)}",
        )
        raise CatalogError(str(path), reader.problems)
    for name in document:
        if name not in TOP_LEVEL:
            reader.problem(
                key_node(root, str(name)),
                str(name),
                f"unknown top-level field {name!r}; expected {', '.join(TOP_LEVEL)}",
            )

    merged_defaults = _defaults(reader, defaults, document.get("defaults"), child(root, "defaults"))
    found = {
        section.name: _check_section(reader, section, document, merged_defaults, root)
        for section in SECTIONS
        if section.name in document or (section is EXPERIMENTS and not _declares_any(document))
    }

    problems = _unique(reader.problems)
    if problems:
        raise CatalogError(str(path), problems)
    return Catalog(
        path,
        found.get("experiments", ()),
        found.get("metrics", ()),
        found.get("metric_groups", ()),
    )


def _declares_any(document: Mapping[str, Any]) -> bool:
    return any(section.name in document for section in SECTIONS)


def _check_section(
    reader: Reader,
    section: Section,
    document: Mapping[str, Any],
    defaults: dict[str, Any],
    root: yaml.Node | None,
) -> tuple[Entry, ...]:
    """The entries of one section, each checked; a key used twice in it is a problem."""
    items = document.get(section.name)
    node = child(root, section.name)
    if not isinstance(items, list) or not items:
        reader.problem(
            node or root,
            section.name,
            f"must be a non-empty list of {section.noun}s, got {_kind(items)}"
            + (" (empty)" if items == [] else ""),
        )
        return ()
    # A default applies where the section's model has the field (project_key, tags, ...).
    inherited = {k: v for k, v in defaults.items() if _has_field(section, k)}
    entries: list[Entry] = []
    seen_keys: dict[str, int] = {}
    for index, item in enumerate(items):
        entry = _check_entry(reader, section, index, item, inherited, root, node)
        if entry is None:
            continue
        if entry.key in seen_keys:
            reader.problem(
                key_node(child(node, index), "key"),
                _label(section, index, item),
                f"key: {entry.key!r} is already used by {section.name}[{seen_keys[entry.key]}]; "
                f"each {section.noun} in a file needs its own key",
            )
        else:
            seen_keys[entry.key] = index
        entries.append(entry)
    return tuple(entries)


def _has_field(section: Section, name: str) -> bool:
    known = model_fields(section.model)
    return name in known or any(wire == name for wire, _ in known.values())


def _unique(problems: list[Problem]) -> list[Problem]:
    """Drop repeats (a bad default is reported once, not once per entry); sort by position."""
    seen: set[tuple[Any, ...]] = set()
    result: list[Problem] = []
    for problem in problems:
        ident = (problem.location, problem.property, problem.message)
        if ident not in seen:
            seen.add(ident)
            result.append(problem)
    return sorted(result, key=_position)


def _position(problem: Problem) -> tuple[bool, int, int]:
    line = problem.location.line if problem.location else None
    column = problem.location.column if problem.location else None
    return (line is None, line or 0, column or 0)


def _defaults(
    reader: Reader,
    argument: Mapping[str, Any] | None,
    in_file: Any,
    node: yaml.Node | None,
) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    known = model_fields(EXPERIMENTS.model)
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
            name_node = key_node(source_node, str(name))
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


def _label(section: Section, index: int, item: Any) -> str:
    label = f"{section.name}[{index}]"
    if isinstance(item, dict) and isinstance(item.get("key"), str):
        label += f" ({item['key']})"
    return label


def _check_entry(
    reader: Reader,
    section: Section,
    index: int,
    item: Any,
    defaults: dict[str, Any],
    root: yaml.Node | None,
    section_node: yaml.Node | None,
) -> Entry | None:
    label = _label(section, index, item)
    node = child(section_node, index)
    if not isinstance(item, dict):
        reader.problem(node, label, f"expected a mapping, got {_kind(item)}")
        return None
    fields = {**defaults, **item}
    defaults_node = child(root, "defaults")

    for place, snake in camel_case_keys(fields, section.model, ""):
        parts = path_parts(place)
        found, _ = locate(node, parts[:-1])
        reader.problem(
            key_node(found, str(parts[-1])),
            f"{label}: {place}",
            f"fields are written in snake_case: did you mean {snake!r}?",
        )

    wire = to_wire(fields, section.model)
    assert isinstance(wire, dict)
    for name in section.address:
        if wire.get(name) is None:
            wire[name] = _ADDRESS_STAND_IN
    for found_problem in validation_problems(section.rules, wire):
        path, message = found_problem.property, found_problem.message
        parts = path_parts(path)
        source_node, where = node, label
        top = parts[0] if parts else None
        # A field not written in the entry: its value (or its absence) comes from defaults.
        from_defaults = isinstance(top, str) and top not in item and to_snake(top) not in item
        if from_defaults and isinstance(top, str) and child(defaults_node, top) is not None:
            source_node, where = defaults_node, "defaults"
        found, rest = locate(source_node, parts)
        if rest and found is not None and isinstance(rest[0], str):
            # A missing or unknown field: point at its key when it is there, else the mapping.
            found = key_node(found, str(rest[0])) or found
        where_text = f"{where}: {display(path)}" if path and path != "(resource)" else where
        reader.problem(found, where_text, quote_hint(found, snake_text(message)))

    key = fields.get("key")
    if not isinstance(key, str):
        return None
    return Entry(key, node.start_mark.line + 1 if node is not None else None, fields, section)
