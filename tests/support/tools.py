"""What a test does when a tool it needs is not there: skip, or fail where it must be there.

CI sets ``E2E_REQUIRED=1`` (``.ci/run``): there every tool the suite uses is installed, so a
missing one is a broken setup, and a skip would hide that the tests did not run. Elsewhere (a
laptop without Go or Node.js, say) the test skips with the same reason.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import NoReturn

import pytest

REQUIRED = "E2E_REQUIRED"
NATIVE_PLUGIN = "pulumi-resource-launchdarkly-experiments"


def required() -> bool:
    """Must every tool be there (CI)?"""
    return os.environ.get(REQUIRED) == "1"


def missing(reason: str) -> NoReturn:
    """A tool or input the test needs is missing: fail under E2E_REQUIRED=1, else skip."""
    if required():
        pytest.fail(f"{reason} ({REQUIRED}=1: it must be there)", pytrace=False)
    pytest.skip(reason)


def native_plugin() -> str:
    """The native provider plugin (this package's console script): beside Python, or on PATH."""
    beside_python = Path(sys.executable).parent / NATIVE_PLUGIN
    found = str(beside_python) if beside_python.exists() else shutil.which(NATIVE_PLUGIN)
    if found is None:
        missing(f"{NATIVE_PLUGIN} is not installed (pip install -e .)")
    return found
