"""Emulator memory under a long run: resident set size before and after N API requests.

Runs the emulator as a separate process twice, once with the request log unbounded (what it was
before the log became a ring buffer) and once with the default bound, sends the same N requests
to each over loopback and prints the emulator's RSS (from /proc, so Linux only):

    python bench/emulator_memory.py                # 100,000 requests per run
    python bench/emulator_memory.py --requests 300000 --log-size 10000

The requests are a mix a provider sends: a read with ``expand``, a list page, and a create that
is refused as a duplicate (its 1 KB body is logged). Nothing new is stored, so any growth is the
process's own.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from tests.emulator.conftest import experiment  # noqa: E402

TOKEN = "bench-token"
COLLECTION = "/api/v2/projects/shop/environments/dev/experiments"

_SERVE = """
import sys
from ld_emulator import Emulator
size = None if sys.argv[1] == "unbounded" else int(sys.argv[1])
emulator = Emulator(port=0, tokens=(sys.argv[2],), request_log_size=size).start()
print(emulator.url, flush=True)
sys.stdin.read()  # serve until the parent closes our stdin
emulator.stop()
"""


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc")


def _client_loop(url: str, count: int, errors: list[str]) -> None:
    body = experiment("bench-exp")
    with httpx.Client(base_url=url, headers={"Authorization": TOKEN}, timeout=30) as client:
        for i in range(count):
            kind = i % 3
            if kind == 0:
                status = client.get(f"{COLLECTION}/bench-exp", params={"expand": "treatments"})
            elif kind == 1:
                status = client.get(COLLECTION, params={"limit": "5", "offset": str(i % 7)})
            else:
                status = client.post(COLLECTION, json=body)
            if status.status_code not in (200, 409):
                errors.append(f"{status.status_code} {status.text[:200]}")
                return


def run(log_size: str, requests: int, clients: int, rounds: int) -> tuple[list[float], float]:
    """RSS (MiB) before the run and after each of ``rounds`` equal parts, and the seconds."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE, log_size, TOKEN],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        with httpx.Client(base_url=url, headers={"Authorization": TOKEN}) as client:
            client.post(COLLECTION, json=experiment("bench-exp")).raise_for_status()
            for _ in range(300):  # warm up: imports, caches, schema validators
                client.post(COLLECTION, json=experiment("bench-exp"))
                client.get(COLLECTION)
            client.delete("/_emulator/requests")
        samples = [rss_mib(proc.pid)]
        errors: list[str] = []
        per_client = requests // (clients * rounds)
        elapsed = 0.0
        for _ in range(rounds):
            threads = [
                threading.Thread(target=_client_loop, args=(url, per_client, errors))
                for _ in range(clients)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed += time.perf_counter() - started
            if errors:
                raise RuntimeError(f"unexpected answer: {errors[0]}")
            samples.append(rss_mib(proc.pid))
        return samples, elapsed
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--log-size", type=int, default=10_000, help="the bounded run's size")
    parser.add_argument("--rounds", type=int, default=4, help="RSS samples during the run")
    args = parser.parse_args()
    print(f"{args.requests} requests over {args.clients} keep-alive connections per run")
    marks = [f"{(i + 1) * args.requests // args.rounds // 1000}k" for i in range(args.rounds)]
    print(f"{'request log':<18} {'RSS before':>10} " + " ".join(f"{m:>7}" for m in marks))
    for label, size in (("unbounded (old)", "unbounded"), (f"ring of {args.log_size}", None)):
        samples, seconds = run(size or str(args.log_size), args.requests, args.clients, args.rounds)
        print(
            f"{label:<18} {samples[0]:>6.1f} MiB "
            + " ".join(f"{value:>7.1f}" for value in samples[1:])
            + f"  MiB  (growth {samples[-1] - samples[0]:+.1f} MiB, "
            f"{args.requests / seconds:.0f} requests/s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
