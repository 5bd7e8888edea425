"""One resource's life as the engine drives it: check, diff, create/update, read, delete."""

from __future__ import annotations

from typing import Any

from tests.support.engine import DiffOutcome, ProviderHost, normalize_numbers


class Stack:
    """One resource's state as the engine keeps it between operations."""

    def __init__(self, host: ProviderHost, name: str = "exp") -> None:
        self.host, self.name = host, name
        self.id = ""
        self.inputs: dict[str, Any] = {}
        self.outputs: dict[str, Any] = {}

    def preview(self, declaration: dict[str, Any]) -> tuple[dict[str, Any], DiffOutcome | None]:
        news, failures = self.host.check(self.name, self.inputs, declaration)
        assert failures == [], failures
        if not self.id:
            return news, None
        outcome = self.host.diff(
            self.id, self.name, olds=self.outputs, news=news, old_inputs=self.inputs
        )
        return news, outcome

    def changes(self, declaration: dict[str, Any]) -> str:
        _, outcome = self.preview(declaration)
        assert outcome is not None
        return outcome.changes

    def up(self, declaration: dict[str, Any]) -> dict[str, Any]:
        news, outcome = self.preview(declaration)
        if outcome is None:
            self.id, outputs = self.host.create(self.name, news)
        else:
            assert outcome.replaces == []
            if outcome.changes == "none":
                return self.outputs
            outputs = self.host.update(
                self.id, self.name, olds=self.outputs, news=news, old_inputs=self.inputs
            )
        self.inputs, self.outputs = news, normalize_numbers(outputs)
        return self.outputs

    def refresh(self) -> bool:
        """``pulumi refresh``: False when the provider reports the experiment gone."""
        id_, outputs, inputs = self.host.read(
            self.id, self.name, outputs=self.outputs, inputs=self.inputs
        )
        if not id_:
            return False
        assert inputs is not None
        self.outputs, self.inputs = normalize_numbers(outputs), normalize_numbers(inputs)
        return True

    def destroy(self) -> None:
        self.host.delete(self.id, self.name, outputs=self.outputs, old_inputs=self.inputs)
        self.id, self.inputs, self.outputs = "", {}, {}
