from __future__ import annotations

from typing import Any

import pytest

from tests.support.declarations import declaration


@pytest.fixture
def valid() -> dict[str, Any]:
    return declaration(environmentKey="dev")
