"""A resource kind is one declaration: the schema, the SDKs, the docs and both adapters follow.

A kind (``kinds/<kind>``) is a subclass of ``ResourceKind`` that declares, as class attributes,

* ``inputs``: its input model (pydantic, every field described), what a program declares;
* ``outputs``: the model of what LaunchDarkly computes, the outputs beside every input;
* ``replace_on``: the inputs whose change replaces the resource; ``steering``: inputs that steer
  how a change is made and are never a change themselves;
* ``id_format``: the inputs that spell its id (``<projectKey>/<key>``), which ``pulumi import``
  takes;
* ``rules``: its rules across fields (a ``RuleSet`` over ``inputs``);
* ``settings_defaults``: inputs a provider setting fills in when left out;

and implements its operations over the HTTP client: ``create``, ``read``, ``update``, ``delete``
(and ``references``, ``check``, ``diff`` where the defaults here do not fit). An instance is
bound to a ``Context`` (the settings, the one client, the shared lookups); the adapters hand it
typed values (``spec``) and get the resource's state back.

Everything reads and writes the *declared form*: the camelCase dict of a declaration with unset
fields and defaults dropped, which is what the engine stores as inputs and, with the computed
outputs, as outputs, so that a diff is a plain comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel

from ..config import Settings
from ..errors import LaunchDarklyError, Problem
from ..http.client import LaunchDarklyClient
from .models import InputModel, OutputModel, wire_names
from .rules import Declaration, IsUnknown, RuleSet, holds_unknown, nothing_is_unknown

if TYPE_CHECKING:
    from .lookups import CachedLookups

SpecT = TypeVar("SpecT", bound=InputModel)


class Context(Protocol):
    """What a kind's operations use: the settings, the shared client and the shared lookups
    (``service.Service`` is one; each is built on first use, so a preview needs no token)."""

    @property
    def settings(self) -> Settings: ...

    def client(self) -> LaunchDarklyClient: ...

    def lookups(self) -> CachedLookups: ...

    def declared_here(self, kind: str, id_: str) -> bool: ...


@dataclass(frozen=True)
class IdFormat:
    """The inputs that spell a resource's id, joined with ``/`` (what ``pulumi import`` takes)."""

    parts: tuple[str, ...]

    def __str__(self) -> str:
        return "/".join(f"<{part}>" for part in self.parts)

    def format(self, values: Mapping[str, Any]) -> str:
        return "/".join(str(values[part]) for part in self.parts)

    def address(self, id_: str, stored: Mapping[str, Any]) -> dict[str, str]:
        """The parts recorded in ``stored``, else the ones the id spells (an import)."""
        recorded = {part: stored.get(part) for part in self.parts}
        if all(isinstance(value, str) for value in recorded.values()):
            return {part: str(value) for part, value in recorded.items()}
        pieces = id_.split("/")
        if len(pieces) != len(self.parts) or not all(pieces):
            raise LaunchDarklyError(f"resource id {id_!r} is not of the form {self}")
        return dict(zip(self.parts, pieces, strict=True))


@dataclass(frozen=True)
class Checked:
    """What ``check`` answers: the inputs to store (canonical when known) and every problem."""

    inputs: dict[str, Any]
    problems: list[Problem]


@dataclass(frozen=True)
class Difference:
    """Which declared properties differ, and which of them replace the resource."""

    changed: tuple[str, ...] = ()
    replaces: tuple[str, ...] = ()

    @property
    def changes(self) -> bool:
        return bool(self.changed)


@dataclass(frozen=True)
class Written:
    """The state after a create: the resource id and its outputs."""

    id: str
    outputs: dict[str, Any]


@dataclass(frozen=True)
class Observed:
    """The state found by a read: the resource id, its outputs and the declaration rebuilt."""

    id: str
    outputs: dict[str, Any]
    inputs: dict[str, Any]


def declared_form(model: BaseModel) -> dict[str, Any]:
    """A model's canonical camelCase form: unset fields and defaults dropped."""
    return model.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True, mode="json")


def field_names(model: type[BaseModel]) -> tuple[str, ...]:
    """A model's top-level wire (camelCase) names."""
    return tuple(info.alias or name for name, info in model.model_fields.items())


class ResourceKind(Generic[SpecT]):
    """The declaration of one resource kind, and its operations (see the module's docstring)."""

    name: ClassVar[str]
    description: ClassVar[str]
    inputs: ClassVar[type[InputModel]]
    outputs: ClassVar[type[OutputModel]]
    replace_on: ClassVar[tuple[str, ...]]
    steering: ClassVar[tuple[str, ...]] = ()
    id_format: ClassVar[IdFormat]
    rules: ClassVar[RuleSet]
    #: Input name -> the ``Settings`` attribute that fills it in when a declaration leaves it
    #: out (``projectKey`` -> ``project_key``).
    settings_defaults: ClassVar[Mapping[str, str]] = {}
    #: Inputs ``check`` may add to name a consequence in the preview (never stored as outputs).
    computed_inputs: ClassVar[tuple[str, ...]] = ()
    #: What deleting the resource does in LaunchDarkly, for the docs.
    on_delete: ClassVar[str] = "deleted"
    #: Input name -> what a change of it does, where that is more than replace / in place /
    #: never a change (the docs' "On change" column).
    change_notes: ClassVar[Mapping[str, str]] = {}
    #: Inputs LaunchDarkly fills in when a declaration leaves them out (a holdout's
    #: randomization unit: the project's default): the outputs hold the live value, and
    #: leaving one out is never a change.
    server_defaults: ClassVar[tuple[str, ...]] = ()
    #: A replacement deletes the old object first (a layer's reservations must be freed before
    #: a new layer can hold the same experiments).
    delete_before_replace: ClassVar[bool] = False

    def __init__(self, context: Context) -> None:
        self.context = context

    # -- the state's shape --------------------------------------------------------------------

    @classmethod
    def output_names(cls) -> tuple[str, ...]:
        """The computed outputs' names (the outputs besides every input)."""
        return field_names(cls.outputs)

    @classmethod
    def property_names(cls) -> frozenset[str]:
        """Every property name of the inputs and outputs, at any depth (user data such as flag
        keys inside maps is none); computed inputs are none (they only show in a preview)."""
        return frozenset(wire_names(cls.inputs) | wire_names(cls.outputs))

    @classmethod
    def declared_part(cls, props: Mapping[str, Any]) -> dict[str, Any]:
        """Inputs or outputs without computed outputs, computed inputs and engine keys."""
        dropped = {*cls.output_names(), *cls.computed_inputs}
        return {k: v for k, v in props.items() if k not in dropped and not k.startswith("__")}

    @classmethod
    def spec(cls, props: Mapping[str, Any]) -> SpecT:
        """The declaration that checked inputs (or stored state) hold."""
        spec: SpecT = cls.inputs.model_validate(cls.declared_part(props))  # type: ignore[assignment]
        return spec

    def declared(self, spec: SpecT) -> dict[str, Any]:
        """The declared form of a declaration; a kind with API defaults drops them too."""
        return declared_form(spec)

    # -- check and diff: no I/O ----------------------------------------------------------------

    def check(
        self,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        is_unknown: IsUnknown = nothing_is_unknown,
    ) -> Checked:
        """Every problem of a declaration (field and cross-field), then of the change from
        ``olds`` (the stored inputs; empty on create: ``change_problems``); the declared form
        when it is valid (unknown values in their places: ``Declaration.form``), else the
        inputs as given."""
        declaration = Declaration(self.rules, news, is_unknown)
        problems = declaration.problems()
        if problems:
            return Checked(dict(news), problems)
        inputs = declaration.form(self.declared)
        old = {k: v for k, v in self.declared_part(olds).items() if v is not None}
        if not old or holds_unknown(old, is_unknown):
            return Checked(inputs, [])
        return Checked(inputs, self.change_problems(old, declaration))

    def change_problems(self, old: Mapping[str, Any], new: Declaration) -> list[Problem]:
        """What LaunchDarkly cannot change from the stored declared form ``old`` to ``new``
        (a valid declaration whose values may be unknown at preview); none by default."""
        return []

    def references(self, inputs: Mapping[str, Any]) -> list[Problem]:
        """Every reference of a checked declaration to an object that does not exist (looked up
        through ``context.lookups()``); none by default."""
        return []

    def diff(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Difference:
        """Stored outputs against checked inputs, in declared form."""
        old, new = self.declared_part(olds), self.diff_view(news, olds)
        keys = sorted((set(old) | set(new)) - set(self.steering))
        changed = tuple(k for k in keys if old.get(k) != new.get(k))
        return Difference(changed, tuple(k for k in changed if k in self.replace_on))

    def diff_view(
        self, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The new inputs as a detailed diff shows them: the declared form, any computed input
        naming a consequence, and the old (live) value of a server default left out."""
        view = self.declared_part(news)
        view.update({k: news[k] for k in self.computed_inputs if news.get(k)})
        for name in self.server_defaults:
            if name not in view and olds and olds.get(name) is not None:
                view[name] = olds[name]
        return view

    # -- create, read, update, delete ----------------------------------------------------------

    def create(self, spec: SpecT) -> Written:
        raise NotImplementedError

    def read(self, id_: str, stored: Mapping[str, Any]) -> Observed | None:
        """The resource as LaunchDarkly has it, or None when it is gone. ``stored`` holds the
        last outputs, or nothing but the id's parts for an import."""
        raise NotImplementedError

    def update(self, spec: SpecT, stored: Mapping[str, Any]) -> dict[str, Any]:
        """The outputs after making LaunchDarkly match ``spec``; ``stored`` are the old outputs."""
        raise NotImplementedError

    def delete(self, id_: str, stored: Mapping[str, Any]) -> None:
        raise NotImplementedError
