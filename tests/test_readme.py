"""The README's promises: the two commands exist, CI runs the test one, the first example works."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from launchdarkly_experiments.provider import ExperimentProvider
from ld_emulator import Emulator
from tests.support import fixture_ids
from tests.test_examples import run_program

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_the_two_commands_exist_and_ci_runs_the_test_command() -> None:
    assert "scripts/up.sh" in README and "scripts/test.sh" in README
    assert (ROOT / "scripts" / "up.sh").is_file() and (ROOT / "scripts" / "test.sh").is_file()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/test.sh" in ci


@pytest.mark.parametrize("token", ["member", "service"])
def test_first_example_registers_and_is_accepted_by_the_provider(
    tmp_path: Path, token: str
) -> None:
    """As written, with a member token; and unchanged with a service token (what CI holds),
    given the stack's maintainer as the README says."""
    block = re.search(r"## A first experiment\n\n```python\n(.*?)```", README, re.S)
    assert block is not None, "the README has a first example"
    program = tmp_path / "__main__.py"
    program.write_text(block.group(1))
    run = run_program(program, project="readme")
    inputs = run.only()
    assert inputs["key"] == "checkout-button" and inputs["state"] == "running"
    assert "treatments" in run.exports

    declared = {k: v for k, v in inputs.items() if k != "__provider"}
    config = {"launchdarkly:accessToken": "readme-token"}
    if token == "service":
        config["launchdarkly:maintainerId"] = fixture_ids.MEMBER
    with Emulator(
        tokens=("member-token",) if token == "service" else ("readme-token",),
        service_tokens=("readme-token",) if token == "service" else (),
    ) as emulator:
        provider = ExperimentProvider()
        provider.configure(
            ConfigureRequest(Config({**config, "launchdarkly:apiHost": emulator.url}, "readme"))
        )
        checked = provider.check({}, declared)
        assert checked.failures == []
        provider.create(dict(checked.inputs))
        stored = emulator.experiment("shop", "dev", "checkout-button")
        assert stored is not None
        assert stored["currentIteration"]["status"] == "running"
        assert stored["_maintainerId"] == fixture_ids.MEMBER
