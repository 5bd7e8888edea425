"""``ld-emulator``: run the LaunchDarkly experiments emulator from a shell.

Prints the URL and the environment variables to export, then serves until SIGINT or SIGTERM
and exits 0.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .emulator import Emulator
from .profiles import PROFILES, STRICT_POINTS
from .request_log import DEFAULT_REQUEST_LOG_SIZE

__all__ = ["main", "parse_rate_limit"]

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*$")


def parse_rate_limit(text: str) -> tuple[int, float]:
    """``"100/10s"`` -> ``(100, 10.0)``: at most 100 requests per 10-second window."""
    match = _RATE.match(text)
    if match is None or float(match.group(2)) <= 0:
        raise argparse.ArgumentTypeError(
            f"invalid rate limit {text!r}: use REQUESTS/SECONDS, for example 100/10s"
        )
    return int(match.group(1)), float(match.group(2))


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ld-emulator",
        description="Local emulator of LaunchDarkly's REST API v2 experiments endpoints.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=int,
        default=8765,
        help="port; 0 picks a free one (default 8765)",
    )
    parser.add_argument(
        "--data",
        default=".ld-emulator.db",
        help="SQLite file that keeps experiments across restarts (default .ld-emulator.db)",
    )
    parser.add_argument(
        "--in-memory", action="store_true", help="keep nothing on disk (ignores --data)"
    )
    parser.add_argument(
        "--token",
        action="append",
        dest="tokens",
        metavar="TOKEN",
        help="access token with read/write rights; repeatable (default dev-token)",
    )
    parser.add_argument(
        "--read-only-token",
        action="append",
        dest="read_only_tokens",
        default=[],
        metavar="TOKEN",
        help="access token that may only read; repeatable",
    )
    parser.add_argument(
        "--service-token",
        action="append",
        dest="service_tokens",
        default=[],
        metavar="TOKEN",
        help="service token (reads and writes, has no member: creates must name maintainerId); "
        "repeatable. Without --token, no member token is made",
    )
    parser.add_argument(
        "--fixtures", default=None, help="JSON file of projects/flags/metrics to seed instead"
    )
    parser.add_argument(
        "--rate-limit",
        type=parse_rate_limit,
        default=None,
        metavar="N/Ws",
        help="answer 429 beyond N API requests per W-second window, e.g. 100/10s",
    )
    parser.add_argument(
        "--request-log-size",
        type=_non_negative,
        default=DEFAULT_REQUEST_LOG_SIZE,
        metavar="N",
        help="keep the last N API requests in the request log, 0 for none "
        f"(default {DEFAULT_REQUEST_LOG_SIZE})",
    )
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="lenient",
        help="how to read the points LaunchDarkly's spec leaves open: lenient (default, the "
        "emulator's historical answers) or strict (the reading least convenient for a client; "
        "see --list-strict-points)",
    )
    parser.add_argument(
        "--list-strict-points",
        action="store_true",
        help="print what the strict profile changes, one point a line, and exit",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list_strict_points:
        for name, summary in STRICT_POINTS.items():
            print(f"{name}: {summary}")
        return 0
    tokens = args.tokens or ([] if args.service_tokens else ["dev-token"])
    try:
        emulator = Emulator(
            port=args.port,
            data_path=None if args.in_memory else args.data,
            tokens=tokens,
            read_only_tokens=args.read_only_tokens,
            fixtures_path=args.fixtures,
            host=args.host,
            request_log_size=args.request_log_size,
            profile=args.profile,
            service_tokens=args.service_tokens,
        )
        emulator.verbose = args.verbose
        if args.rate_limit is not None:
            limit, window = args.rate_limit
            emulator.faults.rate_limit(limit, window_seconds=window)
        emulator.start()
    except (OSError, ValueError) as exc:
        print(f"ld-emulator: cannot start: {exc}", file=sys.stderr)
        return 2

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)

    storage = "in memory (nothing is kept)" if args.in_memory else f"in SQLite file {args.data}"
    print(f"LaunchDarkly experiments emulator listening on {emulator.url}")
    print(f"Experiments are stored {storage}.")
    print(f"Profile: {args.profile} (see docs/emulator.md, or --list-strict-points).")
    print("Point clients at it with:")
    print(f"  export LAUNCHDARKLY_API_HOST={emulator.url}")
    print(f"  export LAUNCHDARKLY_ACCESS_TOKEN={(tokens or args.service_tokens)[0]}")
    if args.service_tokens:
        names = ", ".join(args.service_tokens)
        print(f"Service tokens (no member: give experiments a maintainerId): {names}")
    print("Press Ctrl+C to stop.", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
    print("ld-emulator stopped.", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
