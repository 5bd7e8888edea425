"""``python -m launchdarkly_experiments.catalog schema | check FILE...``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ..errors import CatalogError
from .json_schema import schema_text
from .loader import load


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m launchdarkly_experiments.catalog schema`` | ``check FILE...``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["schema"] and len(args) == 1:
        sys.stdout.write(schema_text())
        return 0
    if args[:1] == ["check"] and len(args) > 1:
        failed = False
        for name in args[1:]:
            try:
                catalog = load(name)
            except CatalogError as exc:
                print(exc, file=sys.stderr)
                failed = True
            else:
                print(f"{name}: {len(catalog)} experiment(s), no problems")
        return 1 if failed else 0
    print(
        "usage: python -m launchdarkly_experiments.catalog schema | check FILE...",
        file=sys.stderr,
    )
    return 2
