"""Pulumi ``PropertyValue`` maps <-> the plain dicts the domain code reads and writes.

The native plugin accepts secrets: values arrive wrapped, with ``is_secret``. The domain code
works on plain values, so secrets are unwrapped on the way in, and every top-level property that
held a secret in the inputs is marked secret again on the way out (for a nested secret, the whole
top-level property: an output never reveals part of a secret input). Values not known yet at
preview arrive as the engine's unknown sentinel string, or as ``Computed``; the domain code
recognises the sentinel (``is_unknown`` below), so both become the sentinel here, and it goes
back out as the sentinel string (this SDK cannot marshal ``Computed``; the engine reads the
sentinel as unknown).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime import rpc


def is_unknown(value: Any) -> bool:
    """Whether a plain value (from ``to_plain``) is one not known yet at preview."""
    return isinstance(value, str) and value == rpc.UNKNOWN


def to_plain(value: PropertyValue) -> Any:
    """One property value as plain Python data (secrets unwrapped, unknowns as the sentinel)."""
    inner = value.value
    if isinstance(inner, Computed):
        return rpc.UNKNOWN
    if isinstance(inner, Mapping):
        return {k: to_plain(v) for k, v in inner.items()}
    if isinstance(inner, tuple | list):
        return [to_plain(v) for v in inner]
    if isinstance(inner, float) and inner.is_integer():
        # The wire has only floats; ids, versions and dates are integers in the models.
        return int(inner)
    return inner


def plain_map(props: Mapping[str, PropertyValue]) -> dict[str, Any]:
    return {k: to_plain(v) for k, v in props.items()}


def secret_keys(*maps: Mapping[str, PropertyValue]) -> set[str]:
    """Top-level properties holding a secret anywhere inside, in any of ``maps``."""
    return {k for props in maps for k, v in props.items() if v.contains_secret()}


def from_plain(value: Any) -> PropertyValue:
    """Plain Python data as a property value."""
    if value is None:
        return PropertyValue.null()
    if isinstance(value, bool | str):
        return PropertyValue(value)
    if isinstance(value, int | float):
        return PropertyValue(float(value))
    if isinstance(value, Mapping):
        return PropertyValue({str(k): from_plain(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return PropertyValue([from_plain(v) for v in value])
    raise TypeError(f"cannot send a {type(value).__name__} to the engine")


def property_map(plain: Mapping[str, Any], secrets: Iterable[str] = ()) -> dict[str, PropertyValue]:
    """A plain dict as a property map, marking the top-level properties in ``secrets`` secret."""
    hidden = set(secrets)
    return {k: from_plain(v).with_secret(k in hidden) for k, v in plain.items()}
