"""Shared fixtures for the emulator tests: a running emulator and an httpx client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ld_emulator import LENIENT, Emulator, Profile, spec
from tests.support.declarations import DECLARATION, api_iteration, experiment_post, fifty_fifty
from tests.support.fixture_ids import MEMBER, RULE_BETA
from tests.support.profiles import where_profiles_differ

TOKEN = "dev-token"
RO_TOKEN = "ro-token"
SERVICE_TOKEN = "svc-token"
HEADERS = {"Authorization": TOKEN, "LD-API-Version": "20240415"}
SEMANTIC = "application/json; domain-model=launchdarkly.semanticpatch"
E = "/api/v2/projects/shop/environments/dev"
EXPERIMENTS = f"{E}/experiments"
#: The suite's declaration (tests/support/declarations.py) names these.
NAME = str(DECLARATION["name"])
HYPOTHESIS = str(DECLARATION["iteration"]["hypothesis"])


def iteration(**overrides: Any) -> dict[str, Any]:
    """A valid IterationInput: the suite's declaration on checkout-button (50/50, primary
    checkout-completed); ``None`` removes a field."""
    return api_iteration(**overrides)


def on_rule(
    rule_id: str = RULE_BETA, version: int = 3, flag: str = "checkout-button"
) -> dict[str, Any]:
    """``iteration(flags=...)`` for an experiment on another rule than the fallthrough (a rule
    runs one experiment at a time)."""
    return {flag: {"ruleId": rule_id, "flagConfigVersion": version}}


def experiment(key: str = "button-test", **overrides: Any) -> dict[str, Any]:
    """A valid ExperimentPost: the suite's declaration with the fields the API requires;
    ``None`` removes a field."""
    return experiment_post(key, **overrides)


# -- the other kinds (project lab has none of them: tests make what they use) -------------------

LAB = "/api/v2/projects/lab"
LAB_E = f"{LAB}/environments/dev"
BETA = {"LD-API-Version": "beta"}


def metric_post(key: str, kind: str = "custom", **overrides: Any) -> dict[str, Any]:
    """A valid MetricPost of ``kind`` (with what the kind requires); ``None`` removes a field."""
    body: dict[str, Any] = {"key": key, "kind": kind}
    if kind == "custom":
        body.update(isNumeric=False, eventKey=key)
    else:
        body["urls"] = [{"kind": "substring", "substring": "/checkout"}]
    if kind == "click":
        body["selector"] = "#buy"
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def group_post(key: str, *metrics: str, kind: str = "funnel", **overrides: Any) -> dict[str, Any]:
    """A valid MetricGroupPost listing ``metrics`` (each named "Step n" in the group)."""
    body: dict[str, Any] = {
        "key": key,
        "name": key.replace("-", " ").capitalize(),
        "kind": kind,
        "maintainerId": MEMBER,
        "tags": [],
        "metrics": [{"key": m, "nameInGroup": f"Step {i + 1}"} for i, m in enumerate(metrics)],
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def semantic(
    client: httpx.Client, url: str, *instructions: dict[str, Any], **body: Any
) -> httpx.Response:
    """A semantic patch of ``url`` (``body``: other fields, e.g. ``environmentKey``)."""
    payload = {**body, "instructions": list(instructions)}
    return client.patch(url, json=payload, headers={"Content-Type": SEMANTIC})


def lab_experiment(
    client: httpx.Client,
    key: str,
    *metrics: str,
    flag: str = "checkout-button",
    rule: str = "fallthrough",
    env: str = "dev",
    **overrides: Any,
) -> httpx.Response:
    """Create an experiment in lab/``env`` on ``flag``'s ``rule`` (at the flag's live targeting
    version) measuring ``metrics`` (the first is primary; ``group:key`` names a group)."""
    flag_doc = client.get(f"/api/v2/flags/lab/{flag}", params={"env": env}).json()
    version = flag_doc["environments"][env]["_version"]
    first, second = (v["_id"] for v in flag_doc["variations"][:2])
    items = [
        {"key": m.removeprefix("group:"), "isGroup": True} if m.startswith("group:") else {"key": m}
        for m in metrics
    ]
    primary = (
        {"primaryFunnelKey": items[0]["key"]}
        if items[0].get("isGroup")
        else {"primarySingleMetricKey": items[0]["key"]}
    )
    body: dict[str, Any] = {
        "key": key,
        "name": key.replace("-", " ").capitalize(),
        "iteration": {
            "hypothesis": f"{key} wins",
            "metrics": items,
            **primary,
            "treatments": fifty_fifty(flag, first, second),
            "flags": {flag: {"ruleId": rule, "flagConfigVersion": version}},
        },
    }
    body.update(overrides)
    return client.post(f"{LAB}/environments/{env}/experiments", json=body)


def assert_schema(response: httpx.Response, status: int, schema: str | None = None) -> Any:
    """Assert the status and that the body matches the spec schema (strictly)."""
    assert response.status_code == status, response.text
    body = response.json()
    if schema is not None:
        spec.validate(schema, body)
    return body


def assert_error(response: httpx.Response, status: int, code: str, *needles: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message"}
    assert body["code"] == code
    spec.validate("InvalidRequestErrorRep", body)
    for needle in needles:
        assert needle in body["message"], body["message"]
    assert TOKEN not in body["message"]
    return str(body["message"])


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(
        port=0,
        tokens=(TOKEN,),
        read_only_tokens=(RO_TOKEN,),
        service_tokens=(SERVICE_TOKEN,),
        validate_responses=True,
    ) as emulator:
        yield emulator


@pytest.fixture(params=["lenient", "strict"])
def any_emu(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """The emulator under each profile, for the facts both profiles must follow where the
    profiles could answer differently: a test that takes it must send a request that reaches a
    strict point (``tests/support/profiles.py``), or it proves nothing twice and fails."""
    with Emulator(
        tokens=(TOKEN,),
        service_tokens=(SERVICE_TOKEN,),
        validate_responses=True,
        profile=request.param,
    ) as emulator:
        yield emulator
        reached = where_profiles_differ(emulator.requests())
        assert reached, "no request of this test reaches a strict point: use emu/api instead"


@pytest.fixture
def any_api(any_emu: Emulator) -> Iterator[Api]:
    with httpx.Client(base_url=any_emu.url, headers=HEADERS, timeout=10) as c:
        yield Api(c, any_emu.profile)


@pytest.fixture
def client(emu: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.url, headers=HEADERS, timeout=10) as c:
        yield c


class Api:
    """Small helper around the client for experiment calls; ``profile`` is the emulator's."""

    def __init__(self, client: httpx.Client, profile: Profile = LENIENT) -> None:
        self.client = client
        self.profile = profile

    def create(self, body: Any = None, env: str = "dev") -> httpx.Response:
        url = f"/api/v2/projects/shop/environments/{env}/experiments"
        return self.client.post(url, json=experiment() if body is None else body)

    def get(self, key: str = "button-test", expand: str | None = None) -> httpx.Response:
        params = {"expand": expand} if expand else None
        return self.client.get(f"{EXPERIMENTS}/{key}", params=params)

    def patch(self, *instructions: dict[str, Any], key: str = "button-test") -> httpx.Response:
        return self.client.patch(
            f"{EXPERIMENTS}/{key}",
            json={"instructions": list(instructions)},
            headers={"Content-Type": SEMANTIC},
        )

    def fields(self, key: str = "button-test", **changes: Any) -> httpx.Response:
        return self.patch({"kind": "updateExperimentFields", "value": changes}, key=key)

    def created(self, key: str = "button-test", **overrides: Any) -> dict[str, Any]:
        return dict(assert_schema(self.create(experiment(key, **overrides)), 201, "Experiment"))

    def start(self, key: str = "button-test") -> dict[str, Any]:
        response = self.patch({"kind": "startIteration"}, key=key)
        return dict(assert_schema(response, 200, "Experiment"))

    def flag_version(self, flag: str = "checkout-button", env: str = "dev") -> int:
        """The flag's current targeting version in ``env`` (``environments.<env>._version``)."""
        body = self.client.get(f"/api/v2/flags/shop/{flag}", params={"env": env}).json()
        return int(body["environments"][env]["_version"])

    def fresh(self, rule_id: str = "fallthrough") -> dict[str, Any]:
        """The test iteration on ``rule_id`` at the flag's current targeting version (the
        strict profile checks it, and counts starts as changes)."""
        return iteration(flags=on_rule(rule_id, self.flag_version()))

    def stop(self, key: str = "button-test") -> dict[str, Any]:
        exp = assert_schema(self.get(key, "treatments"), 200)
        winner = exp["currentIteration"]["treatments"][0]["_id"]
        response = self.patch(
            {"kind": "stopIteration", "winningTreatmentId": winner, "winningReason": "won"},
            key=key,
        )
        return dict(assert_schema(response, 200, "Experiment"))


@pytest.fixture
def api(client: httpx.Client) -> Api:
    return Api(client)
