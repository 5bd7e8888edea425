"""``python -m launchdarkly_experiments.catalog``: see ``cli``."""

from .cli import main

raise SystemExit(main())
