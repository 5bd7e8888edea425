"""Service tokens and account members (live-verified: a service token has no member, so a
create must name its maintainer and ``GET /api/v2/members/me`` is a 404)."""

from __future__ import annotations

import httpx
import pytest

from ld_emulator import Emulator
from tests.support.fixture_ids import MEMBER, MEMBER_CI, MEMBER_READER

from .conftest import (
    HEADERS,
    RO_TOKEN,
    SERVICE_TOKEN,
    Api,
    assert_error,
    assert_schema,
    experiment,
)

SERVICE = {**HEADERS, "Authorization": SERVICE_TOKEN}


def test_a_service_token_must_name_the_maintainer(any_emu: Emulator) -> None:
    with httpx.Client(base_url=any_emu.url, headers=SERVICE) as client:
        api = Api(client)
        refused = api.create(experiment())
        message = assert_error(refused, 400, "invalid_request", "maintainerId", "service token")
        assert message.startswith("field 'maintainerId' is required")
        assert any_emu.experiment("shop", "dev", "button-test") is None
        created = api.created(maintainerId=MEMBER_CI)
        assert created["_maintainerId"] == MEMBER_CI
        # a service token writes like any writer token
        assert api.start()["currentIteration"]["status"] == "running"


def test_a_member_token_defaults_the_maintainer_to_its_member(any_api: Api) -> None:
    assert any_api.created()["_maintainerId"] == MEMBER
    assert any_api.created("other", maintainerId=MEMBER_READER)["_maintainerId"] == MEMBER_READER


def test_members_me_is_the_token_member_and_404_for_a_service_token(emu: Emulator) -> None:
    for token in ("dev-token", RO_TOKEN):
        me = httpx.get(f"{emu.url}/api/v2/members/me", headers={"Authorization": token})
        assert assert_schema(me, 200, "Member")["_id"] == MEMBER
    service = httpx.get(f"{emu.url}/api/v2/members/me", headers=SERVICE)
    assert_error(service, 404, "not_found", "service token")
    # a service token reads members by id
    ci = httpx.get(f"{emu.url}/api/v2/members/{MEMBER_CI}", headers=SERVICE)
    body = assert_schema(ci, 200, "Member")
    assert (body["email"], body["role"]) == ("ci-maintainer@example.com", "writer")
    missing = httpx.get(f"{emu.url}/api/v2/members/5f00000000000000000000ff", headers=SERVICE)
    assert_error(missing, 404, "not_found", "5f00000000000000000000ff")


def test_members_listing(client: httpx.Client) -> None:
    body = assert_schema(client.get("/api/v2/members"), 200, "Members")
    assert [m["_id"] for m in body["items"]] == [MEMBER, MEMBER_CI, MEMBER_READER]
    assert body["totalCount"] == 3
    page = client.get("/api/v2/members", params={"limit": 1, "offset": 1}).json()
    assert [m["_id"] for m in page["items"]] == [MEMBER_CI]
    assert set(page["_links"]) == {"self", "first", "prev", "next", "last"}
    by_email = client.get("/api/v2/members", params={"filter": "email:analyst@example.com"})
    assert [m["_id"] for m in by_email.json()["items"]] == [MEMBER_READER]
    by_query = client.get("/api/v2/members", params={"filter": "query:maint,role:writer|admin"})
    assert [m["_id"] for m in by_query.json()["items"]] == [MEMBER_CI]
    unknown = client.get("/api/v2/members", params={"filter": "team:qa"})
    assert_error(unknown, 400, "invalid_request", "team:qa")


@pytest.mark.parametrize("profile", ["lenient", "strict"])
def test_a_maintainer_that_is_no_member(profile: str) -> None:
    """Silent in the spec: ``strict`` (point ``maintainer-must-be-member``) refuses it."""
    with (
        Emulator(profile=profile, validate_responses=True) as emu,
        httpx.Client(base_url=emu.url, headers=HEADERS) as client,
    ):
        api = Api(client)
        stranger = "5f00000000000000000000ff"
        response = api.create(experiment(maintainerId=stranger))
        update = {"maintainerId": {"operation": "update", "value": stranger}}
        if profile == "strict":
            assert_error(response, 400, "invalid_request", "maintainerId", stranger, "member")
            api.created()
            assert_error(api.fields(**update), 400, "invalid_request", "maintainerId", stranger)
        else:
            assert assert_schema(response, 201, "Experiment")["_maintainerId"] == stranger
            changed = assert_schema(api.fields(**update), 200, "Experiment")
            assert changed["_maintainerId"] == stranger


def test_service_tokens_alone_are_enough() -> None:
    with (
        Emulator(tokens=(), service_tokens=("only-svc",)) as emu,
        httpx.Client(base_url=emu.url, headers={"Authorization": "only-svc"}) as client,
    ):
        assert emu.service_tokens == frozenset({"only-svc"})
        assert client.get("/api/v2/members").status_code == 200
        created = Api(client).create(experiment(maintainerId=MEMBER_CI))
        assert created.status_code == 201
    with pytest.raises(ValueError, match="at least one token"):
        Emulator(tokens=(), read_only_tokens=(), service_tokens=())
