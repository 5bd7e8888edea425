"""Project ``lab`` through the emulator's HTTP API, as the LaunchDarkly UI or another tool sees
and changes it: what the programme e2e tests assert on, drift to and adopt from.

Builds on :class:`tests.support.ld_api.Api` (a token, the beta header metric groups need,
JSON and semantic patches, objects made outside Pulumi); adds reads by kind and the drift both
programme tests make.
"""

from __future__ import annotations

from typing import Any

from tests.support.ld_api import LAB, Api, holdouts

METRICS_PATH = "/api/v2/metrics/lab"
GROUPS = f"{LAB}/metric-groups"
LAYERS = f"{LAB}/layers"
SETTINGS = f"{LAB}/experimentation-settings"


def experiments(environment: str = "dev") -> str:
    return f"{LAB}/environments/{environment}/experiments"


class LabApi(Api):
    """The emulator's API on project lab; each method fails the test on an error status."""

    # -- reads ---------------------------------------------------------------------------------

    def metric_rep(self, key: str) -> Any:
        return self.get(f"{METRICS_PATH}/{key}")

    def group_rep(self, key: str) -> Any:
        return self.get(f"{GROUPS}/{key}")

    def holdout_rep(self, key: str, environment: str = "dev") -> Any:
        return self.get(f"{holdouts('lab', environment)}/{key}")

    def experiment_rep(self, key: str, environment: str = "dev") -> Any:
        return self.get(f"{experiments(environment)}/{key}")

    def layers(self) -> dict[str, Any]:
        """Every layer of the project by key (the API has no single GET of a layer)."""
        return {item["key"]: item for item in self.get(LAYERS)["items"]}

    def reservations(self, layer: str, environment: str = "dev") -> dict[str, int]:
        """A layer's reservations in one environment: percent by experiment key."""
        return self.all_reservations(layer)[environment]

    def all_reservations(self, layer: str) -> dict[str, dict[str, int]]:
        """A layer's reservations in every environment of the project."""
        return {
            environment: {r["experimentKey"]: r["reservationPercent"] for r in held["reservations"]}
            for environment, held in self.layers()[layer]["environments"].items()
        }

    def units(self, settings: str = SETTINGS) -> list[tuple[str, bool]]:
        """A project's randomization units as (unit, default); lab's unless ``settings`` is
        another project's experimentation-settings path."""
        return [
            (u["randomizationUnit"], bool(u.get("default")))
            for u in self.get(settings)["randomizationUnits"]
        ]

    def counts(self) -> dict[str, int]:
        """How many of each object the project holds (active experiments of dev)."""
        return {
            "metrics": self.get(METRICS_PATH)["totalCount"],
            "groups": self.get(GROUPS)["totalCount"],
            "holdouts": self.get(holdouts("lab", "dev"))["total_count"],
            "layers": self.get(LAYERS)["totalCount"],
            "experiments": self.get(experiments())["total_count"],
        }

    # -- writes, as the UI makes them ----------------------------------------------------------

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
        return self.post(GROUPS, body)


def drift_like_the_ui(api: Api) -> None:
    """Changes made outside Pulumi, the way the UI makes them, to five kinds of the programme:
    names of the revenue metric, the holdout and the pricing experiment, the pricing
    experiment's reservation (30), and the units (organization dropped)."""
    api.json_patch(
        f"{METRICS_PATH}/revenue", {"op": "replace", "path": "/name", "value": "Revenue (UI)"}
    )
    api.patch(f"{holdouts()}/q1-holdout", {"kind": "updateName", "value": "Q1 holdout (UI)"})
    api.patch(
        f"{LAYERS}/checkout-and-pricing",
        {
            "kind": "updateExperimentReservation",
            "experimentKey": "pricing-order",
            "reservationPercent": 30,
        },
        environmentKey="dev",
    )
    api.put(SETTINGS, {"randomizationUnits": [{"randomizationUnit": "user", "default": True}]})
    api.patch(
        f"{experiments()}/pricing-order",
        {
            "kind": "updateExperimentFields",
            "value": {"name": {"operation": "update", "value": "Plan order (UI)"}},
        },
    )
