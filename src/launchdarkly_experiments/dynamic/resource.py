"""What every generated dynamic resource stands on (``dynamic/resources.py`` is generated).

Inputs are written in Python as snake_case and sent to the provider (and kept in state) as
camelCase, the names of LaunchDarkly's API. Outputs come back as snake_case attributes. Which
names are translated comes from the kind's models (``ResourceKind.property_names``): user data
such as flag keys or treatment names inside maps is left alone.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, ClassVar

import pulumi
from pulumi import CustomResource
from pulumi.dynamic import Resource
from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider
from pydantic.alias_generators import to_camel, to_snake

from ..core.kind import field_names
from .adapter import DynamicAdapter


class Args:
    """Base of the argument classes: turns itself into the camelCase dict the provider reads."""

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {}
        for item in fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            if value is not None:
                wire[to_camel(item.name)] = _to_wire(value)
        return wire


def _to_wire(value: Any) -> Any:
    if isinstance(value, Args):
        return value.to_wire()
    if isinstance(value, pulumi.Output):
        return value.apply(_to_wire)
    if isinstance(value, dict):
        return {k: _to_wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_wire(v) for v in value]
    return value


_BLOBS: dict[type[DynamicAdapter], str] = {}


def _serialized_provider(provider_class: type[DynamicAdapter]) -> str:
    # Our providers pickle by reference to the same small blob each time (they hold no state):
    # one serialization per class serves every resource. The SDK's serialize_provider wraps
    # pickle's _batch_setitems again on every call and never unwraps it, so past about 980
    # dynamic resources in one program each further call fails with RecursionError.
    if provider_class not in _BLOBS:
        _BLOBS[provider_class] = serialize_provider(provider_class())
    return _BLOBS[provider_class]


class DynamicResource(Resource):
    """A resource of one kind, served by ``provider_class`` (its pickled dynamic provider)."""

    provider_class: ClassVar[type[DynamicAdapter]]
    args_class: ClassVar[type[Args]]

    # Not an ``__init__``: the SDK records the stack above the third ``__init__`` it finds (the
    # SDK's two, then the resource's), so the generated resource's ``__init__`` is the one it
    # skips, and the registration's source position is the program's line, not ours.
    def _register(
        self,
        resource_name: str,
        args: Args | None,
        opts: pulumi.ResourceOptions | None,
        kwargs: dict[str, Any],
    ) -> None:
        """Register the resource (what ``__init__`` of each generated resource calls)."""
        kind_name = type(self).__name__
        if args is None:
            try:
                args = self.args_class(**kwargs)
            except TypeError as exc:
                raise TypeError(f"{kind_name} {resource_name!r}: {exc}") from None
        elif kwargs:
            raise TypeError(
                f"{kind_name} {resource_name!r}: pass either args={self.args_class.__name__}(...) "
                f"or keyword arguments, not both (got {sorted(kwargs)})"
            )
        # Top-level keys are the Python attribute names (the SDK binds outputs to them);
        # translate_input_property renames them to the camelCase wire names. Computed outputs
        # are seeded with None so that they exist as attributes.
        wire = args.to_wire()
        props: dict[str, Any] = {
            snake: wire.get(camel) for camel, snake in _attributes(self.provider_class)
        }
        # What dynamic.Resource.__init__ does, with the provider serialized once per class, and
        # in the clear: the SDK makes the blob a secret in case a provider pickles credentials,
        # ours pickles its module and class name only (``__getstate__`` is empty), the same
        # string for every user. A secret costs every experiment's inputs and outputs an
        # encrypted envelope twice the blob's size, and the engine a decryption per use.
        props[PROVIDER_KEY] = _serialized_provider(self.provider_class)
        CustomResource.__init__(
            self, f"pulumi-python:{self._resource_type_name}", resource_name, props, opts
        )
        # The SDK tracks every Output until the program ends and, while the engine answers,
        # waits on all of the pending ones together after each answer: with about 30
        # attributes per resource that wait grows with N x N. An attribute is settled by its
        # own registration, whose failure the SDK reports already; an ``apply`` on one is
        # tracked as its own Output. So the attributes need no tracking of their own (what
        # the SDK's ``apply`` does for the Output it derives from).
        for name in props:
            self.__dict__[name]._untrack()

    # Only our own property names are translated; user data such as flag keys or treatment
    # names inside maps is left alone. The SDK asks for every property of every registration
    # and every answer: the names are looked up, not converted each time.
    def translate_output_property(self, prop: str) -> str:
        return _names(self.provider_class)[0].get(prop, prop)

    def translate_input_property(self, prop: str) -> str:
        return _names(self.provider_class)[1].get(prop, prop)


_NAMES: dict[type[DynamicAdapter], tuple[dict[str, str], dict[str, str]]] = {}
_ATTRIBUTES: dict[type[DynamicAdapter], tuple[tuple[str, str], ...]] = {}


def _names(provider_class: type[DynamicAdapter]) -> tuple[dict[str, str], dict[str, str]]:
    """The kind's property names, camelCase -> snake_case and back (built once per class)."""
    if provider_class not in _NAMES:
        to_python = {name: to_snake(name) for name in provider_class.kind.property_names()}
        _NAMES[provider_class] = to_python, {snake: camel for camel, snake in to_python.items()}
    return _NAMES[provider_class]


def _attributes(provider_class: type[DynamicAdapter]) -> tuple[tuple[str, str], ...]:
    """(wire name, attribute name) of every top-level input and computed output, once per
    class."""
    if provider_class not in _ATTRIBUTES:
        kind = provider_class.kind
        _ATTRIBUTES[provider_class] = tuple(
            (name, to_snake(name)) for name in (*field_names(kind.inputs), *kind.output_names())
        )
    return _ATTRIBUTES[provider_class]
