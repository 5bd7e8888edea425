"""What a release is made of besides the artifacts: the workflow, the changelog and the version
they name (tests/e2e/test_install.py builds and installs the artifacts)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from launchdarkly_experiments.version import VERSION

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


@pytest.mark.skipif(shutil.which("go") is None, reason="needs Go to build actionlint")
@pytest.mark.timeout(600)
def test_release_workflow_passes_actionlint(tmp_path: Path) -> None:
    actionlint = tmp_path / "actionlint"
    subprocess.run(
        ["go", "build", "-o", str(actionlint), "github.com/rhysd/actionlint/cmd/actionlint"],
        cwd=ROOT / "tools" / "actionlint",
        check=True,
        capture_output=True,
        timeout=600,
    )
    linted = subprocess.run(
        [str(actionlint), "-no-color", str(WORKFLOW)], capture_output=True, text=True
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_release_workflow_runs_the_build_and_the_publish_scripts() -> None:
    text = WORKFLOW.read_text()
    workflow = yaml.safe_load(text)
    assert workflow[True]["push"]["tags"] == ["v*.*.*"]  # YAML 1.1 reads the key `on` as True
    assert "bash .ci/run" in text and "bash scripts/build-artifacts.sh" in text
    assert "bash scripts/publish.sh" in text
    publish = workflow["jobs"]["publish"]["steps"][-1]["env"]
    assert set(publish) == {"PYPI_TOKEN", "NPM_TOKEN", "PUSH_GO_TAG"}


def test_changelog_has_this_versions_section() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[{re.escape(VERSION)}\]", changelog, re.M), (
        f"CHANGELOG.md needs a '## [{VERSION}]' section (the release's notes)"
    )


@pytest.mark.parametrize(
    "path", ["README.md", "docs/_index.md", "docs/installation-configuration.md"]
)
def test_every_pinned_version_is_this_one(path: str) -> None:
    text = (ROOT / path).read_text()
    # `version: X` (YAML), `install resource launchdarkly-experiments X`, `sdk@vX`, and the
    # release's file names (`...-vX-linux-amd64.tar.gz`, `...-X.tgz`, `..._sdk-X-py3-none-any.whl`).
    pins = re.findall(
        r"(?:version: |launchdarkly-experiments |sdk@v|experiments-v|experiments-|sdk-)"
        r"(\d+\.\d+\.\d+)\b",
        text,
    )
    assert pins, f"{path} pins no version"
    assert set(pins) == {VERSION}, f"{path} names {set(pins)}; the version is {VERSION}"
