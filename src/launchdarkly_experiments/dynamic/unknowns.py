"""Values Pulumi does not know yet at preview (outputs of resources not created yet).

The dynamic-provider host hands them to ``check`` and ``diff`` as ``pulumi.output.Unknown``
objects, at any depth (or, from some engines, as the SDK's unknown sentinel string). The core
knows nothing of them: ``check`` passes ``is_unknown`` to it, and each rule that reads such a
value is skipped (``core.rules``).
"""

from __future__ import annotations

from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import rpc


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN)
