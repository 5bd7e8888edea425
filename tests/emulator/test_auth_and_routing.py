"""Authorization, LD-API-Version, routing errors and body parsing."""

from __future__ import annotations

import httpx
import pytest

from ld_emulator import Emulator, spec
from ld_emulator.routes import ROUTES

from .conftest import (
    EXPERIMENTS,
    RO_TOKEN,
    TOKEN,
    Api,
    E,
    assert_error,
    assert_schema,
    experiment,
)


def test_missing_token_is_401(emu: Emulator) -> None:
    response = httpx.get(emu.url + EXPERIMENTS)
    assert_error(response, 401, "unauthorized", "Authorization")


def test_unknown_token_is_401_and_message_does_not_echo_it(emu: Emulator) -> None:
    response = httpx.get(emu.url + EXPERIMENTS, headers={"Authorization": "secret-xyz"})
    message = assert_error(response, 401, "unauthorized")
    assert "secret-xyz" not in message


def test_bearer_prefix_is_rejected_with_a_hint(emu: Emulator) -> None:
    response = httpx.get(emu.url + EXPERIMENTS, headers={"Authorization": f"Bearer {TOKEN}"})
    assert_error(response, 401, "unauthorized", "Bearer")


def test_read_only_token_reads_but_cannot_write(emu: Emulator, api: Api) -> None:
    api.created()
    headers = {"Authorization": RO_TOKEN}
    with httpx.Client(base_url=emu.url, headers=headers) as ro:
        assert_schema(ro.get(f"{EXPERIMENTS}/button-test"), 200, "Experiment")
        assert_error(ro.post(EXPERIMENTS, json=experiment("other")), 403, "forbidden", "read-only")
        response = ro.patch(
            f"{EXPERIMENTS}/button-test",
            json={"instructions": [{"kind": "archiveExperiment"}]},
            headers={"Content-Type": "application/json; domain-model=launchdarkly.semanticpatch"},
        )
        assert_error(response, 403, "forbidden")
    assert "archivedDate" not in api.get().json()
    assert emu.experiment("shop", "dev", "other") is None


@pytest.mark.parametrize("version", ["20240415", "beta", None])
def test_supported_api_versions(emu: Emulator, version: str | None) -> None:
    headers = {"Authorization": TOKEN}
    if version is not None:
        headers["LD-API-Version"] = version
    response = httpx.get(emu.url + EXPERIMENTS, headers=headers)
    assert_schema(response, 200, "ExperimentCollectionRep")


def test_end_of_life_api_version_is_400(emu: Emulator) -> None:
    headers = {"Authorization": TOKEN, "LD-API-Version": "20220603"}
    assert_error(
        httpx.get(emu.url + EXPERIMENTS, headers=headers), 400, "invalid_request", "end of life"
    )


def test_unknown_api_version_is_400_naming_the_header(emu: Emulator) -> None:
    headers = {"Authorization": TOKEN, "LD-API-Version": "2099"}
    response = httpx.get(emu.url + EXPERIMENTS, headers=headers)
    assert_error(response, 400, "invalid_request", "LD-API-Version")


def test_metric_group_needs_beta(client: httpx.Client) -> None:
    url = "/api/v2/projects/shop/metric-groups/checkout-funnel"
    assert_error(client.get(url), 403, "forbidden", "LD-API-Version: beta")
    body = assert_schema(client.get(url, headers={"LD-API-Version": "beta"}), 200, "MetricGroupRep")
    assert body["kind"] == "funnel"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v2/projects/nope/environments/dev/experiments",
        "/api/v2/projects/shop/environments/nope/experiments",
        f"{EXPERIMENTS}/missing",
        "/api/v2/flags/shop/missing",
        "/api/v2/flags/nope",
        "/api/v2/metrics/shop/missing",
        "/api/v2/projects/shop/environments/dev/holdouts/missing",
        "/api/v2/projects/shop/environments/dev/holdouts/id/missing",
        "/api/v2/projects/nope/experimentation-settings",
        "/api/v2/not-a-route",
        "/elsewhere",
    ],
)
def test_not_found(client: httpx.Client, url: str) -> None:
    assert_error(client.get(url), 404, "not_found")


def test_metric_group_not_found(client: httpx.Client) -> None:
    url = "/api/v2/projects/shop/metric-groups/missing"
    assert_error(client.get(url, headers={"LD-API-Version": "beta"}), 404, "not_found", "missing")


def test_unsupported_method_on_known_path_is_405(client: httpx.Client, api: Api) -> None:
    # verified live: an experiment cannot be deleted, only archived
    api.created()
    response = client.delete(f"{EXPERIMENTS}/button-test")
    assert_error(response, 405, "method_not_allowed", "DELETE", "archiveExperiment")
    assert response.headers["Allow"] == "GET, PATCH"
    assert api.get().status_code == 200
    # the spec declares no DELETE (nor a single GET) of a layer, nor a DELETE of a holdout
    response = client.delete("/api/v2/projects/shop/layers/any")
    assert_error(response, 405, "method_not_allowed", "DELETE")
    assert response.headers["Allow"] == "PATCH"
    response = client.get("/api/v2/projects/shop/layers/any")
    assert_error(response, 405, "method_not_allowed", "GET")
    response = client.delete(f"{E}/holdouts/q4-holdout")
    assert_error(response, 405, "method_not_allowed", "endHoldout")
    assert response.headers["Allow"] == "GET, PATCH"


def test_invalid_json_is_400(client: httpx.Client) -> None:
    response = client.post(
        EXPERIMENTS, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "invalid_request", "JSON")
    response = client.post(EXPERIMENTS, content=b"", headers={"Content-Type": "application/json"})
    assert_error(response, 400, "invalid_request", "body")


def test_method_override_header(emu: Emulator, client: httpx.Client, api: Api) -> None:
    api.created()
    response = client.post(
        f"{EXPERIMENTS}/button-test",
        json={"instructions": [{"kind": "updateName", "value": "Renamed"}]},
        headers={
            "X-HTTP-Method-Override": "PATCH",
            "Content-Type": "application/json; domain-model=launchdarkly.semanticpatch",
        },
    )
    assert assert_schema(response, 200, "Experiment")["name"] == "Renamed"


def test_keep_alive_connection_serves_many_requests(client: httpx.Client) -> None:
    for _ in range(20):
        response = client.get(EXPERIMENTS)
        assert response.status_code == 200
        assert int(response.headers["Content-Length"]) == len(response.content)


_METHODS = ("get", "post", "put", "patch", "delete")


def test_every_operation_of_the_spec_is_routed() -> None:
    """Each operation the spec declares is served, or answers 405 saying it is not emulated;
    nothing is served that the spec does not declare."""
    routes = {r.template: r for r in ROUTES}
    declared = {
        (path, method.upper())
        for path, operations in spec.load_spec()["paths"].items()
        for method in operations
        if method in _METHODS
    }
    assert set(routes) == {path for path, _ in declared}
    for path, method in declared:
        assert (method in routes[path].methods) != (method in routes[path].not_emulated), (
            path,
            method,
        )
    served = {(r.template, m) for r in ROUTES for m in r.methods}
    assert served <= declared


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", "/api/v2/flags/shop"),
        ("DELETE", "/api/v2/flags/shop/checkout-button"),
        ("POST", "/api/v2/members"),
        ("DELETE", "/api/v2/members/5f00000000000000000000ff"),
    ],
)
def test_declared_but_not_emulated_is_405_saying_so(
    client: httpx.Client, method: str, url: str
) -> None:
    response = client.request(method, url, json={}, headers={"LD-API-Version": "beta"})
    assert_error(response, 405, "method_not_allowed", "declared by the API but not emulated")
