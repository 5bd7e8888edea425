"""What every generated dynamic resource stands on (``dynamic/resources.py`` is generated).

Inputs are written in Python as snake_case and sent to the provider (and kept in state) as
camelCase, the names of LaunchDarkly's API. Outputs come back as snake_case attributes. Which
names are translated comes from the kind's models, through tables the generator writes into each
resource class: user data such as flag keys or treatment names inside maps is left alone.

A program imports this module, the generated one and the SDK, nothing else of ours: the kinds,
their models (pydantic) and the providers are what a provider host loads, not a program.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, ClassVar

import pulumi
from pulumi import CustomResource
from pulumi.dynamic import Resource
from pulumi.dynamic.dynamic import PROVIDER_KEY

#: ``Output._untrack``, looked up on the class (an Output lifts any other attribute into one).
_UNTRACK = getattr(pulumi.Output, "_untrack", None)


class Args:
    """Base of the argument classes: turns itself into the camelCase dict the provider reads."""

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {}
        for item in fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            if value is not None:
                wire[camel_case(item.name)] = _to_wire(value)
        return wire


def camel_case(name: str) -> str:
    """``flag_config_version`` -> ``flagConfigVersion``: an argument's wire name (the models'
    aliases, which a test checks it agrees with)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


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


class DynamicResource(Resource):
    """A resource of one kind, with the tables the generator writes from the kind."""

    _args_class: ClassVar[type[Args]]
    #: The kind's provider class pickled by reference (``launchdarkly_experiments.provider``).
    _provider_blob: ClassVar[str]
    #: The top-level attributes: every input and computed output.
    _attributes: ClassVar[tuple[str, ...]]
    #: Every property name of the kind at any depth, camelCase -> snake_case.
    _python_names: ClassVar[dict[str, str]]

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
                args = self._args_class(**kwargs)
            except TypeError as exc:
                raise TypeError(f"{kind_name} {resource_name!r}: {exc}") from None
        elif kwargs:
            raise TypeError(
                f"{kind_name} {resource_name!r}: pass either args={self._args_class.__name__}(...) "
                f"or keyword arguments, not both (got {sorted(kwargs)})"
            )
        # Top-level keys are the Python attribute names (the SDK binds outputs to them);
        # translate_input_property renames them to the camelCase wire names. Computed outputs
        # are seeded with None so that they exist as attributes.
        wire = args.to_wire()
        wire_names = _wire_names(type(self))
        props: dict[str, Any] = {name: wire.get(wire_names[name]) for name in self._attributes}
        # What dynamic.Resource.__init__ does, with the provider pickled once, by the
        # generator, and registered in the clear: the SDK makes the blob a secret in case a
        # provider pickles credentials, ours pickles its module and class name only
        # (``__getstate__`` is empty), the same string for every user. A secret costs every
        # resource's inputs and outputs an encrypted envelope twice the blob's size, and the
        # engine a decryption per use.
        props[PROVIDER_KEY] = self._provider_blob
        CustomResource.__init__(
            self, f"pulumi-python:{self._resource_type_name}", resource_name, props, opts
        )
        # The SDK tracks every Output until the program ends and, while the engine answers,
        # waits on all of the pending ones together after each answer: with about 30
        # attributes per resource that wait grows with N x N. An attribute is settled by its
        # own registration, whose failure the SDK reports already; an ``apply`` on one is
        # tracked as its own Output. So the attributes need no tracking of their own (what
        # the SDK's ``apply`` does for the Output it derives from).
        # (pulumi/pulumi#16055 is the SDK's own account of that tracking's cost.) An SDK
        # without ``_untrack``, a private method of recent ones, registers as it always did.
        if _UNTRACK is not None:
            for name in props:
                _UNTRACK(self.__dict__[name])

    # Only our own property names are translated; user data such as flag keys or treatment
    # names inside maps is left alone. The SDK asks for every property of every registration
    # and every answer: the names are looked up, not converted each time.
    def translate_output_property(self, prop: str) -> str:
        return self._python_names.get(prop, prop)

    def translate_input_property(self, prop: str) -> str:
        return _wire_names(type(self)).get(prop, prop)


_WIRE_NAMES: dict[type[DynamicResource], dict[str, str]] = {}


def _wire_names(resource_class: type[DynamicResource]) -> dict[str, str]:
    """snake_case -> camelCase, the generated table inverted once per class."""
    if resource_class not in _WIRE_NAMES:
        table = {snake: camel for camel, snake in resource_class._python_names.items()}
        _WIRE_NAMES[resource_class] = table
    return _WIRE_NAMES[resource_class]
