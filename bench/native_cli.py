"""One whole `pulumi up` through the real CLI, with the dynamic or with the native resource.

    python bench/native_cli.py dynamic|native [--count 20]

Starts an emulator, then runs a Python Automation API inline program declaring ``--count``
experiments with the dynamic resource (``launchdarkly_experiments.Experiment``) or with the
generated Python SDK of the native plugin (``sdk/python``), against a fresh local state: the
same program, engine and emulator, only the provider differs. Time two such processes against
each other with any whole-command timer (``/usr/bin/time -v``, hyperfine, ...). Needs the CLI
and the plugin (scripts/install-native-e2e.sh).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src"), str(ROOT / "sdk" / "python")]

from pulumi import automation as auto  # noqa: E402

from ld_emulator import Emulator  # noqa: E402
from tests.e2e.native import test_python_migration as programs  # noqa: E402
from tests.e2e.native.support import TOKEN, pulumi_cli, sandbox_env  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("adapter", choices=("dynamic", "native"))
    parser.add_argument("--count", type=int, default=20, help="experiments declared")
    args = parser.parse_args()
    declare = (
        programs.dynamic_experiment if args.adapter == "dynamic" else programs.native_experiment
    )

    def program() -> None:
        for i in range(args.count):
            programs.KEY = f"bench-{i:03d}"
            declare(f"e{i:03d}")

    cli = pulumi_cli()
    with tempfile.TemporaryDirectory() as tmp, Emulator(tokens=(TOKEN,)) as emulator:
        env = sandbox_env(Path(tmp), emulator.url)
        os.environ["PATH"] = env["PATH"]  # the dynamic provider host runs python3 from PATH
        workspace = Path(tmp) / "workspace"
        workspace.mkdir()
        ws = auto.LocalWorkspace(
            work_dir=str(workspace),
            program=program,
            env_vars=env,
            pulumi_command=auto.PulumiCommand(str(cli.resolve().parent.parent)),
            project_settings=auto.ProjectSettings(name="bench", runtime="python"),
        )
        result: Any = auto.Stack.create_or_select("bench", ws).up()
        created = result.summary.resource_changes.get("create", 0)
        assert created == args.count + 1, result.stdout  # + the stack itself
        print(f"{args.adapter}: {args.count} experiments created")


if __name__ == "__main__":
    main()
