"""The shape every semantic patch shares (``Content-Type: application/json;
domain-model=launchdarkly.semanticpatch``): a body of the operation's schema with a non-empty
``instructions`` array, each instruction a ``kind`` and that kind's parameters.

Unknown body fields, unknown kinds and unknown parameters are a 400 naming them; the
instructions themselves are applied by each resource's module (experiments, flags, holdouts,
layers), and an error they raise names the instruction it came from (:func:`located`).
"""

from __future__ import annotations

from typing import Any

from . import spec
from .errors import ApiError, invalid, shorten

__all__ = ["check_kinds", "checked_instructions", "located", "string_param"]

JSON = dict[str, Any]


def checked_instructions(
    body: Any, schema_name: str, params: dict[str, frozenset[str]]
) -> list[JSON]:
    """The body's instructions, once the body matches ``schema_name`` (unknown fields refused)
    and every instruction is a known kind with known parameters."""
    problem = spec.validation_problem(schema_name, body)
    if problem is not None:
        raise invalid(problem.message)
    instructions = body["instructions"]
    if not instructions:
        raise invalid("field 'instructions' must contain at least one instruction")
    check_kinds(instructions, params)
    return list(instructions)


def check_kinds(
    instructions: list[Any],
    params: dict[str, frozenset[str]],
    *,
    unknown: str = "unknown instruction kind",
    known: str = "supported",
) -> None:
    """400 for the first instruction that is no object with a string ``kind``, whose kind is
    not in ``params``, or that has a parameter its kind does not take. ``unknown`` and
    ``known`` word the message for an unknown kind."""
    for index, instr in enumerate(instructions):
        where = f"instructions[{index}]"
        if not isinstance(instr, dict) or not isinstance(instr.get("kind"), str):
            raise invalid(f"field '{where}.kind' is required and must be a string")
        kind = instr["kind"]
        if kind not in params:
            raise invalid(
                f"{where}: {unknown} '{shorten(kind, 80)}' ({known}: {', '.join(params)})"
            )
        extra = sorted(set(instr) - {"kind"} - params[kind])
        if extra:
            raise invalid(f"{where}: unknown parameter '{shorten(extra[0], 80)}' for kind '{kind}'")


def located(exc: ApiError, index: int, kind: str) -> ApiError:
    """``exc`` with its message prefixed by the instruction it came from (400s only)."""
    if exc.status == 400 and not exc.message.startswith("instructions["):
        exc.message = f"instructions[{index}] ({kind}): {exc.message}"
    return exc


def string_param(instr: JSON, name: str, *, non_empty: bool = False) -> str:
    """A required string parameter of an instruction."""
    value = instr.get(name)
    if not isinstance(value, str):
        raise invalid(f"parameter '{name}' is required and must be a string")
    if non_empty and not value.strip():
        raise invalid(f"parameter '{name}' must not be empty")
    return value
