"""The committed SDKs under sdk/ are what scripts/gen-sdk.sh makes of the committed schema."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.tools import missing

ROOT = Path(__file__).resolve().parents[2]
SDKGEN = ROOT / ".tools" / "bin" / "sdkgen"


def _generated(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _committed() -> dict[str, bytes]:
    """The files git tracks under sdk/ (build output and other ignored files left out)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "sdk"], cwd=ROOT, check=True, capture_output=True
    ).stdout.decode()
    return {
        str(Path(name).relative_to("sdk")): (ROOT / name).read_bytes()
        for name in listed.split("\0")
        if name and (ROOT / name).is_file()
    }


@pytest.mark.timeout(600)
def test_committed_sdks_are_fresh(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        missing("compares with the files git tracks under sdk/: needs git and a checkout")
    if not SDKGEN.exists() and shutil.which("go") is None:
        missing(
            "needs the SDK generator: Go to build tools/sdkgen (scripts/install-native-e2e.sh "
            "builds it into .tools/bin)"
        )
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "gen-sdk.sh"), str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    fresh, committed = _generated(tmp_path), _committed()
    stale = sorted(
        name for name in set(fresh) | set(committed) if fresh.get(name) != committed.get(name)
    )
    assert not stale, f"sdk/ is stale ({stale[:5]}...): run scripts/gen-sdk.sh"
