"""Validation of a declaration: one object per rule, each naming the inputs it reads.

Field rules are the models' own constraints (``models``); each problem they find is reported at
its property. Rules across fields are ``Rule`` objects, in each kind's ``RuleSet`` (registered
with its ``rule`` decorator in ``kinds/<kind>/rules.py``): a rule declares the input paths it
reads and gets exactly those values, validated to their field types, and yields one precise
``Problem`` per thing it finds wrong.

At preview some inputs may not be known yet (outputs of resources not created yet). The caller
says which values those are with ``is_unknown`` (the core knows nothing of Pulumi's markers):

* a field problem is dropped when it lies at or under an unknown value, or is about a value that
  holds one;
* a rule is skipped when one of the inputs it reads holds an unknown value, or a field problem.

So a preview reports every problem that stays a problem whatever the unknown values turn out to
be, and none that might vanish. The inputs a preview stores are still the declared form
(``Declaration.form``): each unknown value stands in its place, so the preview's diff shows only
what changes, not a "50" that will be 50.

Every problem at once: a rule runs whenever none of the inputs it reads has a field problem, so a
bad methodology does not hide two baselines or allocations totalling 140. Field messages are
written here (``describe_error``) and say what was given and what is allowed, with a "did you
mean" for a misspelt property name.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ..errors import Problem
from .models import field_type, input_field

IsUnknown = Callable[[Any], bool]


def nothing_is_unknown(value: Any) -> bool:
    """The predicate for a declaration whose values are all known."""
    return False


# -- reading a declaration --------------------------------------------------------------------

_ABSENT: Any = object()
#: What an unknown value stands as while a partly unknown declaration is put in declared form:
#: valid as a key, a name or an id, and never a value a user writes.
_STAND_IN = "unknown-at-preview-7c1e-"


class Declaration:
    """A declaration's raw inputs (camelCase dict) for one kind's rules, read path by path.

    ``spec`` is the validated input model when every value is known and valid, else None.
    """

    def __init__(
        self,
        rules: RuleSet,
        props: Mapping[str, Any],
        is_unknown: IsUnknown = nothing_is_unknown,
    ):
        self.rules = rules
        self.model = rules.model
        self.props = dict(props)
        self.is_unknown = is_unknown
        self.has_unknown = holds_unknown(self.props, is_unknown)
        self.spec: Any = None
        self.field_problems: list[Problem] = []
        self._values: dict[str, Any] = {}
        try:
            spec = self.model.model_validate(self.props)
        except ValidationError as exc:
            self.field_problems = [describe_error(self.model, error) for error in exc.errors()]
        else:
            # An unknown value can pass validation (the SDK's marker is a string): not a spec.
            self.spec = None if self.has_unknown else spec

    def form(self, declared: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
        """``declared(spec)``: the declared form. With unknown values, the declared form of the
        known ones with each unknown value in its place, when the declaration is valid with a
        stand-in for each (a key, a name, an id); else the inputs as given."""
        if self.spec is not None:
            return declared(self.spec)
        if not self.has_unknown:
            return dict(self.props)
        stand_ins: dict[str, Any] = {}

        def substitute(value: Any) -> Any:
            if self.is_unknown(value):
                stand_in = f"{_STAND_IN}{len(stand_ins)}"
                stand_ins[stand_in] = value
                return stand_in
            if isinstance(value, dict):
                return {k: substitute(v) for k, v in value.items()}
            if isinstance(value, list):
                return [substitute(v) for v in value]
            return value

        leaked: list[str] = []

        def restore(value: Any) -> Any:
            if isinstance(value, str):
                if value in stand_ins:
                    return stand_ins[value]
                if _STAND_IN in value:
                    leaked.append(value)  # the form derived a value from an unknown one
                return value
            if isinstance(value, dict):
                return {k: restore(v) for k, v in value.items()}
            if isinstance(value, list):
                return [restore(v) for v in value]
            return value

        try:
            form = restore(declared(self.model.model_validate(substitute(self.props))))
        except ValidationError:
            return dict(self.props)
        return form if isinstance(form, dict) and not leaked else dict(self.props)

    def unknown(self, path: str) -> bool:
        """True when the value at ``path`` is, holds or lies under an unknown value."""
        if not self.has_unknown:
            return False
        node: Any = self.props
        for part in _parts(path):
            if self.is_unknown(node):
                return True
            if isinstance(node, dict):
                node = node.get(part, _ABSENT)
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                break
        return holds_unknown(node, self.is_unknown)

    def invalid(self, path: str) -> bool:
        """True when a field problem lies at, under or above ``path``."""
        return any(_overlaps(problem.property, path) for problem in self.field_problems)

    def value(self, path: str) -> Any:
        """The value at ``path`` validated to its field's type; the field default when absent.

        Only for a known and valid value (see ``unknown`` and ``invalid``).
        """
        if path not in self._values:
            self._values[path] = self._validated(path)
        return self._values[path]

    def _validated(self, path: str) -> Any:
        field = input_field(self.model, path)
        node: Any = self.props
        for alias, name in zip(path.split("."), field.python_names, strict=True):
            node = node.get(alias, node.get(name, _ABSENT)) if isinstance(node, dict) else _ABSENT
            if node is _ABSENT:
                return field.default
        return field.adapter.validate_python(node)

    def problems(self) -> list[Problem]:
        """Every problem that stays whatever the unknown values become; empty when valid."""
        # A field problem at, under or about a collection holding an unknown value may vanish.
        found = [p for p in self.field_problems if not self.unknown(p.property)]
        for rule in self.rules:
            if any(self.unknown(path) or self.invalid(path) for path in rule.reads):
                continue
            found.extend(rule.find(*(self.value(path) for path in rule.reads)))
        return found


def holds_unknown(value: Any, is_unknown: IsUnknown) -> bool:
    """True when ``value`` is unknown or holds an unknown value at any depth."""
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(holds_unknown(v, is_unknown) for v in value.values())
    if isinstance(value, list):
        return any(holds_unknown(v, is_unknown) for v in value)
    return False


def validation_problems(
    rules: RuleSet, props: Mapping[str, Any], is_unknown: IsUnknown = nothing_is_unknown
) -> list[Problem]:
    """Every problem with a declaration, field and cross-field; empty when valid."""
    return Declaration(rules, props, is_unknown).problems()


def _parts(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in path.replace("]", "").split("."):
        name, *indexes = piece.split("[")
        if name:
            parts.append(name)
        parts.extend(int(i) for i in indexes if i.isdigit())
    return parts


def _overlaps(a: str, b: str) -> bool:
    """True when one property path lies within the other (or they are equal)."""
    pa, pb = _parts(a), _parts(b)
    shorter = min(len(pa), len(pb))
    return pa[:shorter] == pb[:shorter]


# -- field problems: messages that say what was given and what is allowed ---------------------


def _given(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping"
    if isinstance(value, list | tuple):
        return "a list" if value else "an empty list"
    if isinstance(value, str):
        return repr(value) if len(value) <= 80 else repr(value[:77] + "...")
    if value is None:
        return "null"
    return repr(value)


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model that holds the field at ``loc`` (e.g. ``Treatment`` for treatments[0].name)."""
    current: Any = root
    for part in loc[:-1]:
        current = field_type(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next(
                (info for name, info in current.model_fields.items() if part in (name, info.alias)),
                None,
            )
            if field is None:
                return None
            current = field.annotation
        elif get_origin(current) in (list, dict):
            current = get_args(current)[-1]
        else:
            return None
    current = field_type(current)
    if get_origin(current) in (list, dict):
        current = field_type(get_args(current)[-1])
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unknown_name(root: type[BaseModel], loc: tuple[Any, ...]) -> str:
    name = loc[-1] if loc else "?"
    message = f"unknown property {name!r}"
    model = _model_at(root, loc)
    if model is None or not isinstance(name, str):
        return f"{message}; check the spelling against the resource reference"
    allowed = [info.alias or field for field, info in model.model_fields.items()]
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    if close:
        return f"{message}; did you mean {close[0]!r}?"
    return f"{message}; allowed here: {', '.join(allowed)}"


_SIMPLE = {
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "decimal_type": "must be a number",
    "decimal_parsing": "must be a number",
    "list_type": "must be a list",
    "dict_type": "must be a mapping of properties",
    "model_type": "must be a mapping of properties",
    "model_attributes_type": "must be a mapping of properties",
}


def describe_error(root: type[BaseModel], error: Mapping[str, Any]) -> Problem:
    """One pydantic error of a ``root`` model as a ``Problem`` naming what was given and what is
    allowed."""
    loc: tuple[Any, ...] = tuple(error.get("loc", ()))
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    given = _given(value)
    if kind == "extra_forbidden":
        message = _unknown_name(root, loc)
    elif kind == "missing":
        message = "required: this property must be set"
    elif kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", "")).replace(" or ", ", ")
        message = f"must be one of {expected}; got {given}"
    elif kind in _SIMPLE:
        message = f"{_SIMPLE[kind]}; got {given}"
    elif kind == "string_too_short":
        message = f"must not be empty; got {given}"
    elif kind == "string_too_long":
        message = f"must be at most {ctx.get('max_length')} characters; got {len(str(value))}"
    elif kind == "greater_than_equal":
        message = f"must be at least {ctx.get('ge')}; got {given}"
    elif kind == "greater_than":
        message = f"must be more than {ctx.get('gt')}; got {given}"
    elif kind == "less_than_equal":
        message = f"must be at most {ctx.get('le')}; got {given}"
    elif kind == "too_short":
        message = (
            f"must have at least {ctx.get('min_length')} item(s); "
            f"got {ctx.get('actual_length', 0) or 'none'}"
        )
    elif kind == "value_error":
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        if "got" not in message:
            message = f"{message}; got {given}"
    else:
        message = f"{error.get('msg', 'invalid')}; got {given}"
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
        message = f"invalid key {loc[-1]!r}: {message}" if loc else message
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return Problem(path or "(resource)", message)


# -- rules across fields ----------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A rule across fields: the input paths it reads, and what it finds wrong in them.

    ``find`` takes the values of ``reads``, in order, validated to their field types.
    """

    name: str
    reads: tuple[str, ...]
    find: Callable[..., Iterable[Problem]]


class RuleSet:
    """One kind's rules across fields, in the order they were registered.

    ``rule(*reads)`` registers the decorated function as a ``Rule`` reading those input paths of
    ``model``; a path that is no field of the model fails at import, not at preview.
    """

    def __init__(self, model: type[BaseModel]) -> None:
        self.model = model
        self._rules: list[Rule] = []

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def rule(self, *reads: str) -> Callable[[Callable[..., Iterable[Problem]]], Rule]:
        def register(find: Callable[..., Iterable[Problem]]) -> Rule:
            for path in reads:
                input_field(self.model, path)
            registered = Rule(find.__name__, reads, find)
            self._rules.append(registered)
            return registered

        return register
