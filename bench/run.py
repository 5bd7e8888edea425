"""Benchmarks: HTTP cost per operation, provider overhead, start-up, sizes, and scale.

Run ``python bench/run.py`` (add ``--scale 200`` for a quicker run). Everything goes through the
real provider host (``python -u -m pulumi.dynamic``) over gRPC, against the emulator started as a
separate process on loopback. Figures that depend on the machine are given as ratios measured side
by side in this run.
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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from bench.compiled import compile_sources  # noqa: E402
from bench.trivial_provider import TrivialProvider  # noqa: E402
from launchdarkly_experiments.core.kinds.experiment.api import FULL_EXPAND  # noqa: E402
from launchdarkly_experiments.http.client import SEMANTIC_PATCH  # noqa: E402
from launchdarkly_experiments.provider import ExperimentProvider  # noqa: E402
from tests.support.declarations import declaration  # noqa: E402
from tests.support.engine import ProviderHost  # noqa: E402

TOKEN = "bench-token"
PROJECT, ENV = "shop", "dev"
COLLECTION = f"/api/v2/projects/{PROJECT}/environments/{ENV}/experiments"
# -- the emulator as a separate process -------------------------------------------------------


class EmulatorProcess:
    def __init__(self, profile: str = "lenient") -> None:
        self.profile = profile
        self.process = subprocess.Popen(
            [
                sys.executable,
                *("-m", "ld_emulator"),
                *("--port", "0", "--in-memory", "--token", TOKEN, "--profile", profile),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        self.url = line.strip().rsplit(" ", 1)[-1]
        self.admin = httpx.Client(base_url=self.url, timeout=30)

    def requests(self) -> list[dict[str, Any]]:
        answer: Any = self.admin.get("/_emulator/requests").json()
        return list(answer["items"] if isinstance(answer, dict) else answer)

    def clear_requests(self) -> None:
        self.admin.delete("/_emulator/requests")

    def reset(self) -> None:
        self.admin.post("/_emulator/reset")

    def rate_limit(self, limit: int, window: float) -> None:
        self.admin.post(
            "/_emulator/faults",
            json={"kind": "rate_limit", "limit": limit, "window_seconds": window},
        ).raise_for_status()

    def clear_faults(self) -> None:
        self.admin.delete("/_emulator/faults")

    def close(self) -> None:
        self.admin.close()
        self.process.terminate()
        self.process.wait(timeout=10)


@contextmanager
def provider_host(emulator: EmulatorProcess, provider: Any = None) -> Iterator[ProviderHost]:
    env = {k: "" for k in os.environ if k.startswith("LAUNCHDARKLY_")}
    env["LAUNCHDARKLY_LOG_LEVEL"] = "error"
    with ProviderHost(provider or ExperimentProvider(), env=env) as host:
        host.configure(
            {"launchdarkly:accessToken": TOKEN, "launchdarkly:apiHost": emulator.url},
            secret_keys={"launchdarkly:accessToken"},
        )
        yield host


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    print(f"\n## {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")


# -- 1. HTTP requests per operation ---------------------------------------------------------


# The fewest requests each operation can take. Lenient: writes answer in full. Strict: writes
# answer without expansions, so outputs (treatment ids) need one GET after the last write; a
# create plans its start from what it sent, so it reads back once, at the end.
MINIMUM = {
    "check": (0, 0),
    "create (draft)": (1, 2),
    "diff": (0, 0),
    "create (running)": (2, 3),
    "read": (1, 1),
    "update name": (1, 2),
    "update iteration design": (1, 2),
    "delete (archive)": (1, 1),
}


def requests_per_operation(emulator: EmulatorProcess, host: ProviderHost) -> dict[str, list[str]]:
    """Each operation's requests under the emulator's profile, as method names."""
    seen_by_operation: dict[str, list[str]] = {}

    def measure(label: str, action: Callable[[], Any]) -> Any:
        emulator.clear_requests()
        result = action()
        seen_by_operation[label] = [r["method"] for r in emulator.requests()]
        return result

    emulator.reset()
    inputs = measure("check", lambda: host.check("e", {}, declaration())[0])
    _, outputs = measure("create (draft)", lambda: host.create("e", inputs))
    measure("diff", lambda: host.diff("x", "e", olds=outputs, news=inputs))
    running_inputs, _ = host.check("r", {}, declaration(key="bench-running", state="running"))
    measure("create (running)", lambda: host.create("r", running_inputs))
    measure("read", lambda: host.read("x", "e", outputs=outputs, inputs=inputs))
    renamed, _ = host.check("e", inputs, declaration(name="Renamed"))
    outputs = measure(
        "update name",
        lambda: host.update("x", "e", olds=outputs, news=renamed, old_inputs=inputs),
    )
    design = declaration(name="Renamed")
    design["iteration"]["hypothesis"] = "Top converts better"
    redesigned, _ = host.check("e", renamed, design)
    outputs = measure(
        "update iteration design",
        lambda: host.update("x", "e", olds=outputs, news=redesigned, old_inputs=renamed),
    )
    measure("delete (archive)", lambda: host.delete("x", "e", outputs=outputs))
    return seen_by_operation


def requests_table(by_profile: dict[str, dict[str, list[str]]]) -> None:
    rows: list[list[Any]] = []
    for label, (lenient_min, strict_min) in MINIMUM.items():
        row: list[Any] = [label]
        for profile, minimum in (("lenient", lenient_min), ("strict", strict_min)):
            calls = by_profile[profile][label]
            verdict = "minimum" if len(calls) == minimum else f"+{len(calls) - minimum}"
            row += [len(calls), minimum, verdict, ", ".join(calls) or "-"]
        rows.append(row)
    table(
        "HTTP requests per operation (provider host over gRPC, emulator profiles)",
        [
            "operation",
            "lenient",
            "minimum",
            "",
            "calls",
            "strict",
            "minimum",
            "",
            "calls",
        ],
        rows,
    )


# -- 2. provider overhead ------------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def overhead(emulator: EmulatorProcess, host: ProviderHost, rounds: int) -> None:
    emulator.reset()
    direct = httpx.Client(
        base_url=emulator.url,
        headers={"Authorization": TOKEN, "LD-API-Version": "20240415"},
    )
    body = {k: v for k, v in declaration().items() if k not in ("projectKey", "environmentKey")}
    for arm in body["iteration"]["treatments"]:
        arm.setdefault("baseline", False)
    timings: dict[str, tuple[list[float], list[float]]] = {
        op: ([], []) for op in ("Create", "Read", "Update")
    }
    for i in range(rounds):
        key = f"ovh-{i}"
        # Direct: the same HTTP call the provider needs, made with httpx.
        started = time.perf_counter()
        direct.post(COLLECTION, json={**body, "key": f"{key}-direct"}).raise_for_status()
        timings["Create"][1].append(time.perf_counter() - started)
        started = time.perf_counter()
        direct.get(f"{COLLECTION}/{key}-direct", params={"expand": FULL_EXPAND}).raise_for_status()
        timings["Read"][1].append(time.perf_counter() - started)
        started = time.perf_counter()
        patch = {"instructions": [{"kind": "updateName", "value": "x"}]}
        direct.patch(
            f"{COLLECTION}/{key}-direct",
            content=json.dumps(patch),
            headers={"Content-Type": SEMANTIC_PATCH},
        ).raise_for_status()
        timings["Update"][1].append(time.perf_counter() - started)

        inputs, _ = host.check(key, {}, declaration(key=key))
        started = time.perf_counter()
        id_, outputs = host.create(key, inputs)
        timings["Create"][0].append(time.perf_counter() - started)
        started = time.perf_counter()
        host.read(id_, key, outputs=outputs, inputs=inputs)
        timings["Read"][0].append(time.perf_counter() - started)
        news, _ = host.check(key, inputs, declaration(key=key, name="x"))
        started = time.perf_counter()
        host.update(id_, key, olds=outputs, news=news, old_inputs=inputs)
        timings["Update"][0].append(time.perf_counter() - started)
    direct.close()
    rows = []
    for op, (via_host, via_httpx) in timings.items():
        med_h, med_d = statistics.median(via_host), statistics.median(via_httpx)
        p95_h, p95_d = percentile(via_host, 0.95), percentile(via_httpx, 0.95)
        rows.append(
            [
                op,
                f"{med_h * 1000:.2f}",
                f"{med_d * 1000:.2f}",
                f"{med_h / med_d:.2f}x",
                f"{p95_h * 1000:.2f}",
                f"{p95_d * 1000:.2f}",
                f"{p95_h / p95_d:.2f}x",
            ]
        )
    table(
        f"Provider overhead ({rounds} rounds; provider host over gRPC vs the same call with httpx)",
        ["op", "host median ms", "httpx median ms", "ratio", "host p95 ms", "httpx p95", "ratio"],
        rows,
    )


# -- 3. start-up ---------------------------------------------------------------------------


def startup(emulator: EmulatorProcess, rounds: int) -> None:
    def first_check(provider: Any) -> float:
        started = time.perf_counter()
        with provider_host(emulator, provider) as host:
            host.check("s", {}, declaration())
        return time.perf_counter() - started

    ours = [first_check(ExperimentProvider()) for _ in range(rounds)]
    trivial = [first_check(TrivialProvider()) for _ in range(rounds)]
    m_ours, m_triv = statistics.median(ours), statistics.median(trivial)
    table(
        f"Provider host start-up to first answered Check (median of {rounds})",
        ["provider", "seconds", "ratio"],
        [
            ["trivial provider (no import of our package)", f"{m_triv:.3f}", "1.00x"],
            ["launchdarkly_experiments", f"{m_ours:.3f}", f"{m_ours / m_triv:.2f}x"],
        ],
    )


# -- 4. sizes ------------------------------------------------------------------------------


def sizes(emulator: EmulatorProcess, host: ProviderHost) -> None:
    emulator.reset()
    inputs, _ = host.check("z", {}, declaration(key="sized", state="running"))
    _, outputs = host.create("z", inputs)
    outputs.pop("__provider", None)
    table(
        "Sizes per resource",
        ["what", "bytes"],
        [
            ["serialized __provider (base64 dill)", len(host.serialized_provider)],
            ["one resource's outputs (JSON, running, 2 treatments)", len(json.dumps(outputs))],
        ],
    )


# -- 5. scale ------------------------------------------------------------------------------


def scale(emulator: EmulatorProcess, count: int, limit_rps: int | None) -> list[Any]:
    emulator.reset()
    emulator.clear_faults()
    window = 10.0
    if limit_rps is not None:
        emulator.rate_limit(int(limit_rps * window), window)
    with provider_host(emulator) as host:
        decls = [declaration(key=f"scale-{i:04d}", name=f"Scale {i}") for i in range(count)]
        failures = 0

        def preview(decl: dict[str, Any]) -> None:
            nonlocal failures
            inputs, problems = host.check(decl["key"], {}, decl)
            failures += len(problems)
            host.diff("x", decl["key"], olds=inputs, news=inputs)

        def up(decl: dict[str, Any]) -> None:
            nonlocal failures
            inputs, problems = host.check(decl["key"], {}, decl)
            try:
                host.create(decl["key"], inputs)
            except Exception:
                failures += 1
            failures += len(problems)

        # The engine runs many steps at once; the Python host serves 4 at a time.
        with ThreadPoolExecutor(max_workers=8) as pool:
            started = time.perf_counter()
            list(pool.map(preview, decls))
            preview_seconds = time.perf_counter() - started
            emulator.clear_requests()
            started = time.perf_counter()
            list(pool.map(up, decls))
            up_seconds = time.perf_counter() - started
        seen = emulator.requests()
        limited = sum(1 for r in seen if r["status"] == 429)
        created = sum(1 for r in seen if r["method"] == "POST" and r["status"] == 201)
        rss = peak_rss_mib(host.process.pid)
    rps = len(seen) / up_seconds
    return [
        count,
        f"{limit_rps} rps" if limit_rps else "none",
        f"{preview_seconds:.1f}",
        f"{up_seconds:.1f}",
        f"{rps:.0f}",
        limited,
        created,
        failures,
        f"{rss:.0f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=1000, help="experiments in the scale test")
    parser.add_argument("--rounds", type=int, default=30, help="samples per overhead figure")
    parser.add_argument("--limit", type=int, default=50, help="rate limit (requests/s)")
    args = parser.parse_args()
    compile_sources()
    print("# pulumi-launchdarkly-experiments benchmarks")
    print(
        f"\n{time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} cores"
    )
    by_profile: dict[str, dict[str, list[str]]] = {}
    strict = EmulatorProcess("strict")
    try:
        with provider_host(strict) as host:
            by_profile["strict"] = requests_per_operation(strict, host)
    finally:
        strict.close()
    emulator = EmulatorProcess()
    try:
        with provider_host(emulator) as host:
            by_profile["lenient"] = requests_per_operation(emulator, host)
            requests_table(by_profile)
            overhead(emulator, host, args.rounds)
            sizes(emulator, host)
        startup(emulator, 5)
        rows = [scale(emulator, args.scale, None), scale(emulator, args.scale, args.limit)]
        table(
            "Scale: preview (Check+Diff) and up (Check+Create), 8 engine workers",
            [
                "experiments",
                "rate limit",
                "preview s",
                "up s",
                "requests/s",
                "429s absorbed",
                "created",
                "failures",
                "host peak MiB",
            ],
            rows,
        )
    finally:
        emulator.close()


if __name__ == "__main__":
    main()
