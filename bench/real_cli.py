"""The real Pulumi CLI: N experiments against N no-op dynamic resources, side by side.

    python bench/real_cli.py [--sizes 1,100,1000] [--runs 3] [--rate-limit 500/10s]

For each N, each run alternates the two kinds (experiments first, then no-op, then the other way
round in the next run) on a fresh file backend and stack:

* ``preview`` of a new stack (N creates planned),
* ``up`` (N creates: for experiments, N POSTs to the emulator on loopback),
* ``preview`` again (N unchanged: what CI runs on every pull request).

It prints the median wall seconds of each step per kind and the ratio experiments / no-op of
each pair, so machine drift between runs cancels out. The emulator runs in its own process; from
N = 1,000 on it answers 429 past a rate limit (``--rate-limit``, 500 requests per 10 s window:
50/s, LaunchDarkly's order of magnitude), and the experiments' lines say how many requests the
``up`` made, how many were refused with 429 (the provider waits and retries), how many
experiments the emulator holds after it (N: no failure), and the bytes per resource in the
stack's checkpoint after ``up`` (the whole entry: inputs, outputs, the registration's stack
trace).
Programs run as Automation API inline programs against the CLI that scripts/install-pulumi.sh
builds (no Python language host here). Also printed: one preview of 10 experiments.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

import httpx  # noqa: E402
from pulumi import automation as auto  # noqa: E402

from bench.compiled import compile_sources  # noqa: E402
from ld_emulator.cli import parse_rate_limit  # noqa: E402
from scripts.pulumi_inline import workspace  # noqa: E402
from tests.e2e.support import declare_experiment  # noqa: E402

TOKEN = "bench-token"
STEPS = ("preview (new)", "up", "preview (no changes)")


class Emulator:
    """ld-emulator in its own process, in memory."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "ld_emulator", "--port", "0", "--in-memory"),
                *("--token", TOKEN, "--request-log-size", "100000"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip().rsplit(" ", 1)[-1]

    def reset(self) -> None:
        """Nothing written, no request logged, no fault (the rate limit included)."""
        httpx.post(f"{self.url}/_emulator/reset", timeout=30).raise_for_status()

    def rate_limit(self, limit: int, window: float) -> None:
        httpx.post(
            f"{self.url}/_emulator/faults",
            json={"kind": "rate_limit", "limit": limit, "window_seconds": window},
            timeout=30,
        ).raise_for_status()

    def tally(self) -> dict[str, int]:
        """Requests logged since the reset, those refused with 429, and experiments created."""
        answer = httpx.get(f"{self.url}/_emulator/requests", timeout=60).json()
        items = answer["items"] if isinstance(answer, dict) else answer
        return {
            "requests": len(items),
            "429": sum(1 for r in items if r.get("status") == 429),
            "created": sum(1 for r in items if r["method"] == "POST" and r.get("status") == 201),
        }

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def experiments_program(n: int) -> Callable[[], None]:
    def program() -> None:
        for i in range(n):
            declare_experiment(f"exp-{i}", name=f"Experiment {i}")

    return program


def noop_program(n: int) -> Callable[[], None]:
    def program() -> None:
        from bench.trivial_provider import NoOp

        for i in range(n):
            NoOp(f"noop-{i}", {"index": i})

    return program


def one_cycle(program: Callable[[], None], scratch: Path, emulator: Emulator) -> dict[str, float]:
    """A fresh backend and stack: preview, up, preview; wall seconds per step, and the bytes
    per resource of the checkpoint after ``up`` (``bytes``)."""
    project = scratch / "project"
    project.mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: bench\nruntime: python\n")
    (project / "__main__.py").write_text("")
    (scratch / "backend").mkdir()
    env = {
        "PULUMI_BACKEND_URL": f"file://{scratch / 'backend'}",
        "PULUMI_HOME": str(scratch / "home"),
        "PULUMI_CONFIG_PASSPHRASE": "",
        "LAUNCHDARKLY_ACCESS_TOKEN": TOKEN,
        "LAUNCHDARKLY_API_HOST": emulator.url,
        "LAUNCHDARKLY_PROJECT_KEY": "shop",
        "LAUNCHDARKLY_ENVIRONMENT_KEY": "dev",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
    }
    stack = auto.Stack.create("bench", workspace(project, env=env, program=program))
    times: dict[str, float] = {}
    for step, action in zip(
        STEPS,
        (
            lambda: stack.preview(color="never"),
            lambda: stack.up(color="never"),
            lambda: stack.preview(color="never", expect_no_changes=True),
        ),
        strict=True,
    ):
        started = time.perf_counter()
        action()
        times[step] = time.perf_counter() - started
        if step == "up":
            times["bytes"] = checkpoint_bytes_per_resource(scratch / "backend")
    return times


def checkpoint_bytes_per_resource(backend: Path) -> float:
    """Mean JSON bytes of a custom resource's entry in the file backend's checkpoint (providers
    and the stack left out)."""
    (checkpoint,) = backend.glob(".pulumi/stacks/*/*.json")
    resources = json.loads(checkpoint.read_text())["checkpoint"]["latest"]["resources"]
    ours = [r for r in resources if r["type"].startswith("pulumi-python:dynamic")]
    return sum(len(json.dumps(r, separators=(",", ":"))) for r in ours) / len(ours)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1,100,1000")
    parser.add_argument("--runs", type=int, default=3, help="runs per size (1000: at most 2)")
    parser.add_argument(
        "--rate-limit",
        type=parse_rate_limit,
        default=parse_rate_limit("500/10s"),
        help="the emulator's rate limit from N = 1,000 on (REQUESTS/SECONDS)",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    compile_sources()

    print(
        f"# real Pulumi CLI, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
    )
    emulator = Emulator()
    rows: list[list[str]] = []
    try:
        for n in sizes:
            runs = min(args.runs, 2) if n >= 1000 else args.runs
            results: dict[str, list[dict[str, float]]] = {"experiments": [], "no-op": []}
            for run in range(runs):
                kinds = ["experiments", "no-op"] if run % 2 == 0 else ["no-op", "experiments"]
                for kind in kinds:
                    emulator.reset()
                    if n >= 1000:
                        emulator.rate_limit(*args.rate_limit)
                    program = experiments_program(n) if kind == "experiments" else noop_program(n)
                    scratch = Path(tempfile.mkdtemp(prefix="ld-bench-"))
                    try:
                        results[kind].append(one_cycle(program, scratch, emulator))
                    finally:
                        shutil.rmtree(scratch, ignore_errors=True)
                    if kind == "experiments":
                        tally = emulator.tally()
                        print(
                            f"{n} experiments, run {run + 1}: {tally['requests']} requests, "
                            f"{tally['429']} answered 429, {tally['created']} created",
                            flush=True,
                        )
            for step in STEPS:
                ours = [r[step] for r in results["experiments"]]
                base = [r[step] for r in results["no-op"]]
                ratios = [a / b for a, b in zip(ours, base, strict=True)]
                rows.append(
                    [
                        str(n),
                        step,
                        f"{statistics.median(ours):.2f}",
                        f"{statistics.median(base):.2f}",
                        f"{statistics.median(ratios):.2f}x",
                        str(runs),
                    ]
                )
                print(" | ".join(rows[-1]), flush=True)
            ours_b = statistics.median(r["bytes"] for r in results["experiments"])
            base_b = statistics.median(r["bytes"] for r in results["no-op"])
            rows.append(
                [
                    str(n),
                    "checkpoint bytes per resource",
                    f"{ours_b:.0f}",
                    f"{base_b:.0f}",
                    f"{ours_b / base_b:.2f}x",
                    str(runs),
                ]
            )
            print(" | ".join(rows[-1]), flush=True)
        emulator.reset()
        scratch = Path(tempfile.mkdtemp(prefix="ld-bench-"))
        try:
            ten = one_cycle(experiments_program(10), scratch, emulator)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    finally:
        emulator.close()

    print()
    print("| N | step | experiments (s, median) | no-op dynamic (s, median) | ratio | runs |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(
        f"One preview of 10 experiments: {ten['preview (new)']:.2f} s for a new stack, "
        f"{ten['preview (no changes)']:.2f} s with nothing to change"
    )


if __name__ == "__main__":
    main()
