"""``python -m ld_emulator``: same as the ``ld-emulator`` command."""

import sys

from .cli import main

sys.exit(main())
