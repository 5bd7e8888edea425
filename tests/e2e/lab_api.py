"""Project ``lab`` through the emulator's HTTP API, as the LaunchDarkly UI or another tool sees
and changes it: what the programme e2e tests assert on, drift to and adopt from.

Builds on :class:`tests.support.ld_api.Api` (a token, semantic patches, objects made outside
Pulumi); adds reads by kind, JSON Patch and the beta header metric groups need.
"""

from __future__ import annotations

from typing import Any

from tests.support.ld_api import LAB, Api, holdouts

METRICS_PATH = "/api/v2/metrics/lab"
GROUPS = f"{LAB}/metric-groups"
LAYERS = f"{LAB}/layers"
SETTINGS = f"{LAB}/experimentation-settings"
BETA = {"LD-API-Version": "beta"}


def experiments(environment: str = "dev") -> str:
    return f"{LAB}/environments/{environment}/experiments"


class LabApi(Api):
    """The emulator's API on project lab; each method fails the test on an error status."""

    # -- reads ---------------------------------------------------------------------------------

    def status(self, path: str) -> int:
        """The status of a GET (404 for what is gone)."""
        return self.client.get(path, headers=BETA if path.startswith(GROUPS) else None).status_code

    def metric_rep(self, key: str) -> Any:
        return self.get(f"{METRICS_PATH}/{key}")

    def group_rep(self, key: str) -> Any:
        return self._ok(self.client.get(f"{GROUPS}/{key}", headers=BETA))

    def holdout_rep(self, key: str, environment: str = "dev") -> Any:
        return self.get(f"{holdouts('lab', environment)}/{key}")

    def experiment_rep(self, key: str, environment: str = "dev") -> Any:
        return self.get(f"{experiments(environment)}/{key}")

    def layers(self) -> dict[str, Any]:
        """Every layer of the project by key (the API has no single GET of a layer)."""
        return {item["key"]: item for item in self.get(LAYERS)["items"]}

    def reservations(self, layer: str, environment: str = "dev") -> dict[str, int]:
        """A layer's reservations in one environment: percent by experiment key."""
        return {
            r["experimentKey"]: r["reservationPercent"]
            for r in self.layers()[layer]["environments"][environment]["reservations"]
        }

    def units(self) -> list[tuple[str, bool]]:
        """The project's randomization units as (unit, default)."""
        return [
            (u["randomizationUnit"], bool(u.get("default")))
            for u in self.get(SETTINGS)["randomizationUnits"]
        ]

    def counts(self) -> dict[str, int]:
        """How many of each object the project holds (active experiments of dev)."""
        return {
            "metrics": self.get(METRICS_PATH)["totalCount"],
            "groups": self._ok(self.client.get(GROUPS, headers=BETA))["totalCount"],
            "holdouts": self.get(holdouts("lab", "dev"))["total_count"],
            "layers": self.get(LAYERS)["totalCount"],
            "experiments": self.get(experiments())["total_count"],
        }

    # -- writes, as the UI makes them ----------------------------------------------------------

    def json_patch(self, path: str, *operations: dict[str, Any]) -> Any:
        headers = BETA if path.startswith(GROUPS) else None
        return self._ok(self.client.patch(path, json=list(operations), headers=headers))

    def metric_group(self, key: str, *metrics: str, kind: str = "standard") -> Any:
        """A metric group made outside the program, of metrics named by key."""
        body = {
            "key": key,
            "name": key.capitalize(),
            "kind": kind,
            "maintainerId": self.get("/api/v2/members/me")["_id"],
            "tags": [],
            "metrics": [{"key": m, "nameInGroup": m} for m in metrics],
        }
        return self._ok(self.client.post(GROUPS, json=body, headers=BETA))
