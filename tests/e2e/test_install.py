"""E2E: the release's artifacts, installed the README's way on a machine that has nothing else.

``scripts/build-artifacts.sh`` builds ``dist/``. Then, in a fresh directory with an empty
``PULUMI_HOME``, a Pulumi CLI and YAML host of its own (copies) and neither this repository on
``PATH`` nor on ``PYTHONPATH``, the README's "Install" blocks run verbatim with the release's files
in the current directory: the plugin goes into the plugin cache, the npm package and the wheels
into fresh programs, and the Go module is fetched from ``dist/goproxy`` (a file-based GOPROXY
standing in for the public proxy and the ``sdk/vX.Y.Z`` tag) into an empty module cache. A YAML
program (the README's, plain ``pulumi``), a TypeScript, a Go and a Python program (Automation API
inline programs: the language hosts are missing here) each go through up, preview with no changes
and destroy against the emulator. The engine takes the plugin from its cache (no "from $PATH"
warning) and the state names its version.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from launchdarkly_experiments.version import VERSION
from ld_emulator import Emulator
from tests.e2e.native.support import TOKEN, AutomationProgram, live, tool

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]
ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
README = (ROOT / "README.md").read_text()
REGISTRY_PAGE = (ROOT / "docs" / "_index.md").read_text()
NATIVE = ROOT / "tests" / "e2e" / "native"
PLUGIN = "pulumi-resource-launchdarkly-experiments"
PROVIDER_TYPE = "pulumi:providers:launchdarkly-experiments"
NPM_PACKAGE = "@pulumi-launchdarkly-experiments/launchdarkly-experiments"
NPM_TARBALL = f"pulumi-launchdarkly-experiments-launchdarkly-experiments-{VERSION}.tgz"
SDK_WHEEL = f"pulumi_launchdarkly_experiments_sdk-{VERSION}-py3-none-any.whl"
PROVIDER_WHEEL = f"pulumi_launchdarkly_experiments-{VERSION}-py3-none-any.whl"
FROM_PATH = f"using {PLUGIN} from $PATH"


def host_platform() -> str:
    system = {"Linux": "linux", "Darwin": "darwin"}[platform.system()]
    machine = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
    return f"{system}-{machine[platform.machine()]}"


def readme_block(heading: str, language: str) -> str:
    """The first ``language`` code block under the README heading ``### heading``."""
    match = re.search(
        rf"\n### {re.escape(heading)}\n(?:(?!\n### ).)*?```{language}\n(.*?)```", README, re.S
    )
    assert match is not None, f"the README has a {language} block under '### {heading}'"
    return match.group(1)


def registry_example(language: str) -> str:
    """The docs/_index.md example (the Pulumi Registry's page) in this language."""
    match = re.search(rf"```{language}\n(.*?)```", REGISTRY_PAGE, re.S)
    assert match is not None, f"docs/_index.md has a {language} example"
    return match.group(1)


def clean_path() -> list[str]:
    """PATH without this repository and without any Pulumi CLI or plugin of its own."""
    kept = []
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        folder = Path(entry)
        if not entry or folder.resolve().is_relative_to(ROOT):
            continue
        if any((folder / name).exists() for name in ("pulumi", PLUGIN, "pulumi-language-yaml")):
            continue
        kept.append(entry)
    return kept


def go_env(name: str) -> str:
    return subprocess.run(
        ["go", "env", name], check=True, capture_output=True, text=True
    ).stdout.strip()


@dataclass
class Machine:
    """The fresh machine: its folder, its own Pulumi CLI and the environment every command gets."""

    root: Path
    cli: Path
    env: dict[str, str]

    def folder(self, name: str, *artifacts: str) -> Path:
        """A new folder holding copies of these release files (as if downloaded there)."""
        folder = self.root / name
        folder.mkdir()
        for artifact in artifacts:
            shutil.copy(DIST / artifact, folder / artifact)
        return folder

    def run(self, command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            command,
            cwd=cwd,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, f"{command}:\n{done.stdout}{done.stderr}"
        return done

    def install(self, heading: str, cwd: Path) -> None:
        """Run the README's block under ``### Install <heading>`` as it is written."""
        self.run(
            ["bash", "-euo", "pipefail", "-c", readme_block(f"Install {heading}", "bash")], cwd
        )

    def with_emulator(self, url: str) -> dict[str, str]:
        return {**self.env, "LAUNCHDARKLY_ACCESS_TOKEN": TOKEN, "LAUNCHDARKLY_API_HOST": url}

    def lifecycle(self, command: list[str], work: Path, key: str) -> dict[str, Any]:
        """An Automation API program (LD_ACTION, as in tests/e2e/native) against its own
        emulator: up, preview with no changes, destroy. Returns the outputs of up."""
        with Emulator(tokens=(TOKEN,)) as emulator:
            program = AutomationProgram(
                command, work, emulator.url, env=self.with_emulator(emulator.url), cli=self.cli
            )
            return automation_lifecycle(program, emulator.url, key)


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Machine]:
    cli, yaml_host = tool("pulumi"), tool("pulumi-language-yaml")
    if cli is None or yaml_host is None:
        pytest.skip("needs the Pulumi CLI and its YAML host: scripts/install-native-e2e.sh")
    built = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build-artifacts.sh")],
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]

    root = tmp_path_factory.mktemp("fresh-machine")
    bin_dir = root / "pulumi" / "bin"
    bin_dir.mkdir(parents=True)
    for binary in (cli, yaml_host):
        shutil.copy(binary.resolve(), bin_dir / binary.name)
    home = root / "pulumi-home"
    home.mkdir()
    (root / "state").mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PULUMI_", "LAUNCHDARKLY_", "PEX_", "VIRTUAL_ENV", "PYTHON"))
    }
    env.update(
        PATH=os.pathsep.join([str(bin_dir), *clean_path()]),
        PULUMI_HOME=str(home),
        PULUMI_BACKEND_URL=f"file://{root / 'state'}",
        PULUMI_CONFIG_PASSPHRASE="",
        PULUMI_SKIP_UPDATE_CHECK="true",
        # The plugin's first start lays it out here: a cold start, as on a new machine.
        PEX_ROOT=str(root / "pex-root"),
        # The Go SDK as the public proxy will serve it once sdk/v<version> is tagged, from the
        # release's file-based proxy; every other module from what this machine already has,
        # then the usual proxy. An empty module cache, so the SDK is really fetched.
        GOPROXY=",".join(
            [
                f"file://{DIST / 'goproxy'}",
                f"file://{go_env('GOMODCACHE')}/cache/download",
                go_env("GOPROXY"),
            ]
        ),
        GONOSUMDB="github.com/pulumi-launchdarkly-experiments",
        GOMODCACHE=str(root / "go-modules"),
        GOFLAGS="-modcacherw",
        npm_config_audit="false",
        npm_config_fund="false",
        npm_config_update_notifier="false",
        npm_config_prefer_offline="true",
    )
    machine = Machine(root, bin_dir / "pulumi", env)

    downloads = machine.folder("downloads", f"{PLUGIN}-v{VERSION}-{host_platform()}.tar.gz")
    machine.install("the plugin", downloads)
    installed = home / "plugins" / f"resource-launchdarkly-experiments-v{VERSION}" / PLUGIN
    assert installed.is_file()
    yield machine


def providers(
    cli: Path, cwd: Path, env: dict[str, str], stack: str = "dev"
) -> list[dict[str, Any]]:
    """This package's provider resources in the stack's state (`pulumi stack export`)."""
    exported = subprocess.run(
        [str(cli), "stack", "export", "--stack", stack, "--non-interactive"],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    resources = json.loads(exported.stdout)["deployment"]["resources"]
    return [r for r in resources if r["type"] == PROVIDER_TYPE]


def assert_pinned(found: list[dict[str, Any]]) -> None:
    """Every provider of the package names the installed plugin's version in the state."""
    assert found, "no launchdarkly-experiments provider in the state"
    for provider in found:
        assert provider["inputs"]["version"] == VERSION, provider
        assert provider["outputs"]["version"] == VERSION, provider


def automation_lifecycle(program: AutomationProgram, emulator_url: str, key: str) -> dict[str, Any]:
    """Up, preview with no changes, destroy; returns the outputs of up."""
    up = program.run("up")
    assert FROM_PATH not in up["stdout"]
    assert set(up["outputs"]["treatmentIds"]) == {"Top", "Bottom"}
    assert live(emulator_url, key)["name"] == "Checkout button placement"
    assert_pinned(providers(program.cli, program.workspace, program.env))
    program.run("preview-no-changes")
    program.run("destroy")
    assert live(emulator_url, key)["archivedDate"]
    outputs: dict[str, Any] = up["outputs"]
    return outputs


def test_yaml_program_with_only_the_plugin(machine: Machine) -> None:
    work = machine.folder("yaml")
    # The README's YAML example as it is written (pinned to this version), pointed at the emulator.
    (work / "Pulumi.yaml").write_text(readme_block("YAML", "yaml"))
    with Emulator(tokens=(TOKEN,)) as emulator:
        env = machine.with_emulator(emulator.url)

        def pulumi(*args: str) -> str:
            done = machine.run(
                [str(machine.cli), *args, "--non-interactive", "--stack", "dev"], work, **env
            )
            assert FROM_PATH not in done.stdout + done.stderr
            return done.stdout

        machine.run([str(machine.cli), "stack", "init", "dev", "--non-interactive"], work, **env)
        pulumi("config", "set", "launchdarkly-experiments:apiHost", emulator.url)
        pulumi("up", "--yes")
        assert live(emulator.url, "checkout-button")["currentIteration"]["status"] == "running"
        found = providers(machine.cli, work, env)
        assert_pinned(found)
        # The default provider's name carries the version (and the download URL).
        assert len(found) == 1
        assert found[0]["urn"].split("::")[-1].startswith(f"default_{VERSION.replace('.', '_')}_")
        pulumi("preview", "--expect-no-changes")
        pulumi("destroy", "--yes")
        assert live(emulator.url, "checkout-button")["archivedDate"]


def test_typescript_program_with_the_npm_package(machine: Machine) -> None:
    if shutil.which("npm", path=machine.env["PATH"]) is None:
        pytest.skip("needs Node.js 18+ with npm")
    work = machine.folder("typescript", NPM_TARBALL)
    machine.install("the TypeScript SDK", work)
    # The compiler is the program's own business, not the SDK's.
    machine.run(["npm", "install", "--no-save", "typescript@5.9.3", "@types/node@20"], work)
    # tests/e2e/native's program, importing the SDK by its package name, and the README's example.
    program = (NATIVE / "typescript" / "program.ts").read_text()
    assert 'from "./launchdarkly-experiments"' in program
    (work / "program.ts").write_text(
        program.replace('from "./launchdarkly-experiments"', f'from "{NPM_PACKAGE}"')
    )
    (work / "readme.ts").write_text(readme_block("TypeScript", "typescript"))
    (work / "registry.ts").write_text(registry_example("typescript"))
    tsconfig = json.loads((NATIVE / "typescript" / "tsconfig.json").read_text())
    tsconfig["files"].append("registry.ts")
    (work / "tsconfig.json").write_text(json.dumps(tsconfig))
    machine.run([str(work / "node_modules" / ".bin" / "tsc"), "-p", str(work)], work)
    machine.lifecycle(["node", str(work / "program.js")], work, "native-ts")


def test_go_program_with_the_fetched_module(machine: Machine) -> None:
    if shutil.which("go", path=machine.env["PATH"]) is None:
        pytest.skip("needs Go 1.26+")
    work = machine.folder("go")
    machine.install("the Go SDK", work)
    fetched = machine.root / "go-modules" / "cache" / "download" / "github.com"
    assert (fetched / "pulumi-launchdarkly-experiments").is_dir()
    shutil.copy(NATIVE / "go" / "main.go", work / "main.go")
    (work / "registry").mkdir()
    (work / "registry" / "main.go").write_text(registry_example("go"))
    machine.run(["go", "mod", "tidy"], work)
    # -trimpath: the module cache is new each run; without paths in them, compiled packages
    # come from Go's build cache after the first run.
    machine.run(["go", "build", "-trimpath", "-o", "program", "."], work)
    machine.run(["go", "build", "-trimpath", "-o", os.devnull, "./registry"], work)
    machine.lifecycle([str(work / "program")], work, "native-go")


def test_python_program_with_the_wheels(machine: Machine) -> None:
    work = machine.folder("python", SDK_WHEEL, PROVIDER_WHEEL)
    machine.install("the Python SDK", work)
    machine.install("the dynamic resource (Python)", work)
    python = work / "venv" / "bin" / "python"
    shutil.copy(ROOT / "tests" / "e2e" / "install" / "program.py", work / "program.py")
    dynamic = machine.run(
        [
            str(python),
            "-c",
            "import launchdarkly_experiments, importlib.metadata as m; "
            "print(m.version('pulumi-launchdarkly-experiments'))",
        ],
        work,
    )
    assert dynamic.stdout.strip() == VERSION
    # The registry page's example, against the installed SDK under Pulumi's mocks.
    (work / "registry.py").write_text(registry_example("python"))
    machine.run([str(python), str(ROOT / "tests" / "e2e" / "install" / "mocked.py")], work)
    outputs = machine.lifecycle([str(python), str(work / "program.py")], work, "installed-python")
    assert outputs["sdkVersion"] == VERSION


def interpreters() -> dict[str, Path]:
    """The CPython 3.11+ interpreters this machine has, by version."""
    found: dict[str, Path] = {}
    candidates = [Path(entry) for entry in clean_path()]
    candidates += sorted((Path.home() / ".pyenv" / "versions").glob("3.*/bin"))
    for folder in candidates:
        for minor in range(11, 15):
            python = folder / f"python3.{minor}"
            if f"3.{minor}" in found or not python.is_file():
                continue
            # A version manager's shim may stand for an interpreter it does not select.
            answer = subprocess.run(
                [str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
            )
            if answer.returncode == 0 and answer.stdout.strip() == f"3.{minor}":
                found[f"3.{minor}"] = python
    return found


def test_the_plugin_runs_on_every_python_here(machine: Machine) -> None:
    """The zipapp carries the platform wheels of CPython 3.11 to 3.14: each interpreter found
    here imports the plugin (pydantic-core, grpcio) and reads the version from its metadata."""
    plugin = (
        Path(machine.env["PULUMI_HOME"])
        / "plugins"
        / f"resource-launchdarkly-experiments-v{VERSION}"
        / PLUGIN
    )
    found = interpreters()
    assert "3.11" in found, found
    for version, python in found.items():
        done = machine.run(
            [
                str(plugin),
                "-c",
                "import sys, grpc, pydantic_core, launchdarkly_experiments.native.plugin; "
                "from launchdarkly_experiments.version import VERSION; "
                "print('%d.%d' % sys.version_info[:2], VERSION)",
            ],
            machine.root,
            PEX_PYTHON=str(python),
            PEX_INTERPRETER="1",
        )
        assert done.stdout.split() == [version, VERSION]


def test_publishing_without_tokens_checks_and_skips(machine: Machine) -> None:
    """scripts/publish.sh (the release workflow's last step) on the artifacts just built: twine
    check, npm publish --dry-run, the Go tag; every upload skipped for want of its token."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYPI_TOKEN", "NPM_TOKEN", "PUSH_GO_TAG")
    }
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "publish.sh")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for line in (
        "PyPI: skipped the upload (PYPI_TOKEN is not set)",
        "npm: skipped the upload (NPM_TOKEN is not set)",
        f"Go: skipped pushing sdk/v{VERSION} (PUSH_GO_TAG is not 1)",
    ):
        assert line in done.stdout
    assert f"+ {NPM_PACKAGE}@{VERSION}" in done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2  # twine check, both wheels
