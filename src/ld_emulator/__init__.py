"""A local, spec-faithful emulator of LaunchDarkly's REST API v2 experiments endpoints.

Usage from Python::

    from ld_emulator import Emulator

    with Emulator(port=0, tokens=("dev-token",), profile="strict") as emu:
        ...  # point a client at emu.url with "Authorization: dev-token"
        emu.faults.fail_next(1, status=503)

``profile`` is ``"lenient"`` (default) or ``"strict"``; :data:`STRICT_POINTS` names what
``strict`` changes, and ``Profile.custom({...})`` enforces some of those points only.

From a shell: ``ld-emulator --port 8765 [--profile strict]`` (or ``python -m ld_emulator``).
See ``docs/emulator.md`` for what is emulated and how.
"""

from .catalog import Catalog
from .emulator import Emulator
from .errors import ApiError
from .faults import Fault, FaultPlan, Faults
from .profiles import LENIENT, PROFILES, STRICT, STRICT_POINTS, Profile
from .store import Store

__all__ = [
    "LENIENT",
    "PROFILES",
    "STRICT",
    "STRICT_POINTS",
    "ApiError",
    "Catalog",
    "Emulator",
    "Fault",
    "FaultPlan",
    "Faults",
    "Profile",
    "Store",
]
