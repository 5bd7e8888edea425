"""From a property path (``iteration.treatments[1].name``) back to its node in the file."""

from __future__ import annotations

import re

import yaml
from pydantic.alias_generators import to_snake

from .names import snake_text
from .reader import READ_AS


def child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
    """The node under ``part`` (a key, its snake_case form, or a list index)."""
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        candidates = (part, to_snake(part))
        found = None
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value in candidates:
                found = value_node  # the last one wins, as in the loaded data
        return found
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        return node.value[part] if 0 <= part < len(node.value) else None
    return None


def key_node(node: yaml.Node | None, name: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value in (name, to_snake(name)):
                return key_node
    return None


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def path_parts(path: str) -> list[str | int]:
    """``iteration.treatments[1].name`` -> ``["iteration", "treatments", 1, "name"]``.

    Flag keys may contain dots; they are matched back against the file by ``locate``.
    """
    return [int(index) if index else name for name, index in _PATH_PART.findall(path)]


def locate(
    node: yaml.Node | None, parts: list[str | int]
) -> tuple[yaml.Node | None, list[str | int]]:
    """The deepest node found along ``parts``, and the parts not found under it."""
    rest = list(parts)
    while rest and node is not None:
        nxt = child(node, rest[0])
        taken = 1
        if nxt is None and isinstance(rest[0], str):
            # A key containing dots (a flag key such as "web.checkout") spans several parts.
            for end in range(len(rest), 1, -1):
                if all(isinstance(p, str) for p in rest[:end]):
                    nxt = child(node, ".".join(str(p) for p in rest[:end]))
                    if nxt is not None:
                        taken = end
                        break
        if nxt is None:
            break
        node, rest = nxt, rest[taken:]
    return node, rest


def display(path: str) -> str:
    return snake_text(path)


def quote_hint(node: yaml.Node | None, message: str) -> str:
    """Suggest quoting a plain YAML scalar that YAML read as something other than a string."""
    if (
        isinstance(node, yaml.ScalarNode)
        and node.style is None
        and node.tag in READ_AS
        and "string" in message
    ):
        text = node.value if node.value else "~"
        return (
            f"{message} (YAML reads {text} as {READ_AS[node.tag]}: did you mean the string "
            f'{text!r}? quote it: "{text}")'
        )
    return message
