"""``python -m launchdarkly_experiments.catalog schema | check FILE...``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ..errors import CatalogError
from .json_schema import schema_text
from .loader import load
from .sections import METRIC_GROUPS, METRICS


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
                counts = [f"{len(catalog)} experiment(s)"] + [
                    f"{len(catalog.section(section))} {section.noun}(s)"
                    for section in (METRICS, METRIC_GROUPS)
                    if catalog.section(section)
                ]
                print(f"{name}: {', '.join(counts)}, no problems")
        return 1 if failed else 0
    print(
        "usage: python -m launchdarkly_experiments.catalog schema | check FILE...",
        file=sys.stderr,
    )
    return 2
