"""Fixtures of the end-to-end suite: the real Pulumi CLI, a fresh backend and an emulator each."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ld_emulator import Emulator
from tests.e2e.support import REPO_ROOT, TOKEN, E2EProject, cli_missing_reason, root_project
from tests.support.tools import missing

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _real_cli() -> None:
    """Skip without the CLI, except where it must be there (CI sets E2E_REQUIRED=1)."""
    reason = cli_missing_reason()
    if reason is not None:
        missing(reason)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(tokens=(TOKEN,)) as emu:
        yield emu


@pytest.fixture
def root(tmp_path: Path, emulator: Emulator) -> E2EProject:
    """The repository's root program (experiments.yaml) with a dev stack on this emulator."""
    project = E2EProject.create(root_project(tmp_path / "project"), tmp_path, emulator)
    project.init_stack("dev")
    return project


def project_from(example: str, tmp_path: Path, emulator: Emulator) -> E2EProject:
    """An example folder (examples/<name>) as a project with a dev stack on this emulator."""
    target = tmp_path / "project"
    shutil.copytree(
        REPO_ROOT / "examples" / example, target, ignore=shutil.ignore_patterns("__pycache__")
    )
    project = E2EProject.create(target, tmp_path, emulator)
    project.init_stack("dev")
    return project
