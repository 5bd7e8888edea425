"""``python -m launchdarkly_experiments.catalog``: see ``cli``."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
