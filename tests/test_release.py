"""What a release is made of besides the artifacts: the workflow, the changelog, the registry docs
and the version each of them names (tests/e2e/test_install.py builds and installs the artifacts)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from launchdarkly_experiments.config import SETTINGS
from launchdarkly_experiments.native.schema import PLUGIN_DOWNLOAD_URL
from launchdarkly_experiments.version import VERSION
from tests.native.test_readme_native import check_failures

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
DOCS = ROOT / "docs"


def front_matter(path: Path) -> dict[str, str]:
    match = re.match(r"---\n(.*?)\n---\n", path.read_text(), re.S)
    assert match is not None, f"{path.name} starts with front matter"
    data: dict[str, str] = yaml.safe_load(match.group(1))
    return data


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


def test_registry_docs_are_package_pages() -> None:
    for name in ("_index.md", "installation-configuration.md"):
        matter = front_matter(DOCS / name)
        assert matter["layout"] == "package"
        assert matter["title"] and matter["meta_desc"]


def test_registry_docs_list_every_setting_and_install_this_version() -> None:
    page = (DOCS / "installation-configuration.md").read_text()
    for setting in SETTINGS:
        assert f"`{setting.key_in('launchdarkly-experiments')}`" in page
        assert f"`{setting.env_var}`" in page
    assert (
        f"pulumi plugin install resource launchdarkly-experiments {VERSION} \\\n"
        f"    --server {PLUGIN_DOWNLOAD_URL}"
    ) in page


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


def test_registry_yaml_example_passes_the_plugins_check() -> None:
    """(The TypeScript, Go and Python examples are compiled against the installed packages by
    tests/e2e/test_install.py.)"""
    example = re.search(r"```yaml\n(name: .*?)```", (DOCS / "_index.md").read_text(), re.S)
    assert example is not None
    assert check_failures(example.group(1)) == []
