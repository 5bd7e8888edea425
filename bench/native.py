"""Native plugin vs dynamic provider: per-operation overhead, side by side in one run.

Run ``python bench/native.py`` (``--rounds 10`` for a quick run). Both adapters run the same
domain code against the same emulator process; each is driven over gRPC as the engine drives it:
the dynamic provider host (``python -m pulumi.dynamic``, with ``__provider`` in every request)
and the native plugin (``pulumi-resource-launchdarkly-experiments``). Rounds alternate which
adapter goes first, and ratios are native / dynamic medians of this run, so the machine's speed
cancels out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from bench.run import TOKEN, EmulatorProcess, percentile, provider_host, table  # noqa: E402
from launchdarkly_experiments.native.schema import EXPERIMENT_TOKEN  # noqa: E402
from tests.support.declarations import declaration  # noqa: E402
from tests.support.engine import ProviderHost  # noqa: E402

PLUGIN = "pulumi-resource-launchdarkly-experiments"
OPERATIONS = ("Check", "Diff", "Create", "Read", "Update", "Delete")


def plugin_path() -> str:
    beside = Path(sys.executable).parent / PLUGIN
    found = str(beside) if beside.exists() else shutil.which(PLUGIN)
    if found is None:
        raise SystemExit(f"{PLUGIN} is not installed: pip install -e .")
    return found


@contextmanager
def native_host(emulator: EmulatorProcess) -> Iterator[ProviderHost]:
    env = {k: "" for k in os.environ if k.startswith("LAUNCHDARKLY_")}
    env["LAUNCHDARKLY_LOG_LEVEL"] = "error"
    with ProviderHost(None, command=[plugin_path()], env=env, type_token=EXPERIMENT_TOKEN) as host:
        host.configure({"accessToken": TOKEN, "apiHost": emulator.url}, secret_keys={"accessToken"})
        yield host


def one_lifecycle(host: ProviderHost, key: str, samples: dict[str, list[float]]) -> None:
    """Check, Diff (no change), Create, Read, Update (name), Delete of one experiment, timed."""

    def timed(op: str, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = call()
        samples[op].append(time.perf_counter() - started)
        return result

    inputs, _ = timed("Check", lambda: host.check(key, {}, declaration(key=key)))
    id_, outputs = timed("Create", lambda: host.create(key, inputs))
    timed("Diff", lambda: host.diff(id_, key, olds=outputs, news=inputs))
    timed("Read", lambda: host.read(id_, key, outputs=outputs, inputs=inputs))
    news, _ = host.check(key, inputs, declaration(key=key, name="Renamed"))
    outputs = timed(
        "Update", lambda: host.update(id_, key, olds=outputs, news=news, old_inputs=inputs)
    )
    timed("Delete", lambda: host.delete(id_, key, outputs=outputs))


def overhead(emulator: EmulatorProcess, rounds: int) -> None:
    emulator.reset()
    dynamic: dict[str, list[float]] = {op: [] for op in OPERATIONS}
    native: dict[str, list[float]] = {op: [] for op in OPERATIONS}
    with provider_host(emulator) as dyn, native_host(emulator) as nat:
        one_lifecycle(dyn, "warm-dyn", {op: [] for op in OPERATIONS})
        one_lifecycle(nat, "warm-nat", {op: [] for op in OPERATIONS})
        for i in range(rounds):
            pair = [(dyn, f"dyn-{i}", dynamic), (nat, f"nat-{i}", native)]
            for host, key, samples in pair if i % 2 == 0 else reversed(pair):
                one_lifecycle(host, key, samples)
        state = {
            "dynamic": _state_bytes(dyn, "size-dyn"),
            "native": _state_bytes(nat, "size-nat"),
        }
    rows = []
    for op in OPERATIONS:
        med_d, med_n = statistics.median(dynamic[op]), statistics.median(native[op])
        p95_d, p95_n = percentile(dynamic[op], 0.95), percentile(native[op], 0.95)
        rows.append(
            [
                op,
                f"{med_d * 1000:.2f}",
                f"{med_n * 1000:.2f}",
                f"{med_n / med_d:.2f}x",
                f"{p95_d * 1000:.2f}",
                f"{p95_n * 1000:.2f}",
                f"{p95_n / p95_d:.2f}x",
            ]
        )
    table(
        f"Per-operation time over gRPC, same emulator ({rounds} rounds, alternating order)",
        [
            "operation",
            "dynamic median ms",
            "native median ms",
            "native/dynamic",
            "dynamic p95 ms",
            "native p95 ms",
            "native/dynamic",
        ],
        rows,
    )
    table(
        "State per resource (outputs as JSON, draft experiment, 2 treatments)",
        ["adapter", "bytes", "of which __provider"],
        [
            ["dynamic", state["dynamic"][0], state["dynamic"][1]],
            ["native", state["native"][0], state["native"][1]],
        ],
    )


def _state_bytes(host: ProviderHost, key: str) -> tuple[int, int]:
    inputs, _ = host.check(key, {}, declaration(key=key))
    _, outputs = host.create(key, inputs)
    return len(json.dumps(outputs)), len(str(outputs.get("__provider", "")))


def startup(emulator: EmulatorProcess, rounds: int) -> None:
    def first_check(start: Callable[[], Any]) -> float:
        started = time.perf_counter()
        with start() as host:
            host.check("s", {}, declaration())
        return time.perf_counter() - started

    dyn, nat = [], []
    for _ in range(rounds):
        dyn.append(first_check(lambda: provider_host(emulator)))
        nat.append(first_check(lambda: native_host(emulator)))
    m_dyn, m_nat = statistics.median(dyn), statistics.median(nat)
    table(
        f"Process start to first answered Check (median of {rounds})",
        ["adapter", "seconds", "ratio"],
        [
            ["dynamic (python -m pulumi.dynamic)", f"{m_dyn:.3f}", "1.00x"],
            [f"native ({PLUGIN})", f"{m_nat:.3f}", f"{m_nat / m_dyn:.2f}x"],
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30, help="lifecycles per adapter")
    parser.add_argument("--startups", type=int, default=5, help="process starts per adapter")
    args = parser.parse_args()
    print("# Native plugin vs dynamic provider")
    print(
        f"\n{time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} cores"
    )
    emulator = EmulatorProcess()
    try:
        overhead(emulator, args.rounds)
        startup(emulator, args.startups)
    finally:
        emulator.close()


if __name__ == "__main__":
    main()
