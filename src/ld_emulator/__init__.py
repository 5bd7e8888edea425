"""A local, spec-faithful emulator of LaunchDarkly's REST API v2 experiments endpoints.

Usage from Python::

    from ld_emulator import Emulator

    with Emulator(port=0, tokens=("dev-token",)) as emu:
        ...  # point a client at emu.url with "Authorization: dev-token"
        emu.faults.fail_next(1, status=503)

From a shell: ``ld-emulator --port 8765`` (or ``python -m ld_emulator``).
See ``docs/emulator.md`` for what is emulated and how.
"""

from .app import Emulator
from .faults import Fault, FaultPlan, Faults
from .store import ApiError, Catalog, Store

__all__ = ["ApiError", "Catalog", "Emulator", "Fault", "FaultPlan", "Faults", "Store"]
