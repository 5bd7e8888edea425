"""What the native e2e tests share: finding the tools, a sandboxed Pulumi environment, the
emulator's HTTP API for changes made "outside Pulumi", and the expectations every language meets.

Tools are looked up in the repository's git-ignored ``.tools/bin`` (scripts/install-native-e2e.sh
fills it), then on PATH. A missing tool skips the test with a reason naming what to install,
or fails it under E2E_REQUIRED=1 (CI), where every tool must be there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import yaml

from launchdarkly_experiments.core.kinds.experiment.models import ExperimentSpec
from tests.support import fixture_ids
from tests.support.declarations import declaration
from tests.support.tools import missing

ROOT = Path(__file__).resolve().parents[3]
TOOLS_BIN = ROOT / ".tools" / "bin"
VENV_BIN = Path(sys.executable).parent
PLUGIN = "pulumi-resource-launchdarkly-experiments"
TOKEN = "native-e2e-token-5b1e"
TYPE = "launchdarkly-experiments:index:Experiment"
API_HEADERS = {"Authorization": TOKEN, "LD-API-Version": "beta"}
INSTALL_HINT = "run scripts/install-native-e2e.sh"


def tool(name: str) -> Path | None:
    for folder in (TOOLS_BIN, VENV_BIN):
        if (folder / name).exists():
            return folder / name
    found = shutil.which(name)
    return Path(found) if found else None


def require_tool(name: str, why: str) -> Path:
    path = tool(name)
    if path is None:
        missing(f"needs {name} ({why}); {INSTALL_HINT}")
    return path


def pulumi_cli() -> Path:
    return require_tool("pulumi", "the real Pulumi CLI, built from Go modules")


def yaml_program(tmp: Path, source: Path) -> Path:
    """A copy of the YAML program ``source`` in ``tmp``/program, once the YAML language host and
    the plugin are there."""
    require_tool("pulumi-language-yaml", "the YAML language host, built from pulumi-yaml")
    require_tool(PLUGIN, "this package's console script: pip install -e .")
    work = tmp / "program"
    work.mkdir()
    shutil.copy(source, work / "Pulumi.yaml")
    return work


def sandbox_env(tmp: Path, emulator_url: str) -> dict[str, str]:
    """Environment for the CLI: private home and state, plugin and hosts on PATH, no network."""
    home, state = tmp / "pulumi-home", tmp / "state"
    home.mkdir(exist_ok=True)
    state.mkdir(exist_ok=True)
    cli_dir = pulumi_cli().resolve().parent
    path = os.pathsep.join(
        [str(TOOLS_BIN), str(cli_dir), str(VENV_BIN), os.environ.get("PATH", "")]
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAUNCHDARKLY_", "PULUMI_"))}
    env.update(
        PATH=path,
        PULUMI_HOME=str(home),
        PULUMI_BACKEND_URL=f"file://{state}",
        PULUMI_CONFIG_PASSPHRASE="",
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        # The plugin reads the token from its environment: it is never in config or state.
        LAUNCHDARKLY_ACCESS_TOKEN=TOKEN,
        LAUNCHDARKLY_API_HOST=emulator_url,
    )
    return env


class Cli:
    """The real CLI on one stack (``dev``) of the program in ``cwd``."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd, self.env = cwd, env
        self.pulumi = str(pulumi_cli())

    def init_stack(self) -> None:
        subprocess.run(
            [self.pulumi, "stack", "init", "dev", "--non-interactive"],
            cwd=self.cwd,
            env=self.env,
            check=True,
            capture_output=True,
        )

    def configure(self, **values: str) -> None:
        """Set stack config in ``Pulumi.dev.yaml`` directly, as `pulumi config set` would
        (without a CLI start per value)."""
        stack_file = self.cwd / "Pulumi.dev.yaml"
        stack = yaml.safe_load(stack_file.read_text()) or {}
        stack.setdefault("config", {}).update(values)
        stack_file.write_text(yaml.safe_dump(stack))

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [self.pulumi, *args, "--non-interactive", "--stack", "dev", "--color", "never"],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if ok:
            assert done.returncode == 0, f"pulumi {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done


def experiment_url(emulator_url: str, key: str, project: str = "shop") -> str:
    return f"{emulator_url}/api/v2/projects/{project}/environments/dev/experiments/{key}"


def rename_outside_pulumi(emulator_url: str, key: str, name: str, project: str = "shop") -> None:
    """Drift: change the experiment's name through the API, as the LaunchDarkly UI would."""
    httpx.patch(
        experiment_url(emulator_url, key, project),
        headers={
            **API_HEADERS,
            "Content-Type": "application/json; domain-model=launchdarkly.semanticpatch",
        },
        json={
            "instructions": [
                {
                    "kind": "updateExperimentFields",
                    "value": {"name": {"operation": "update", "value": name}},
                }
            ]
        },
    ).raise_for_status()


def create_outside_pulumi(emulator_url: str, key: str) -> dict[str, Any]:
    """An experiment made without Pulumi (to be imported); returns its POST body."""
    spec = ExperimentSpec.model_validate(declaration(key=key, name=f"Made in the UI: {key}"))
    body = spec.body().wire()
    httpx.post(
        f"{emulator_url}/api/v2/projects/shop/environments/dev/experiments",
        headers=API_HEADERS,
        json=body,
    ).raise_for_status()
    return body


def live(emulator_url: str, key: str, project: str = "shop") -> dict[str, Any]:
    answer = httpx.get(experiment_url(emulator_url, key, project), headers=API_HEADERS)
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


def shows_change(text: str, prop: str, before: str, after: str) -> bool:
    """Does the CLI's diff display ``~ prop: "before" => "after"`` (padding aside)?"""
    pattern = rf'~ {re.escape(prop)}\s*: "{re.escape(before)}" => "{re.escape(after)}"'
    return re.search(pattern, text) is not None


def changed_leaves(text: str) -> set[tuple[str, str, str]]:
    """Every ``~ prop: before => after`` line of the CLI's diff, as written (strings quoted)."""
    return set(re.findall(r"~ (\w+)\s*: (.+?) => (.+?)\s*$", text, flags=re.MULTILINE))


SECRET_SIG = "4dabf18193072939515e22adb298388d"


class AutomationProgram:
    """An Automation API program (TypeScript or Go) driven by LD_* environment variables
    (the variation ids among them: LD_TOP_VARIATION, LD_BOTTOM_VARIATION).

    ``command`` runs the compiled program; it prints one JSON line with the command's stdout and
    the stack's outputs. The workspace is where the program's LocalWorkspace lives, so the CLI
    can read the same stack (``pulumi stack export``).
    """

    def __init__(
        self,
        command: list[str],
        tmp: Path,
        emulator_url: str,
        *,
        env: dict[str, str] | None = None,
        cli: Path | None = None,
    ) -> None:
        """``env`` and ``cli`` replace :func:`sandbox_env` and the repository's CLI
        (tests/e2e/test_install.py runs without this repository on PATH)."""
        self.command = command
        self.cli = cli or pulumi_cli()
        self.workspace = tmp / "workspace"
        self.workspace.mkdir()
        self.env = {
            **(sandbox_env(tmp, emulator_url) if env is None else env),
            "LD_PULUMI_ROOT": str(self.cli.resolve().parent.parent),
            "LD_WORK_DIR": str(self.workspace),
            "LD_TOP_VARIATION": fixture_ids.TOP,
            "LD_BOTTOM_VARIATION": fixture_ids.BOTTOM,
        }

    def run(self, action: str, **settings: str) -> dict[str, Any]:
        done = subprocess.run(
            self.command,
            env={**self.env, "LD_ACTION": action, **settings},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"{action}:\n{done.stdout}{done.stderr}"
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    def state(self) -> dict[str, Any]:
        """The stack's resources by name, from `pulumi stack export`."""
        exported = subprocess.run(
            [str(self.cli), "stack", "export", "--stack", "dev", "--non-interactive"],
            cwd=self.workspace,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        resources = json.loads(exported.stdout)["deployment"]["resources"]
        return {r["urn"].split("::")[-1]: r for r in resources}


def automation_scenario(program: AutomationProgram, emulator_url: str, key: str) -> None:
    """The lifecycle every Automation API program goes through (same steps as the YAML test).

    `pulumi import` the command needs the program's language host even with
    --generate-code=false (checked: "failed to load language plugin nodejs"), and only the YAML
    host exists here; these programs import with the `import` resource option instead, which
    takes the same path in the engine (Read with only the id, then Check and Diff against the
    declaration, which must match).
    """
    up = program.run("up")
    assert f"using {PLUGIN} from $PATH" in up["stdout"]
    assert set(up["outputs"]["treatmentIds"]) == {"Top", "Bottom"}
    assert live(emulator_url, key)["description"] == "Launch plan: confidential"
    resource = program.state()["checkout"]
    # A secret input gives a secret output; no provider blob in the resource's state.
    assert resource["outputs"]["description"][SECRET_SIG]
    assert "Launch plan" not in json.dumps(resource)
    assert not any(k.startswith("__") for k in resource["outputs"])

    program.run("preview-no-changes")

    edited = {"LD_NAME": "Checkout button v2", "LD_TOP": "40"}
    preview = program.run("preview", **edited)["stdout"]
    assert shows_change(preview, "name", "Checkout button placement", "Checkout button v2")
    assert shows_change(preview, "allocationPercent", "50", "40")
    assert "hypothesis" not in preview and "tags" not in preview
    program.run("up", **edited)
    assert live(emulator_url, key)["name"] == "Checkout button v2"
    program.run("preview-no-changes", **edited)

    rename_outside_pulumi(emulator_url, key, "Renamed in the UI")
    program.run("refresh", **edited)
    assert program.state()["checkout"]["outputs"]["name"] == "Renamed in the UI"
    undo = program.run("preview", **edited)["stdout"]
    assert shows_change(undo, "name", "Renamed in the UI", "Checkout button v2")
    program.run("up", **edited)

    create_outside_pulumi(emulator_url, "made-outside")
    imported = program.run("up", LD_OUTSIDE="import", **edited)["stdout"]
    assert "imported" in imported
    program.run("preview-no-changes", LD_OUTSIDE="declared", **edited)

    program.run("destroy", LD_OUTSIDE="declared", **edited)
    for name in (key, "made-outside"):
        assert live(emulator_url, name)["archivedDate"], name
