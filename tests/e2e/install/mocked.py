"""Runs registry.py (docs/_index.md's Python example) under Pulumi's mocks, with the installed
SDK: its argument and type names must be the SDK's. tests/e2e/test_install.py runs it in the fresh
virtualenv."""

from __future__ import annotations

import runpy

import pulumi


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        outputs = dict(args.inputs)
        outputs["currentIteration"] = {
            "id": "iteration",
            "status": "running",
            "createdAt": 0,
            "treatmentIds": {"Bottom": "b", "Top": "t"},
        }
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        return {}


pulumi.runtime.set_mocks(Mocks(), preview=False)
runpy.run_path("registry.py")
