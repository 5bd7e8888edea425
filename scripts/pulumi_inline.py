"""Run a Python Pulumi project with the real Pulumi CLI, as an Automation API inline program.

    python scripts/pulumi_inline.py [--cwd DIR] [--stack NAME] VERB [options]

VERB is ``up``, ``preview``, ``refresh`` or ``destroy``; options follow the CLI's names
(``--yes`` is accepted and implied, ``--diff``, ``--expect-no-changes``, ``--refresh``,
``--target URN``). Output is the CLI's own, streamed as it runs; the exit code is 0 on success.

Why: on machines where the Go module proxy does not serve Pulumi's Python language host, the CLI
cannot start ``__main__.py`` itself. The Automation API runs the program in this process instead
and hands the real CLI (engine, backend, providers) a language server, so every engine step is
Pulumi's own; only the program runner differs. With the language host installed, plain
``pulumi up`` does the same job.

The program is the project's ``__main__.py`` run with ``runpy`` from the project directory, so it
behaves as under ``pulumi up``: stack config from ``Pulumi.<stack>.yaml``, files read relative
to the project.
"""

from __future__ import annotations

import argparse
import os
import runpy
import shutil
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pulumi import automation as auto

REPO_ROOT = Path(__file__).resolve().parent.parent
TOOLS_BIN = REPO_ROOT / ".tools" / "bin"


def pulumi_binary() -> Path | None:
    """The CLI to use: $PULUMI_CLI, then the one scripts/install-pulumi.sh built, then PATH."""
    explicit = os.environ.get("PULUMI_CLI")
    if explicit:
        return Path(explicit)
    if (TOOLS_BIN / "pulumi").is_file():
        return TOOLS_BIN / "pulumi"
    found = shutil.which("pulumi")
    return Path(found) if found else None


def quiet_environment() -> dict[str, str]:
    """Settings that keep the CLI from reaching the internet (no update check, no plugin fetch)."""
    return {
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    }


def project_program(project_dir: Path) -> Callable[[], None]:
    """The project's ``__main__.py`` as an inline program."""
    main = project_dir / "__main__.py"

    def program() -> None:
        previous = Path.cwd()
        os.chdir(project_dir)
        try:
            runpy.run_path(str(main), run_name="__main__")
        finally:
            os.chdir(previous)

    return program


def workspace(
    project_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    program: Callable[[], None] | None = None,
) -> auto.LocalWorkspace:
    """A workspace on ``project_dir`` (its Pulumi.yaml and stack files) running the program inline.

    ``env`` adds to the environment the CLI and the providers it starts see.
    """
    binary = pulumi_binary()
    if binary is None:
        raise SystemExit(
            "pulumi_inline: no Pulumi CLI found; run scripts/install-pulumi.sh (needs Go) or put "
            "`pulumi` on PATH"
        )
    bin_dir = binary.parent
    venv_bin = Path(sys.executable).parent
    env_vars = {
        **quiet_environment(),
        # The engine finds pulumi-resource-pulumi-python on PATH; that shim runs the dynamic
        # provider with the first python3 on PATH, which must be the one with our package.
        "PATH": os.pathsep.join([str(bin_dir), str(venv_bin), os.environ.get("PATH", "")]),
        "PULUMI_PYTHON_CMD": sys.executable,
        **(env or {}),
    }
    return auto.LocalWorkspace(
        work_dir=str(project_dir),
        program=program or project_program(project_dir),
        env_vars=env_vars,
        pulumi_command=auto.PulumiCommand(str(bin_dir.parent), skip_version_check=True),
    )


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pulumi_inline.py", description=__doc__.split("\n")[0])
    parser.add_argument("--cwd", type=Path, default=REPO_ROOT, help="the Pulumi project directory")
    parser.add_argument("--stack", "-s", default="dev")
    parser.add_argument("verb", choices=("up", "preview", "refresh", "destroy"))
    parser.add_argument("--yes", "-y", action="store_true", help="accepted; always implied")
    parser.add_argument("--diff", action="store_true")
    parser.add_argument("--expect-no-changes", action="store_true")
    parser.add_argument("--refresh", action="store_true")
    parser.add_argument("--target", action="append", default=None)
    parser.add_argument("--non-interactive", action="store_true", help="accepted; always implied")
    args = parser.parse_args(argv)

    project_dir = args.cwd.resolve()
    stack = auto.Stack.create_or_select(args.stack, workspace(project_dir))
    common: dict[str, Any] = {"on_output": print, "color": "never"}
    if args.target:
        common["target"] = args.target
    try:
        if args.verb == "up":
            stack.up(
                diff=args.diff or None,
                expect_no_changes=args.expect_no_changes or None,
                refresh=args.refresh or None,
                **common,
            )
        elif args.verb == "preview":
            stack.preview(
                diff=args.diff or None,
                expect_no_changes=args.expect_no_changes or None,
                refresh=args.refresh or None,
                **common,
            )
        elif args.verb == "refresh":
            stack.refresh(expect_no_changes=args.expect_no_changes or None, **common)
        else:
            stack.destroy(refresh=args.refresh or None, **common)
    except auto.CommandError as exc:
        # The CLI's own output was streamed already; its error text is in the exception.
        print(_error_text(exc), file=sys.stderr)
        return 1
    return 0


def _error_text(exc: auto.CommandError) -> str:
    text = str(exc)
    marker = "stderr:"
    return text[text.index(marker) + len(marker) :].strip() if marker in text else text


if __name__ == "__main__":
    sys.exit(run())
