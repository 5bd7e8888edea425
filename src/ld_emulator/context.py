"""The context a request acts in: where (project, environment), as whom (the token's member),
under which profile, at what time, and what it can read (the fixtures' catalog, the project's
stored documents and flags). Every resource kind's handlers take one."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .catalog import Catalog
from .documents import Documents
from .profiles import LENIENT, Profile
from .serving import Effect

__all__ = ["Context", "FlagSource", "NoFlags", "new_object_id", "now_ms"]

JSON = dict[str, Any]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def new_object_id() -> str:
    """A 24-hex-digit id, the shape LaunchDarkly uses for ``_id``s."""
    return secrets.token_hex(12)


class FlagSource(Protocol):
    """Where an experiment finds the flags it names: the stored flag documents, each with the
    version it was read at (``versions``, for the compare-and-swap of a write)."""

    versions: dict[str, int]

    def get(self, key: str) -> JSON | None: ...


class NoFlags:
    """A :class:`FlagSource` without flags."""

    versions: dict[str, int] = {}

    def get(self, key: str) -> JSON | None:
        return None


@dataclass
class Context:
    """Where a request acts and what it can see."""

    catalog: Catalog
    project: str
    environment: str
    #: The member behind the request's token; None for a service token.
    member_id: str | None
    #: The project's stored documents (metrics, groups, holdouts, layers, settings, ...).
    docs: Documents
    clock: Callable[[], int] = field(default=now_ms)
    profile: Profile = LENIENT
    flags: FlagSource = field(default_factory=NoFlags)
    #: What the request did to iterations that run on flags, in order (see :mod:`..serving`).
    effects: list[Effect] = field(default_factory=list)
