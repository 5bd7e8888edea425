"""Entry point of ``pulumi-resource-launchdarkly-experiments``, the plugin the engine runs.

The engine finds the executable on ``$PATH`` (a console script of this distribution, so it sits
in the virtualenv's ``bin``), starts it with the engine's address as argument, and reads the
gRPC port it prints. Log records go to the engine (``engine_log``), which shows them.
"""

from __future__ import annotations

import sys

from pulumi.provider.experimental.server import main as serve

from ..version import VERSION
from .engine_log import forward_to_engine
from .provider import NativeProvider


def main() -> None:
    args = sys.argv[1:]
    engine = next((a for a in args if not a.startswith("-")), None)
    if engine:
        forward_to_engine(engine)
    serve(args, VERSION, NativeProvider())


if __name__ == "__main__":
    main()
