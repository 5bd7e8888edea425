"""The README's native examples: the YAML one passes the plugin's check as it is written (the
TypeScript one is type-checked by tests/e2e/native/test_typescript.py)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import yaml
from pulumi.provider.experimental.provider import CheckRequest

from launchdarkly_experiments.native.provider import NativeProvider
from launchdarkly_experiments.native.schema import EXPERIMENT_TOKEN
from launchdarkly_experiments.native.values import property_map

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def readme_block(heading: str, language: str) -> str:
    match = re.search(rf"### {heading}\n\n```{language}\n(.*?)```", README, re.S)
    assert match is not None, f"the README has a {heading} example"
    return match.group(1)


def check_failures(yaml_program: str) -> list[Any]:
    """The plugin's check of the ``checkout`` resource of a YAML program (no token: offline)."""
    resource = yaml.safe_load(yaml_program)["resources"]["checkout"]
    assert resource["type"] == EXPERIMENT_TOKEN
    urn = f"urn:pulumi:dev::readme::{EXPERIMENT_TOKEN}::checkout"
    request = CheckRequest(urn, {}, property_map(resource["properties"]), b"")
    loop = asyncio.new_event_loop()
    try:
        result = loop.run_until_complete(NativeProvider(environ={}).check(request))
    finally:
        loop.close()
    return list(result.failures)


def test_yaml_example_passes_check() -> None:
    assert check_failures(readme_block("YAML", "yaml")) == []
