"""E2E: a Go program (Go Automation API inline program with the generated Go SDK) with the real
CLI and the native plugin.

The Go module proxy does not serve pulumi-language-go, so the program is an inline program: the
CLI calls back into the Go process instead of starting a language host. The first build
downloads and compiles Pulumi's Go SDK (minutes on 2 cores; cached afterwards).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ld_emulator import Emulator
from tests.support.tools import missing

from .support import PLUGIN, TOKEN, AutomationProgram, automation_scenario, require_tool

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]
HERE = Path(__file__).parent / "go"


def test_go_program_lifecycle(tmp_path: Path) -> None:
    require_tool(PLUGIN, "this package's console script: pip install -e .")
    go = require_tool("go", "Go 1.26+ to build the program")
    binary = tmp_path / "program"
    built = subprocess.run(
        [str(go), "build", "-o", str(binary), "."],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if built.returncode != 0 and "proxy" in built.stderr:
        missing(f"Go modules unavailable: {built.stderr[-300:]}")
    assert built.returncode == 0, built.stderr
    with Emulator(tokens=(TOKEN,)) as emulator:
        driver = AutomationProgram([str(binary)], tmp_path, emulator.url)
        automation_scenario(driver, emulator.url, "native-go")
