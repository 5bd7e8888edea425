"""The pieces every JSON Patch kind stands on, without HTTP: the patch computed from declared
forms, a create that reads before posting again or adopts, a confirmed delete, an update planned
again from what is live, errors naming the operation (``core.kinds.operations``,
``.json_patch``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from launchdarkly_experiments.core.kinds.json_patch import (
    Endpoint,
    patch_operations,
    patch_to_match,
    pointer,
)
from launchdarkly_experiments.core.kinds.operations import (
    Origin,
    create_once,
    delete_confirmed,
    operation_errors,
    read_or_none,
)
from launchdarkly_experiments.errors import (
    ConfigurationError,
    ConflictError,
    InvalidRequestError,
    LaunchDarklyError,
    NotFoundError,
    OutcomeUnknown,
    Problem,
)
from launchdarkly_experiments.http.client import LaunchDarklyClient, RetryPolicy


def test_a_patch_adds_replaces_removes_and_sets_defaults_back() -> None:
    live = {"name": "A", "description": "old", "tags": ["x"], "maintainerId": "m", "unit": "s"}
    desired = {"name": "B", "eventKey": "e", "unit": "s"}
    fields = ("name", "description", "eventKey", "tags", "maintainerId", "unit")
    assert patch_operations(
        live, desired, fields=fields, api_defaults={"tags": []}, kept={"maintainerId"}
    ) == [
        {"op": "replace", "path": "/name", "value": "B"},
        {"op": "remove", "path": "/description"},
        {"op": "add", "path": "/eventKey", "value": "e"},
        {"op": "replace", "path": "/tags", "value": []},
    ]
    assert patch_operations(live, live, fields=fields) == []
    values = {**desired, "name": "sent as B"}
    assert patch_operations({}, desired, fields=("name",), values=values) == [
        {"op": "add", "path": "/name", "value": "sent as B"}
    ]
    assert pointer("a/b~c") == "/a~1b~0c"


# -- the reliability pieces ----------------------------------------------------------------------


def client() -> LaunchDarklyClient:
    """A client whose retry waits take no time (its transport is never used here)."""
    return LaunchDarklyClient(
        "token",
        "http://nowhere",
        retry=RetryPolicy(deadline=5, min_backoff=0, max_backoff=0),
        transport=httpx.MockTransport(lambda request: httpx.Response(500)),
        sleep=lambda seconds: None,
    )


def unknown() -> OutcomeUnknown:
    return OutcomeUnknown("POST timed out")


def api_error(cls: type[Any], status: int) -> Any:
    return cls(status, "code", "refused", method="POST", path="/x")


def calls(*answers: Any) -> tuple[Callable[[], Any], list[int]]:
    """A callable answering (or raising) ``answers`` in turn, and the count of its calls."""
    made: list[int] = []

    def call() -> Any:
        made.append(1)
        answer = answers[min(len(made), len(answers)) - 1]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    return call, made


def exists() -> LaunchDarklyError:
    return LaunchDarklyError("exists: set adopt=True")


def test_a_create_with_an_unknown_outcome_reads_before_posting_again() -> None:
    not_found = api_error(NotFoundError, 404)
    post, posts = calls(unknown(), {"key": "k", "mine": True})
    get, gets = calls(not_found)
    assert take(post, get, ours=True, adopt=False) == ({"key": "k", "mine": True}, False)
    assert (len(posts), len(gets)) == (2, 1)
    # It landed: continue with it, nothing sent again.
    post, posts = calls(unknown())
    get, _ = calls({"key": "k"})
    assert take(post, get, ours=True, adopt=False) == ({"key": "k"}, False)
    assert len(posts) == 1
    # Something else holds the key: an error, or with adopt the object to take over.
    post, _ = calls(unknown())
    with pytest.raises(LaunchDarklyError, match="adopt=True"):
        take(post, get, ours=False, adopt=False)
    assert take(post, get, ours=False, adopt=True) == ({"key": "k"}, True)


def take(
    post: Callable[[], Any], get: Callable[[], Any], *, ours: bool, adopt: bool
) -> tuple[Any, bool]:
    rep, origin = create_once(
        client(),
        "metric p/k",
        post=post,
        find=lambda: read_or_none(get),
        is_ours=lambda _: ours,
        take_over=lambda _: adopt,
        exists=exists,
    )
    return rep, origin is Origin.TAKEN_OVER


def test_a_refused_create_stands_unless_the_key_exists() -> None:
    refused = api_error(InvalidRequestError, 400)
    post, _ = calls(refused)
    get, _ = calls(api_error(NotFoundError, 404))
    with pytest.raises(InvalidRequestError):
        take(post, get, ours=True, adopt=True)
    post, _ = calls(api_error(ConflictError, 409))
    get, _ = calls({"key": "k"})
    with pytest.raises(LaunchDarklyError, match="adopt=True"):
        # Without an unknown outcome before, an existing object is never taken for ours.
        take(post, get, ours=True, adopt=False)
    assert take(post, get, ours=False, adopt=True) == ({"key": "k"}, True)


def test_a_delete_is_done_once_the_object_is_gone() -> None:
    delete, deletes = calls(unknown(), None)
    get, gets = calls({"key": "k"})
    delete_confirmed(client(), delete=delete, get=get)
    assert (len(deletes), len(gets)) == (2, 1)
    delete, deletes = calls(unknown())
    get, _ = calls(api_error(NotFoundError, 404))
    delete_confirmed(client(), delete=delete, get=get)
    assert len(deletes) == 1
    delete, _ = calls(api_error(NotFoundError, 404))
    delete_confirmed(client(), delete=delete, get=get)
    delete, _ = calls(api_error(InvalidRequestError, 400))
    with pytest.raises(InvalidRequestError):
        delete_confirmed(client(), delete=delete, get=get)


class FakeEndpoint(Endpoint):
    """An endpoint answering from lists instead of HTTP."""

    def __init__(self, patches: list[Any], gets: list[Any]) -> None:
        super().__init__(client(), "/c", "/c/k")
        object.__setattr__(self, "patches", patches)
        object.__setattr__(self, "gets", gets)
        object.__setattr__(self, "sent", [])

    def patch(self, operations: list[dict[str, Any]]) -> dict[str, Any]:
        self.sent.append(operations)  # type: ignore[attr-defined]
        answer = self.patches.pop(0)  # type: ignore[attr-defined]
        if isinstance(answer, BaseException):
            raise answer
        return dict(answer)

    def get(self) -> dict[str, Any]:
        return dict(self.gets.pop(0))  # type: ignore[attr-defined]


def plan(live: Any, desired: Any) -> list[dict[str, Any]]:
    return patch_operations(live, desired, fields=("name", "description"))


def test_a_patch_is_planned_again_from_what_is_live_after_an_unknown_outcome() -> None:
    endpoint = FakeEndpoint([unknown()], [{"name": "B"}])
    answer = patch_to_match(
        endpoint, {"name": "A"}, {"name": "B"}, plan=plan, live_form=lambda rep: rep
    )
    assert answer == {"name": "B"}
    assert endpoint.sent == [[{"op": "replace", "path": "/name", "value": "B"}]]  # type: ignore[attr-defined]


def test_a_refusal_of_a_patch_planned_from_state_is_planned_again_once() -> None:
    stale = {"name": "A", "description": "gone"}
    refused = api_error(InvalidRequestError, 400)
    endpoint = FakeEndpoint([refused, {"name": "B"}], [{"name": "A"}])
    answer = patch_to_match(endpoint, stale, {"name": "B"}, plan=plan, live_form=lambda rep: rep)
    assert answer == {"name": "B"}
    assert len(endpoint.sent) == 2  # type: ignore[attr-defined]
    # The same patch planned from what is live: LaunchDarkly's refusal stands.
    endpoint = FakeEndpoint([refused], [{"name": "A"}])
    with pytest.raises(InvalidRequestError):
        patch_to_match(endpoint, {"name": "A"}, {"name": "B"}, plan=plan, live_form=lambda r: r)
    # Nothing to change: one read, so that state matches the server.
    endpoint = FakeEndpoint([], [{"name": "B", "version": 2}])
    assert patch_to_match(
        endpoint, {"name": "B"}, {"name": "B"}, plan=plan, live_form=lambda r: r
    ) == {"name": "B", "version": 2}


def test_errors_name_the_operation_and_the_resource() -> None:
    with pytest.raises(InvalidRequestError) as raised, operation_errors("update", "metric p/k"):
        raise api_error(InvalidRequestError, 400)
    assert str(raised.value).startswith("update metric p/k: LaunchDarkly answered 400 code")
    with pytest.raises(ConfigurationError) as configured, operation_errors("create", "x p/k"):
        raise ConfigurationError([Problem("maintainerId", "set one")])
    assert str(configured.value) == "create x p/k: set one"
    assert configured.value.problems == [Problem("maintainerId", "set one")]
