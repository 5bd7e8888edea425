"""Listing latency with many stored experiments: one page over HTTP at 30,000 experiments.

    python bench/emulator_pages.py                 # 30,000 experiments, 40 pages per case
    python bench/emulator_pages.py --experiments 100000

The experiments are copies of one valid experiment (a third running, a third stopped and
restarted, a third archived) written straight into the emulator's store, then listed over
loopback HTTP. For comparison the last line times what every page used to cost: loading and
decoding the whole table before filtering and slicing it in Python.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from ld_emulator import Emulator  # noqa: E402
from tests.emulator.conftest import experiment  # noqa: E402

TOKEN = "bench-token"
SEMANTIC = "application/json; domain-model=launchdarkly.semanticpatch"
E = "/api/v2/projects/shop/environments/dev"


def _templates(client: httpx.Client, emulator: Emulator) -> list[dict[str, object]]:
    """Three stored documents made through the API: not started, restarted, archived."""
    for key in ("t-new", "t-restarted", "t-archived"):
        client.post(f"{E}/experiments", json=experiment(key)).raise_for_status()

    def patch(key: str, *instructions: dict[str, object]) -> None:
        client.patch(
            f"{E}/experiments/{key}",
            json={"instructions": list(instructions)},
            headers={"Content-Type": SEMANTIC},
        ).raise_for_status()

    patch("t-restarted", {"kind": "startIteration"})
    rep = client.get(f"{E}/experiments/t-restarted", params={"expand": "treatments"}).json()
    winner = rep["currentIteration"]["treatments"][0]["_id"]
    patch("t-restarted", {"kind": "stopIteration", "winningTreatmentId": winner})
    patch("t-restarted", {"kind": "startIteration"})
    patch("t-archived", {"kind": "archiveExperiment"})
    docs = []
    for key in ("t-new", "t-restarted", "t-archived"):
        stored = emulator.store.get("shop", "dev", key)
        assert stored is not None
        docs.append(stored.doc)
    emulator.reset()
    return docs


def fill(emulator: Emulator, client: httpx.Client, count: int) -> None:
    templates = _templates(client, emulator)
    for i in range(count):
        doc = copy.deepcopy(templates[i % 3])
        doc["key"] = f"exp-{i:06d}"
        emulator.store.insert("shop", "dev", doc["key"], doc)


def timed_pages(client: httpx.Client, params: list[dict[str, str]]) -> list[float]:
    times = []
    for query in params:
        started = time.perf_counter()
        response = client.get(f"{E}/experiments", params=query)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--experiments", type=int, default=30_000)
    parser.add_argument("--pages", type=int, default=40)
    args = parser.parse_args()
    count, pages = args.experiments, args.pages

    with (
        Emulator(tokens=(TOKEN,), request_log_size=0) as emulator,
        httpx.Client(base_url=emulator.url, headers={"Authorization": TOKEN}, timeout=60) as c,
    ):
        started = time.perf_counter()
        fill(emulator, c, count)
        print(f"stored {count} experiments in {time.perf_counter() - started:.1f} s")
        deep = max(0, count * 2 // 3 - 20)
        cases = {
            "first page (limit 20)": [{}] * pages,
            "pages spread over the list": [
                {"offset": str(i * deep // pages), "limit": "20"} for i in range(pages)
            ],
            "filter=status:stopped, deep pages": [
                {"filter": "status:stopped", "offset": str(i * count // (3 * pages))}
                for i in range(pages)
            ],
            "filter=metricKey:..., expand=treatments": [
                {"filter": "metricKey:revenue-per-user", "expand": "treatments", "limit": "50"}
            ]
            * pages,
            "lifecycleState=archived,active": [{"lifecycleState": "archived,active"}] * pages,
        }
        timed_pages(c, [{}] * 5)  # warm up
        print(f"{'per page, over HTTP':<42} {'median':>9} {'p95':>9} {'max':>9}")
        for label, params in cases.items():
            times = sorted(timed_pages(c, params))
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            print(
                f"{label:<42} {statistics.median(times):>6.1f} ms {p95:>6.1f} ms "
                f"{times[-1]:>6.1f} ms",
                flush=True,
            )

        whole = []
        for _ in range(3):
            started = time.perf_counter()
            docs = [s.doc for s in emulator.store.list("shop", "dev")]
            _ = [d for d in docs if "archivedDate" not in d][:20]
            whole.append((time.perf_counter() - started) * 1000)
        print(
            f"{'old way: load the whole table, in process':<42} "
            f"{statistics.median(whole):>6.1f} ms (before any HTTP or rendering)"
        )


if __name__ == "__main__":
    main()
