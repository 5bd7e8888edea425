"""E2E: a TypeScript program (Node Automation API inline program, the generated TypeScript SDK,
@pulumi/pulumi from npm) with the real CLI and the native plugin.

The Go module proxy does not serve pulumi-language-nodejs, so the program is an inline program:
the CLI calls back into the Node process instead of starting a language host.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ld_emulator import Emulator
from tests.support.tools import missing

from .support import PLUGIN, ROOT, TOKEN, AutomationProgram, automation_scenario, require_tool

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
HERE = Path(__file__).parent / "typescript"
NODE_MODULES = ROOT / ".tools" / "node" / "node_modules"
PACKAGE = "@pulumi-launchdarkly-experiments/launchdarkly-experiments"


def build_program(work: Path) -> Path:
    """The program, the README's example and a copy of sdk/nodejs, compiled by one strict tsc
    run: one shared @pulumi/pulumi for all, and a type check of the generated SDK."""
    require_tool("node", "Node.js 18+")
    if not (NODE_MODULES / "@pulumi" / "pulumi").exists():
        missing(
            "needs @pulumi/pulumi and typescript in .tools/node; run scripts/install-native-e2e.sh"
        )
    for name in ("program.ts", "tsconfig.json"):
        shutil.copy(HERE / name, work / name)
    shutil.copytree(ROOT / "sdk" / "nodejs", work / "launchdarkly-experiments")
    # The README's TypeScript example, type-checked with the program.
    readme = (ROOT / "README.md").read_text()
    example = re.search(r"### TypeScript\n\n```typescript\n(.*?)```", readme, re.S)
    assert example is not None, "the README has a TypeScript example"
    # It imports the npm package; here the copy of sdk/nodejs stands in for it.
    (work / "readme.ts").write_text(
        example.group(1).replace(f'"{PACKAGE}"', '"./launchdarkly-experiments"')
    )
    (work / "node_modules").symlink_to(NODE_MODULES)
    compiled = subprocess.run(
        [str(NODE_MODULES / ".bin" / "tsc"), "-p", str(work)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    return work / "program.js"


def test_typescript_program_lifecycle(tmp_path: Path) -> None:
    require_tool(PLUGIN, "this package's console script: pip install -e .")
    program = build_program(tmp_path)
    with Emulator(tokens=(TOKEN,)) as emulator:
        driver = AutomationProgram(["node", str(program)], tmp_path, emulator.url)
        automation_scenario(driver, emulator.url, "native-ts")
