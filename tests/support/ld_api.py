"""LaunchDarkly objects made and changed through the emulator's API, as the UI or another tool
would: what the kinds' protocol tests start from, adopt, import or drift to."""

from __future__ import annotations

from typing import Any

import httpx

from launchdarkly_experiments.http.client import SEMANTIC_PATCH
from ld_emulator import Emulator
from tests.support.declarations import experiment_post

LAB = "/api/v2/projects/lab"
SHOP = "/api/v2/projects/shop"


def holdouts(project: str = "lab", environment: str = "dev") -> str:
    return f"/api/v2/projects/{project}/environments/{environment}/holdouts"


class Api:
    """An API client of the emulator with a token; each method answers the parsed JSON and
    fails the test on an error status."""

    def __init__(self, emulator: Emulator, token: str) -> None:
        # The beta version header: metric groups require it, the other resources take it.
        headers = {"Authorization": token, "LD-API-Version": "beta"}
        self.client = httpx.Client(base_url=emulator.url, headers=headers)

    def _ok(self, response: httpx.Response) -> Any:
        assert response.is_success, f"{response.status_code} {response.text}"
        return response.json() if response.content else None

    def get(self, path: str, **params: str) -> Any:
        return self._ok(self.client.get(path, params=params))

    def status(self, path: str) -> int:
        """The status code of a GET of ``path`` (404 once an object is deleted)."""
        return self.client.get(path).status_code

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._ok(self.client.post(path, json=body))

    def put(self, path: str, body: dict[str, Any]) -> Any:
        return self._ok(self.client.put(path, json=body))

    def json_patch(self, path: str, *operations: dict[str, Any]) -> Any:
        """A JSON Patch (RFC 6902), as metrics and metric groups take."""
        return self._ok(self.client.patch(path, json=list(operations)))

    def patch(self, path: str, *instructions: dict[str, Any], **body: Any) -> Any:
        payload = {**body, "instructions": list(instructions)}
        return self._ok(
            self.client.patch(path, json=payload, headers={"Content-Type": SEMANTIC_PATCH})
        )

    def metric(self, key: str, project: str = "lab") -> Any:
        body = {"key": key, "kind": "custom", "isNumeric": False, "eventKey": key}
        return self._ok(self.client.post(f"/api/v2/metrics/{project}", json=body))

    def holdout(self, key: str, project: str = "lab", environment: str = "dev", **body: Any) -> Any:
        """A holdout made outside the program (lower-case body keys, as the API has them)."""
        payload = {"key": key, "name": key.capitalize(), "holdoutamount": "5", **body}
        return self._ok(self.client.post(holdouts(project, environment), json=payload))

    def experiment(
        self, key: str, environment: str = "dev", *, start: bool = False, **overrides: Any
    ) -> Any:
        """An experiment in shop/``environment``: the suite's declaration under ``key``
        (started)."""
        experiments = f"{SHOP}/environments/{environment}/experiments"
        made = self._ok(self.client.post(experiments, json=experiment_post(key, **overrides)))
        if start:
            start_it = {"kind": "startIteration", "changeJustification": "test"}
            made = self.patch(f"{experiments}/{key}", start_it)
        return made

    def layer(self, key: str, project: str = "shop") -> Any:
        """A layer made outside the program, without reservations."""
        body = {"key": key, "name": key.capitalize(), "description": ""}
        return self._ok(self.client.post(f"/api/v2/projects/{project}/layers", json=body))
