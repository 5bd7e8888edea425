"""Entry point of ``pulumi-resource-launchdarkly-experiments``, the plugin the engine runs.

The engine finds the executable on ``$PATH`` (a console script of this distribution, so it sits
in the virtualenv's ``bin``), starts it with the engine's address as argument, and reads the
gRPC port it prints.
"""

from __future__ import annotations

import sys

from pulumi.provider.experimental.server import main as serve

from .provider import NativeProvider
from .schema import VERSION


def main() -> None:
    serve(sys.argv[1:], VERSION, NativeProvider())


if __name__ == "__main__":
    main()
