"""``python -m launchdarkly_experiments.emulator``: same as the ``ld-emulator`` command."""

import sys

from .cli import main

sys.exit(main())
