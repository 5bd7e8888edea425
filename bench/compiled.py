"""Byte-compile the package before timing it, as installing a wheel does.

With ``PYTHONDONTWRITEBYTECODE`` set (as on some CI machines and in this project's sandboxes) an
editable install is compiled from source in every process: each provider host the engine
starts would then pay for compiling our modules (about 0.1 s), while pulumi's own modules, from
an installed wheel, come compiled. The benchmarks compare like with like: ours compiled too.
"""

from __future__ import annotations

import compileall
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def compile_sources() -> None:
    """Write the ``.pyc`` files of src/, bench/ and the test support the benchmarks import."""
    for folder in ("src", "bench", "tests/support", "tests/e2e", "scripts"):
        compileall.compile_dir(ROOT / folder, quiet=1)
