"""What the protocol scenarios of the JSON Patch kinds share: requests made behind the
provider's back (the UI, another tool), declarations with overrides, inputs as a program wrote
them."""

from __future__ import annotations

from typing import Any

import httpx

from ld_emulator import Emulator

from .conftest import TOKEN


def api(emulator: Emulator, method: str, path: str, body: Any = None) -> Any:
    """One API request made behind the provider's back (with ``LD-API-Version: beta``, which
    every route takes and metric groups need); its JSON answer, or None."""
    answer = httpx.request(
        method,
        f"{emulator.url}{path}",
        json=body,
        headers={"Authorization": TOKEN, "LD-API-Version": "beta"},
    )
    answer.raise_for_status()
    return answer.json() if answer.content else None


def found(emulator: Emulator, path: str) -> dict[str, Any] | None:
    """The object at ``path``, or None when LaunchDarkly answers 404."""
    answer = httpx.get(
        f"{emulator.url}{path}", headers={"Authorization": TOKEN, "LD-API-Version": "beta"}
    )
    return None if answer.status_code == 404 else dict(answer.json())


def overridden(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``base`` with top-level overrides; an override of None removes the field."""
    result = dict(base)
    for name, value in overrides.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def declared(props: dict[str, Any]) -> dict[str, Any]:
    """Inputs without the dynamic host's ``__provider``."""
    return {k: v for k, v in props.items() if k != "__provider"}
