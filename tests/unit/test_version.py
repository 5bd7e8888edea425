"""One version, written once (pyproject's ``[project] version``), said the same everywhere."""

from __future__ import annotations

import tomllib
from pathlib import Path

from launchdarkly_experiments.http.client import USER_AGENT
from launchdarkly_experiments.native.schema import package_schema
from launchdarkly_experiments.version import DISTRIBUTION, VERSION

ROOT = Path(__file__).resolve().parents[2]


def test_the_installed_version_is_pyprojects() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == DISTRIBUTION
    assert project["version"] == VERSION, (
        "the installed metadata is stale: reinstall (pip install -e .) after a version change"
    )


def test_schema_and_user_agent_carry_it() -> None:
    assert package_schema()["version"] == VERSION
    assert f"pulumi-launchdarkly-experiments/{VERSION}" == USER_AGENT
