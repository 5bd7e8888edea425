"""What one experiment costs the engine to keep, and what a provider costs to start.

    python bench/footprint.py [--startups 7]

Prints, for both adapters (the dynamic provider host and the native plugin, each driven over
gRPC as the engine drives it, against one emulator process):

* the bytes of one experiment's state as the engine stores it: the checked inputs and the
  outputs of Create, as JSON (a draft experiment with 2 treatments, ``tests/support``'s
  declaration; the dynamic adapter's ``__provider`` counted in both, as the engine keeps it);
* process start to first answered Check (with a token, so the Check makes its reference
  lookups), next to a trivial provider's (``bench/trivial_provider.py``: imports pulumi and
  nothing of ours), the three started in turn, round by round, medians of the rounds;
* a program's start: a process that imports the SDK and our package and takes the classes it
  declares resources with, next to one that imports what a no-op dynamic resource needs (a real
  ``pulumi preview`` starts the program afresh each time).

The stack trace the engine records with each registration is the program's, not the
provider's: ``bench/real_cli.py`` prints whole checkpoint entries.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from bench.compiled import compile_sources  # noqa: E402
from bench.native import native_host  # noqa: E402
from bench.run import EmulatorProcess, provider_host, table  # noqa: E402
from bench.trivial_provider import TrivialProvider  # noqa: E402
from tests.support.declarations import declaration  # noqa: E402
from tests.support.engine import ProviderHost  # noqa: E402


def state_bytes(host: ProviderHost, key: str) -> tuple[int, int]:
    """(inputs, outputs) of one created experiment, as JSON bytes."""
    inputs, _ = host.check(key, {}, declaration(key=key))
    _, outputs = host.create(key, inputs)
    return len(json.dumps(inputs)), len(json.dumps(outputs))


def first_check(start: Callable[[], AbstractContextManager[ProviderHost]]) -> float:
    started = time.perf_counter()
    with start() as host:
        host.check("s", {}, declaration())
    return time.perf_counter() - started


PROGRAM_BASE = "import pulumi, pulumi.dynamic\n"
PROGRAM_OURS = (
    "import launchdarkly_experiments as ld\n"
    "ld.Experiment, ld.ExperimentArgs, ld.IterationArgs, ld.TreatmentArgs, ld.Metric\n"
)


def process_seconds(source: str) -> float:
    """Wall seconds of a fresh interpreter running ``source``."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", source],
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--startups", type=int, default=7, help="process starts per provider")
    args = parser.parse_args()
    compile_sources()
    print(
        f"# footprint, {time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}"
    )
    emulator = EmulatorProcess()
    try:
        with provider_host(emulator) as dyn, native_host(emulator) as nat:
            sizes = {
                "dynamic": state_bytes(dyn, "size-dyn"),
                "native": state_bytes(nat, "size-nat"),
            }
        table(
            "State of one experiment (JSON bytes; draft, 2 treatments)",
            ["adapter", "inputs", "outputs", "inputs + outputs"],
            [[name, i, o, i + o] for name, (i, o) in sizes.items()],
        )
        starters: dict[str, Callable[[], AbstractContextManager[Any]]] = {
            "trivial provider (pulumi only)": lambda: provider_host(emulator, TrivialProvider()),
            "dynamic (python -m pulumi.dynamic)": lambda: provider_host(emulator),
            "native plugin": lambda: native_host(emulator),
        }
        times: dict[str, list[float]] = {name: [] for name in starters}
        for round_ in range(args.startups):
            names = list(starters) if round_ % 2 == 0 else list(reversed(starters))
            for name in names:
                times[name].append(first_check(starters[name]))
        base = statistics.median(times["trivial provider (pulumi only)"])
        table(
            f"Process start to first answered Check (median of {args.startups})",
            ["provider", "seconds", "vs trivial"],
            [
                [name, f"{statistics.median(t):.3f}", f"{statistics.median(t) / base:.2f}x"]
                for name, t in times.items()
            ],
        )
        programs = {
            "pulumi.dynamic only": PROGRAM_BASE,
            "and launchdarkly_experiments": PROGRAM_BASE + PROGRAM_OURS,
        }
        program_times: dict[str, list[float]] = {name: [] for name in programs}
        for round_ in range(args.startups):
            names = list(programs) if round_ % 2 == 0 else list(reversed(programs))
            for name in names:
                program_times[name].append(process_seconds(programs[name]))
        base = statistics.median(program_times["pulumi.dynamic only"])
        table(
            f"A program's start to its first declaration (median of {args.startups})",
            ["program", "seconds", "vs pulumi.dynamic only"],
            [
                [name, f"{statistics.median(t):.3f}", f"{statistics.median(t) / base:.2f}x"]
                for name, t in program_times.items()
            ],
        )
        print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    finally:
        emulator.close()


if __name__ == "__main__":
    main()
