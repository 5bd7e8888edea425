"""Reading the file: YAML or JSON into plain data, keeping YAML's node tree for positions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ..errors import Location, Problem

BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
MERGE_TAG = "tag:yaml.org,2002:merge"
READ_AS = {BOOL_TAG: "a boolean", NULL_TAG: "null", INT_TAG: "a number", FLOAT_TAG: "a number"}


class Reader:
    """Parses the file into plain data and keeps the YAML node tree for positions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.root: yaml.Node | None = None
        self.is_json = path.suffix.lower() == ".json"

    def problem(self, node: yaml.Node | None, where: str, message: str) -> None:
        line = column = None
        if node is not None:
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
        self.problems.append(Problem(where, message, Location(str(self.path), line, column)))

    def read(self) -> Any:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            self.problem(None, "", f"cannot read the experiments file: {exc.strerror}")
            return None
        except UnicodeDecodeError as exc:
            self.problem(None, "", f"not UTF-8 text: {exc.reason} at byte {exc.start}")
            return None
        if self.is_json:
            return self._read_json(text)
        return self._read_yaml(text)

    def _read_json(self, text: str) -> Any:
        def refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            result: dict[str, Any] = {}
            for name, value in pairs:
                if name in result:
                    self.problem(None, "", f"duplicate key {name!r} in one object")
                result[name] = value
            return result

        try:
            data = json.loads(text, object_pairs_hook=refuse_duplicates)
        except json.JSONDecodeError as exc:
            self.problems.append(
                Problem(
                    "",
                    f"not valid JSON: {exc.msg}",
                    Location(str(self.path), exc.lineno, exc.colno),
                )
            )
            return None
        # Positions only: JSON is YAML, so the node tree gives line numbers for the problems.
        try:
            self.root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            self.root = None
        if self.root is not None:
            self.problems = [p for p in self.problems if "duplicate key" not in p.message]
            self._check_duplicates(self.root, "")
        return data

    def _read_yaml(self, text: str) -> Any:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return None
            self._check_duplicates(root, "")
            self.root = root
            return loader.construct_document(root)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            context = getattr(exc, "context", None)
            if context:
                problem = f"{context}: {problem}"
            line = mark.line + 1 if mark is not None else None
            column = mark.column + 1 if mark is not None else None
            self.problems.append(
                Problem("", f"not valid YAML: {problem}", Location(str(self.path), line, column))
            )
            return None
        finally:
            loader.dispose()

    def _check_duplicates(self, node: yaml.Node, where: str, seen: set[int] | None = None) -> None:
        seen = set() if seen is None else seen
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], yaml.Node] = {}
            for key_node, value_node in node.value:
                if key_node.tag == MERGE_TAG:
                    continue
                name = str(key_node.value)
                place = f"{where}.{name}" if where else name
                ident = (key_node.tag, name)
                if ident in first:
                    earlier = first[ident].start_mark.line + 1
                    self.problem(
                        key_node,
                        place,
                        f"duplicate key {name!r} (first at line {earlier}); YAML would silently "
                        "keep only the last one: remove or rename one of them",
                    )
                else:
                    first[ident] = key_node
                self._check_duplicates(value_node, place, seen)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._check_duplicates(item, f"{where}[{index}]", seen)
