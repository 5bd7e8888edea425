"""What loading an experiments file gives: its entries, or the problems found in it (each an
``errors.Problem`` whose ``location`` is its place in the file)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic.alias_generators import to_snake

from .names import to_wire
from .sections import EXPERIMENTS, METRIC_GROUPS, METRICS, SECTIONS, Section
from .sections import Path as WirePath


@dataclass(frozen=True)
class Entry:
    """One entry of the file (an experiment unless ``section`` says otherwise), as written
    (snake_case names, file defaults merged in)."""

    key: str
    line: int | None
    fields: dict[str, Any]
    section: Section = EXPERIMENTS

    def wire(self) -> dict[str, Any]:
        """The camelCase properties the provider receives for this entry."""
        converted = to_wire(self.fields, self.section.model)
        assert isinstance(converted, dict)
        return converted

    def resource_args(self, values: Mapping[WirePath, Any] | None = None) -> dict[str, Any]:
        """Keyword arguments for the entry's resource: top-level snake_case names, wire-form
        values; ``values`` replaces the values at those places of the wire form (outputs)."""
        wire = self.wire()
        for path, value in (values or {}).items():
            *parents, last = path
            node: Any = wire
            for part in parents:
                node = node[part]
            node[last] = value
        return {to_snake(name): value for name, value in wire.items()}


@dataclass(frozen=True)
class Reference:
    """A place in ``entry`` (wire form) naming ``target``, another entry of the same file."""

    entry: Entry
    path: WirePath
    target: Entry


@dataclass(frozen=True)
class Catalog:
    """A checked experiments file: its experiments (``entries``), metrics and metric groups."""

    path: Path
    entries: tuple[Entry, ...] = field(default_factory=tuple)
    metrics: tuple[Entry, ...] = field(default_factory=tuple)
    metric_groups: tuple[Entry, ...] = field(default_factory=tuple)

    def section(self, section: Section) -> tuple[Entry, ...]:
        """The entries of one section."""
        return {
            EXPERIMENTS.name: self.entries,
            METRICS.name: self.metrics,
            METRIC_GROUPS.name: self.metric_groups,
        }[section.name]

    def references(self, entry: Entry) -> list[Reference]:
        """Where ``entry`` names a metric or metric group the file declares, in the same
        project (both leave it to the stack, or both name the same one)."""
        wire = entry.wire()
        declared = {
            (section.name, other.key, other.wire().get("projectKey")): other
            for section in SECTIONS
            for other in self.section(section)
        }
        found = []
        for path, section, key in entry.section.sites(wire):
            target = declared.get((section, key, wire.get("projectKey")))
            if isinstance(key, str) and target is not None:
                found.append(Reference(entry, path, target))
        return found

    def keys(self) -> list[str]:
        return [entry.key for entry in self.entries]

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)
