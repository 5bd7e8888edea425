"""Keys of the objects the API creates: what a key may be, and the key a name makes."""

from __future__ import annotations

import re

from ..errors import invalid, shorten

__all__ = ["KEY_PATTERN", "check_key", "derived_key"]

#: The pattern the emulator accepts for the keys of every kind (as for experiments).
KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def check_key(key: str, where: str = "field 'key'") -> None:
    if not KEY_PATTERN.match(key):
        raise invalid(
            f"{where}: '{shorten(key, 80)}' must start with a letter or digit and contain only "
            "letters, digits, '.', '_' and '-'"
        )


def derived_key(name: str) -> str:
    """The key a name makes (``lenient``, for a POST that gives none: see the ``key-required``
    strict point): lower case, every run of anything but ASCII letters and digits one '-'."""
    key = "".join(c if c.isascii() and c.isalnum() else "-" for c in name.lower())
    return "-".join(part for part in key.split("-") if part) or "unnamed"
