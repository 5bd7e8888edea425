"""What loading an experiments file gives: its entries, or the problems found in it (each an
``errors.Problem`` whose ``location`` is its place in the file)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic.alias_generators import to_snake

from ..core.kinds.experiment.models import ExperimentSpec
from .names import to_wire


@dataclass(frozen=True)
class Entry:
    """One experiment of the file, as written (snake_case names, file defaults merged in)."""

    key: str
    line: int | None
    fields: dict[str, Any]

    def wire(self) -> dict[str, Any]:
        """The camelCase properties the provider receives for this entry."""
        converted = to_wire(self.fields, ExperimentSpec)
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
