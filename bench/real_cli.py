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
from pydantic.alias_generators import to_snake  # noqa: E402

from bench.compiled import compile_sources  # noqa: E402
from ld_emulator.cli import parse_rate_limit  # noqa: E402
from scripts.pulumi_inline import workspace  # noqa: E402
from tests.e2e.support import declare_experiment  # noqa: E402
from tests.support.declarations import declaration  # noqa: E402

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


def mirror_program(n: int) -> Callable[[], None]:
    """N no-op resources registering exactly an experiment's properties (its declaration, every
    unset input and computed output as None), their attributes untracked as ours are: what the
    SDK and the engine cost per property, none of our code running."""

    def program() -> None:
        from bench.trivial_provider import NoOp
        from launchdarkly_experiments.core.kind import field_names
        from launchdarkly_experiments.core.kinds.experiment import Experiment

        names = [*field_names(Experiment.inputs), *Experiment.output_names()]
        for i in range(n):
            wire = declaration(key=f"exp-{i}", name=f"Experiment {i}")
            for taken_from_config in ("projectKey", "environmentKey", "tags"):
                wire.pop(taken_from_config)
            NoOp(f"mirror-{i}", {to_snake(name): wire.get(name) for name in names}, untracked=True)

    return program


PROGRAMS = {"experiments": experiments_program, "no-op": noop_program, "mirror": mirror_program}


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
    """The checkpoint file's bytes per resource of the program (what a file backend rewrites
    after each step, over N)."""
    (checkpoint,) = backend.glob(".pulumi/stacks/*/*.json")
    resources = json.loads(checkpoint.read_text())["checkpoint"]["latest"]["resources"]
    ours = [r for r in resources if r["type"].startswith("pulumi-python:dynamic")]
    return checkpoint.stat().st_size / len(ours)


STEP_NAMES = {"bytes": "checkpoint bytes per resource"}


def figures(results: dict[str, list[dict[str, float]]], step: str) -> list[str]:
    """Medians of a step per kind, and the medians of the experiments' ratios to each other
    kind, run by run."""
    shown = "{:.0f}" if step == "bytes" else "{:.2f}"
    ours = [r[step] for r in results["experiments"]]
    cells = [shown.format(statistics.median(ours))]
    for other in [name for name in results if name != "experiments"]:
        base = [r[step] for r in results[other]]
        ratios = [a / b for a, b in zip(ours, base, strict=True)]
        cells += [shown.format(statistics.median(base)), f"{statistics.median(ratios):.2f}x"]
    return cells


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
    parser.add_argument(
        "--mirror",
        action="store_true",
        help="also run no-op resources with an experiment's properties (the engine's and the "
        "SDK's cost per property, apart from ours)",
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
            names = ["experiments", "no-op", *(["mirror"] if args.mirror else [])]
            results: dict[str, list[dict[str, float]]] = {name: [] for name in names}
            for run in range(runs):
                # Each run in another order: the kinds take turns going first.
                for kind in names[run % len(names) :] + names[: run % len(names)]:
                    emulator.reset()
                    if n >= 1000:
                        emulator.rate_limit(*args.rate_limit)
                    scratch = Path(tempfile.mkdtemp(prefix="ld-bench-"))
                    try:
                        results[kind].append(one_cycle(PROGRAMS[kind](n), scratch, emulator))
                    finally:
                        shutil.rmtree(scratch, ignore_errors=True)
                    if kind == "experiments":
                        tally = emulator.tally()
                        print(
                            f"{n} experiments, run {run + 1}: {tally['requests']} requests, "
                            f"{tally['429']} answered 429, {tally['created']} created",
                            flush=True,
                        )
            for step in (*STEPS, "bytes"):
                rows.append(
                    [str(n), STEP_NAMES.get(step, step), *figures(results, step), str(runs)]
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
    header = ["N", "step", "experiments (s, median)", "no-op dynamic (s, median)", "ratio"]
    if args.mirror:
        header += ["no-op with an experiment's properties (s)", "experiments / that"]
    header.append("runs")
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(
        f"One preview of 10 experiments: {ten['preview (new)']:.2f} s for a new stack, "
        f"{ten['preview (no changes)']:.2f} s with nothing to change"
    )


if __name__ == "__main__":
    main()
