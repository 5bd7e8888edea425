"""The real Pulumi CLI against the emulator, for end-to-end tests.

Every test gets a copy of a Pulumi project in a temporary folder, a fresh local backend
(``file://``), a fresh ``PULUMI_HOME`` and its own emulator, so tests share nothing and the
repository's files are never written (``pulumi stack init`` adds a salt to the stack file).

Two ways to run the CLI, both the real binary:

* :meth:`E2EProject.cli` runs a command as a user types it (``stack init``, ``config set``,
  ``stack export``, ``import``...): these need no language host;
* :meth:`E2EProject.up`, ``preview``, ``refresh``, ``destroy`` run the program. The Go module
  proxy here does not serve Pulumi's Python language host, so the program runs as an
  Automation API inline program (scripts/pulumi_inline.py): the engine, backend, dynamic
  provider host and plugins are Pulumi's own; only the program runner lives in this process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pydantic.alias_generators import to_snake

from ld_emulator import Emulator
from scripts.pulumi_inline import pulumi_binary, quiet_environment, workspace
from tests.support.declarations import declaration

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "e2e-token"
PASSPHRASE = "e2e-passphrase"


def cli_missing_reason() -> str | None:
    """Why the e2e tests cannot run here, or None when they can."""
    binary = pulumi_binary()
    if binary is None:
        return "needs the Pulumi CLI: run scripts/install-pulumi.sh (builds it with Go)"
    if not (binary.parent / "pulumi-resource-pulumi-python").exists() and not shutil.which(
        "pulumi-resource-pulumi-python"
    ):
        return "needs pulumi-resource-pulumi-python beside the CLI (scripts/install-pulumi.sh)"
    return None


def root_project(target: Path) -> Path:
    """The repository's root program (__main__.py + experiments.yaml) and its stack files."""
    target.mkdir(parents=True)
    for name in ("__main__.py", "experiments.yaml", "Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy2(REPO_ROOT / name, target / name)
    staging = REPO_ROOT / "Pulumi.staging.yaml"
    if staging.exists():
        shutil.copy2(staging, target / "Pulumi.staging.yaml")
    # The root program reads experiments.yaml with the package's catalog: nothing else to copy.
    return target


@dataclass
class Run:
    """What one CLI command printed."""

    stdout: str
    stderr: str = ""
    returncode: int = 0
    result: Any = None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class E2EProject:
    """One project copy, one backend, one PULUMI_HOME and one emulator."""

    directory: Path
    backend: Path
    home: Path
    emulator: Emulator
    env: dict[str, str] = field(default_factory=dict)
    transcript: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, directory: Path, scratch: Path, emulator: Emulator) -> E2EProject:
        backend, home = scratch / "backend", scratch / "home"
        backend.mkdir(parents=True, exist_ok=True)
        home.mkdir(parents=True, exist_ok=True)
        env = {
            **quiet_environment(),
            "PULUMI_BACKEND_URL": f"file://{backend}",
            "PULUMI_HOME": str(home),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "LAUNCHDARKLY_ACCESS_TOKEN": TOKEN,
        }
        return cls(directory, backend, home, emulator, env)

    # -- plain CLI commands ------------------------------------------------------------------

    def cli(self, *args: str, check: bool = True, env: dict[str, str] | None = None) -> Run:
        binary = pulumi_binary()
        assert binary is not None
        full_env = {**os.environ, **self.env, **(env or {})}
        full_env["PATH"] = os.pathsep.join([str(binary.parent), full_env.get("PATH", "")])
        for name, value in (env or {}).items():
            if value == "":
                full_env.pop(name, None)
        done = subprocess.run(
            [str(binary), *args, "--non-interactive", "--color", "never"],
            cwd=self.directory,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        run = Run(done.stdout, done.stderr, done.returncode)
        # The transcript holds what the CLI printed; a secret typed on the command line is not.
        shown = args[: args.index("--secret") + 2] if "--secret" in args else args
        self.transcript.append(f"$ pulumi {' '.join(shown)}\n{run.output}")
        if check:
            assert done.returncode == 0, f"pulumi {' '.join(args)} failed:\n{run.output}"
        return run

    def init_stack(self, name: str = "dev", *, api_host: bool = True) -> None:
        """``pulumi stack init`` and point the stack at this test's emulator."""
        self.cli("stack", "init", name)
        if api_host:
            self.cli("config", "set", "launchdarkly:apiHost", self.emulator.url, "--stack", name)

    # -- the program, through the Automation API ---------------------------------------------

    def stack(
        self,
        name: str = "dev",
        program: Callable[[], None] | None = None,
        env: dict[str, str] | None = None,
    ) -> auto.Stack:
        merged = {**self.env, **(env or {})}
        return auto.Stack.select(name, workspace(self.directory, env=merged, program=program))

    def _run(self, verb: str, name: str, program: Callable[[], None] | None, **kwargs: Any) -> Run:
        env = kwargs.pop("env", None)
        check = kwargs.pop("check", True)
        lines: list[str] = []
        stack = self.stack(name, program, env)
        try:
            result = getattr(stack, verb)(on_output=lines.append, color="never", **kwargs)
        except auto.CommandError as exc:
            run = Run("\n".join(lines), str(exc), 1)
            self.transcript.append(f"$ pulumi {verb} (inline)\n{run.output}")
            if check:
                raise AssertionError(f"pulumi {verb} failed:\n{run.output}") from None
            return run
        run = Run("\n".join(lines), result=result)
        self.transcript.append(f"$ pulumi {verb} (inline)\n{run.output}")
        return run

    def up(self, name: str = "dev", program: Callable[[], None] | None = None, **kw: Any) -> Run:
        return self._run("up", name, program, **kw)

    def preview(
        self, name: str = "dev", program: Callable[[], None] | None = None, **kw: Any
    ) -> Run:
        return self._run("preview", name, program, **kw)

    def refresh(
        self, name: str = "dev", program: Callable[[], None] | None = None, **kw: Any
    ) -> Run:
        return self._run("refresh", name, program, **kw)

    def destroy(
        self, name: str = "dev", program: Callable[[], None] | None = None, **kw: Any
    ) -> Run:
        return self._run("destroy", name, program, **kw)

    def outputs(self, name: str = "dev") -> dict[str, Any]:
        return {k: v.value for k, v in self.stack(name).outputs().items()}

    # -- what the backend holds --------------------------------------------------------------

    def backend_files(self) -> Iterator[Path]:
        yield from (p for p in self.backend.rglob("*") if p.is_file())

    def resources(self, name: str = "dev") -> list[dict[str, Any]]:
        deployment = self.stack(name).export_stack().deployment
        return list(deployment.get("resources") or [])

    def experiments_in_state(self, name: str = "dev") -> dict[str, dict[str, Any]]:
        return {
            r["outputs"]["key"]: r
            for r in self.resources(name)
            if r["type"].endswith("launchdarkly:Experiment") and r.get("outputs")
        }


def api_writes(emulator: Emulator) -> list[tuple[str, str, list[str]]]:
    """The emulator's logged writes as (method, path, instruction kinds); a JSON Patch's
    operations read as ``"<op> <path>"``."""
    out = []
    for entry in emulator.requests():
        if entry["method"] in ("POST", "PATCH"):
            body = entry.get("body") or {}
            if isinstance(body, list):
                kinds = [f"{op.get('op')} {op.get('path')}" for op in body]
            else:
                kinds = [i.get("kind", "") for i in body.get("instructions") or []]
            out.append((entry["method"], entry["path"], kinds))
    return out


def declare_experiment(resource_name: str, *, opts: Any = None, **changes: Any) -> Any:
    """Declare tests/support/declarations.DECLARATION (project and env from stack config).

    ``changes`` are snake_case ``ExperimentArgs`` fields (``name="..."``, ``key="..."``);
    ``iteration_changes`` replaces iteration fields. Runs inside an inline program.
    """
    import launchdarkly_experiments as ld

    # Top-level names in snake_case, values in the wire form the resource passes on as they are.
    wire = declaration(key=resource_name)
    for name in ("projectKey", "environmentKey", "tags"):
        wire.pop(name)
    wire["iteration"].update(changes.pop("iteration_changes", {}))
    fields = {to_snake(name): value for name, value in wire.items()}
    fields.update(changes)
    return ld.Experiment(resource_name, opts=opts, **fields)
